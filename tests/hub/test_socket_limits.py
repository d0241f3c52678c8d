"""A client cannot make the server hold its replies without bound, nor open sockets without bound.

Security finding 6: three anonymous sockets that never read, each sending 1 MB ``hub/ping``s
at the rate limit, grew the server by ~130 MB/s, because replies skipped the bounded send
queue. These tests measure the queue itself (the bytes tornado holds for the socket, and the
hub's own count), not the process's memory.
"""

from __future__ import annotations

import asyncio
import json
import socket

import tornado.httpclient
import tornado.websocket

SLACK = 4096  # one reply may start the queue above the bound; nothing more


def _server_side(platform, before: set):
    new = [c for c in platform.hub.clients if c not in before]
    assert len(new) == 1
    return new[0]


def _tornado_buffer(client) -> int:
    """Bytes tornado holds for this socket: what the kernel has not taken."""
    stream = client.socket.ws_connection.stream
    return len(stream._write_buffer) if stream._write_buffer is not None else 0


async def _flood(started, hub_connect, message: str, count: int):
    before = set(started.hub.clients)
    client = await hub_connect()  # anonymous, as in the finding
    # Keep the kernel's buffers small so the server has to hold what the client ignores.
    client.conn.stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server = _server_side(started, before)
    received = started.hub.counts.get(("hub", "ping"), 0)
    peak = 0
    for i in range(count):
        await client.conn.write_message(message)
        if i % 200 == 0:
            peak = max(peak, _tornado_buffer(server))
    # the tornado client never reads past its one-message queue: it is a non-reading client
    deadline = asyncio.get_running_loop().time() + 30
    while started.hub.counts.get(("hub", "ping"), 0) < received + count:
        assert asyncio.get_running_loop().time() < deadline, "the server did not read the pings"
        peak = max(peak, _tornado_buffer(server))
        await asyncio.sleep(0.02)
    peak = max(peak, _tornado_buffer(server))
    return client, server, peak


async def test_never_reading_client_flooding_pings_stays_within_the_queue_bound(
    started, hub_connect
):
    config = started.config
    config.ws_rate = config.ws_burst = 1_000_000  # the rate limit is not what protects here
    config.ws_queue_bytes = 256 * 1024
    ping = json.dumps({"component": "hub", "action": "ping", "data": "x" * 1000})
    _, server, peak = await _flood(started, hub_connect, ping, 12_000)  # 12 MB of echoes
    assert peak <= config.ws_queue_bytes + SLACK, f"tornado held {peak} bytes"
    assert server.peak_bytes_in_flight <= config.ws_queue_bytes + SLACK
    assert server.dropped > 0  # the slow-client policy applied to the replies


async def test_large_pings_are_not_echoed(started, hub_connect):
    config = started.config
    config.ws_rate = config.ws_burst = 1_000_000
    config.ws_queue_bytes = 256 * 1024
    big = json.dumps({"component": "hub", "action": "ping", "data": "x" * 1_000_000})
    _, server, peak = await _flood(started, hub_connect, big, 30)  # was 30 MB of echoes
    assert peak <= config.ws_queue_bytes + SLACK, f"tornado held {peak} bytes"


async def test_ping_echoes_small_data_and_refuses_large(started, hub_connect):
    client = await hub_connect()
    small = {"note": "y" * 900}
    assert (await client.call("hub", "ping", small))["data"]["echo"] == small
    big = await client.call("hub", "ping", {"note": "y" * 2000})
    assert big["error"]["code"] == "too_large"
    assert "1024" in big["error"]["message"]
    assert "data" in await client.call("hub", "ping")  # the connection goes on


async def _open(jp_http_port, jp_base_url, path="isomer/ws", token=None):
    url = f"ws://localhost:{jp_http_port}{jp_base_url}{path}"
    headers = {"Authorization": f"token {token}"} if token else {}
    return await tornado.websocket.websocket_connect(
        tornado.httpclient.HTTPRequest(url, headers=headers)
    )


async def _refused(conn) -> tuple[int, str]:
    while True:
        msg = await asyncio.wait_for(conn.read_message(), 5)
        if msg is None:
            return conn.close_code, conn.close_reason


async def test_connections_per_address_are_capped(
    started, tokens, hub_connect, jp_http_port, jp_base_url
):
    started.config.ws_max_per_address = 3
    for _ in range(2):
        await hub_connect(tokens["crew"])
    stream = await _open(jp_http_port, jp_base_url, "signalk/v1/stream", tokens["crew"])
    await asyncio.wait_for(stream.read_message(), 5)  # the Signal K hello: both kinds count
    fourth = await _open(jp_http_port, jp_base_url, token=tokens["admin"])
    code, reason = await _refused(fourth)
    assert code == 1013
    assert "too many connections from 127.0.0.1" in reason and "3" in reason
    sk = await _open(jp_http_port, jp_base_url, "signalk/v1/stream", tokens["crew"])
    code, reason = await _refused(sk)
    assert code == 1013 and "too many connections" in reason
    stream.close()
    deadline = asyncio.get_running_loop().time() + 5
    while len(started.guard.sockets) > 2:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)
    again = await hub_connect(tokens["crew"])  # a closed socket frees its place
    assert again.hello["data"]["roles"] == ["crew"]
    status = (await again.call("hub", "status"))["data"]
    assert status["queued_bytes"] == 0 and status["dropped"] == 0


async def test_anonymous_connections_are_capped(
    started, tokens, hub_connect, jp_http_port, jp_base_url
):
    started.config.ws_max_anonymous = 2
    await hub_connect()
    await hub_connect()
    third = await _open(jp_http_port, jp_base_url)
    code, reason = await _refused(third)
    assert code == 1013
    assert "anonymous" in reason and "log in" in reason
    member = await hub_connect(tokens["crew"])  # logged-in clients still get in
    assert member.hello["data"]["roles"] == ["crew"]
