"""A Signal K stream client for the tests: connect, read one message, read up to a barrier."""

from __future__ import annotations

import asyncio
import json

import tornado.httpclient
import tornado.websocket

TIMEOUT = 10.0  # generous: only a lost message reaches it


def connector(port: int, base_url: str):
    """``await connect(query, headers)`` opens ``/signalk/v1/stream``; ``close_all()`` ends them.

    ``connect.origin`` is the server's own origin, for cookie sockets.
    """
    opened = []

    async def connect(query: str = "", headers: dict | None = None):
        url = f"ws://localhost:{port}{base_url}signalk/v1/stream"
        request = tornado.httpclient.HTTPRequest(
            url + (f"?{query}" if query else ""), headers=headers or {}
        )
        conn = await tornado.websocket.websocket_connect(request)
        opened.append(conn)
        return conn

    def close_all() -> None:
        for conn in opened:
            conn.close()

    connect.origin = f"http://localhost:{port}"
    connect.close_all = close_all
    return connect


async def recv(conn) -> dict:
    raw = await asyncio.wait_for(conn.read_message(), TIMEOUT)
    assert raw is not None, "the stream closed"
    return json.loads(raw)


async def until_barrier(conn) -> list[dict]:
    """Everything the server sent before it answered a message sent now.

    ``[]`` is not a Signal K message: the server answers it with an error, after whatever it
    had queued for this socket, so the messages read before that error are all there was.
    """
    await conn.write_message("[]")
    out = []
    while True:
        msg = await recv(conn)
        if "error" in msg and "not a JSON object" in msg["error"]["message"]:
            return out
        out.append(msg)
