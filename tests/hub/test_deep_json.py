"""100,000-deep JSON to the other JSON entry points: an error answer, never a 500 or a close.

Python's json raises RecursionError (not ValueError) on deep nesting; every place that
parses a client's JSON goes through ``isomer_data.core.parsing.parse``.
"""

from __future__ import annotations

import asyncio
import json

import tornado.httpclient
import tornado.websocket

DEEP = 100_000
BOMBS = ["[" * DEEP + "]" * DEEP, '{"a":' * DEEP + "1" + "}" * DEEP, "[" * DEEP]


async def test_deep_json_to_login_and_access_requests_is_a_400(
    http_server_client, jp_http_port, jp_base_url, started
):
    client = tornado.httpclient.AsyncHTTPClient()
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    for path in ("isomer/api/login", "signalk/v1/auth/login", "signalk/v1/access/requests"):
        for bomb in BOMBS:
            reply = await client.fetch(base + path, method="POST", body=bomb, raise_error=False)
            assert reply.code == 400, (path, reply.code, reply.body[:200])
            assert json.loads(reply.body)["message"]
            assert b"Traceback" not in reply.body


async def test_deep_json_to_the_signalk_stream_is_an_error_and_the_socket_stays_open(
    http_server_client, jp_http_port, jp_base_url, tokens
):
    request = tornado.httpclient.HTTPRequest(
        f"ws://localhost:{jp_http_port}{jp_base_url}signalk/v1/stream?subscribe=none",
        headers={"Authorization": f"token {tokens['crew']}"},
    )
    conn = await tornado.websocket.websocket_connect(request)
    try:
        hello = json.loads(await asyncio.wait_for(conn.read_message(), 5))
        assert "version" in hello
        for bomb in BOMBS:
            await conn.write_message(bomb)
            answer = await asyncio.wait_for(conn.read_message(), 5)
            assert answer is not None, "the stream closed"
            assert "error" in json.loads(answer)
        await conn.write_message("not json")
        answer = await asyncio.wait_for(conn.read_message(), 5)
        assert answer is not None and "error" in json.loads(answer)
    finally:
        conn.close()
