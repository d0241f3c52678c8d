"""The fan-out's frames, against a real tornado websocket client and the installed tornado."""

from __future__ import annotations

import asyncio
import json

import tornado.iostream
import tornado.web
import tornado.websocket

from isomer_data.services.live.wsframes import nothing_queued, text_frame, write_text_frame


class Echo(tornado.websocket.WebSocketHandler):
    sockets: list = []

    def open(self):
        Echo.sockets.append(self)


async def serve():
    Echo.sockets = []
    app = tornado.web.Application([(r"/ws", Echo)])
    server = app.listen(0, address="127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    client = await tornado.websocket.websocket_connect(f"ws://127.0.0.1:{port}/ws")
    for _ in range(100):
        if Echo.sockets:
            break
        await asyncio.sleep(0.01)
    return server, client, Echo.sockets[0]


def test_the_installed_tornado_still_has_what_the_fast_path_reads():
    stream = tornado.iostream.IOStream.__new__(tornado.iostream.IOStream)
    tornado.iostream.BaseIOStream.__init__(stream)
    # an empty buffer is falsy, a filled one truthy: that is all the fast path reads
    assert hasattr(stream, "_write_buffer")
    assert not stream._write_buffer
    stream._write_buffer.append(b"x")
    assert stream._write_buffer


async def test_frames_of_every_length_class_arrive_whole_and_in_order():
    server, client, handler = await serve()
    try:
        texts = ["a" * 10, "b" * 200, "c" * 70_000, json.dumps({"ü": "ß" * 50})]
        results = [write_text_frame(handler, text) for text in texts]
        assert results[0] is None  # nothing was queued: straight to the socket
        assert nothing_queued(handler.ws_connection.stream) or results[-1] is not None
        for text in texts:
            assert await asyncio.wait_for(client.read_message(), 5) == text
    finally:
        client.close()
        server.stop()


async def test_a_client_that_does_not_read_gets_everything_in_order_later():
    server, client, handler = await serve()
    try:
        texts = [f"{i:05d}" + "x" * 20_000 for i in range(200)]  # 4 MB: beyond socket buffers
        futures = [write_text_frame(handler, text) for text in texts]
        assert any(f is not None for f in futures), "the kernel took 4 MB at once?"
        received = [await asyncio.wait_for(client.read_message(), 10) for _ in texts]
        assert received == texts
    finally:
        client.close()
        server.stop()


async def test_a_closed_connection_is_a_connection_error():
    server, client, handler = await serve()
    client.close()
    for _ in range(100):
        if handler.ws_connection is None or handler.ws_connection.is_closing():
            break
        await asyncio.sleep(0.01)
    try:
        write_text_frame(handler, "late")
    except ConnectionError:
        pass
    else:
        raise AssertionError("writing to a closed websocket must raise ConnectionError")
    finally:
        server.stop()


def test_one_frame_per_text_is_built_once():
    assert text_frame("same") is text_frame("same")
    assert text_frame("x")[:2] == b"\x81\x01"
    assert text_frame("y" * 300)[:4] == b"\x81\x7e\x01\x2c"
    assert text_frame("z" * 70_000)[:2] == b"\x81\x7f"
