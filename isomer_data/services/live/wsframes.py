"""Writing one websocket text frame to many clients: the fan-out's one reach into tornado.

``write_message`` frames the same payload again for every client; with a thousand clients
that is most of the fan-out's cost. Here a frame is built once per distinct text and, when
tornado has nothing queued for a client, sent straight to its socket (sparing a future and
two callbacks per client). Knowing "nothing queued" needs tornado's private
``IOStream._write_buffer``: this module is the only place that touches it, the tornado
versions it was tested with are pinned in pyproject.toml, and ``tests/hub/test_wsframes.py``
fails if a tornado release changes what it relies on. Without the attribute, every frame
goes through the public ``IOStream.write``, correct and only slower.
"""

from __future__ import annotations

_frames: dict[str, bytes] = {}
MAX_CACHED = 256


def text_frame(text: str) -> bytes:
    """An unmasked, final, uncompressed text frame (RFC 6455 §5.2); valid even on
    connections that negotiated permessage-deflate (RSV1 = 0)."""
    frame = _frames.get(text)
    if frame is None:
        payload = text.encode()
        n = len(payload)
        if n < 126:
            header = bytes((0x81, n))
        elif n < 65536:
            header = bytes((0x81, 126)) + n.to_bytes(2, "big")
        else:
            header = bytes((0x81, 127)) + n.to_bytes(8, "big")
        frame = header + payload
        if len(_frames) >= MAX_CACHED:
            _frames.clear()
        _frames[text] = frame
    return frame


def nothing_queued(stream) -> bool:
    """Whether tornado holds no unsent bytes for this stream (False when it cannot tell)."""
    return not getattr(stream, "_write_buffer", True) and stream.socket is not None


def write_text_frame(handler, text: str):
    """Write ``text`` as one frame to a websocket handler's connection.

    Returns None when the socket took it all at once, else the future of tornado's write.
    Raises ConnectionError when the connection is closed or closing.
    """
    conn = handler.ws_connection
    if conn is None or conn.is_closing():
        raise ConnectionError("websocket closed")
    frame = text_frame(text)
    stream = conn.stream
    # Straight to the socket only when nothing is queued, so frames keep their order;
    # whatever the kernel does not take at once goes through tornado's buffer as usual.
    if nothing_queued(stream):
        try:
            sent = stream.socket.send(frame)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            raise ConnectionError(str(exc)) from exc
        if sent == len(frame):
            return None
        frame = frame[sent:]
    return stream.write(frame)
