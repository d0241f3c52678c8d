"""The hub's protocol over a real websocket: hello, ping, errors, login."""

from __future__ import annotations

import json


async def test_hello_and_ping_anonymous(started, hub_connect):
    client = await hub_connect()
    assert client.hello["action"] == "hello"
    assert client.hello["data"]["user"] is None
    assert client.hello["data"]["roles"] == ["anonymous"]
    reply = await client.call("hub", "ping", {"n": 1})
    assert reply["data"]["echo"] == {"n": 1}


async def test_anonymous_refused_then_login(started, tokens, hub_connect, password):
    client = await hub_connect()
    refused = await client.call("live", "subscribe", {"paths": ["navigation.position"]})
    assert refused["error"]["code"] == "unauthenticated"
    bad = await client.call("auth", "login", {"username": "crew1", "password": "nope"})
    assert bad["error"]["code"] == "unauthenticated"
    ok = await client.call("auth", "login", {"username": "crew1", "password": password})
    assert ok["data"]["roles"] == ["crew"]
    assert ok["data"]["token"].startswith("iso_")
    sub = await client.call("live", "subscribe", {"paths": ["navigation.position"]})
    assert "error" not in sub


async def test_bad_input_gets_errors_and_connection_survives(started, tokens, hub_connect):
    client = await hub_connect(tokens["crew"])
    other = await hub_connect(tokens["crew"])
    await client.conn.write_message("{not json")
    err = await client.recv()
    assert err["error"]["code"] == "bad_json"
    await client.conn.write_message(json.dumps([1, 2]))
    assert (await client.recv())["error"]["code"] == "bad_request"
    unknown = await client.call("nosuch", "thing")
    assert unknown["error"]["code"] == "unknown"
    assert "nosuch/thing" in unknown["error"]["message"]
    wrong = await client.call("live", "subscribe", {"subscribe": [{"path": 5}]})
    assert wrong["error"]["code"] == "invalid"
    big = "x" * (started.config.ws_max_message + 10)
    await client.conn.write_message(json.dumps({"component": "hub", "action": "ping", "data": big}))
    assert (await client.recv())["error"]["code"] == "too_large"
    # still connected, and the other client never noticed
    assert "data" in await client.call("hub", "ping")
    assert "data" in await other.call("hub", "ping")
    status = await client.call("hub", "status")
    assert status["data"]["errors"] >= 4


async def test_flooding_is_refused_politely(started, tokens, hub_connect):
    started.config.ws_burst = 20
    started.config.ws_rate = 5
    client = await hub_connect(tokens["crew"])
    other = await hub_connect(tokens["crew"])
    for i in range(60):
        await client.conn.write_message(
            json.dumps({"component": "hub", "action": "ping", "id": f"f{i}"})
        )
    replies, floods = 0, 0
    while True:
        try:
            msg = await client.recv(timeout=1.0)
        except TimeoutError:
            break
        if msg.get("error", {}).get("code") == "flood":
            floods += 1
        elif str(msg.get("id", "")).startswith("f"):
            replies += 1
    assert 20 <= replies < 60
    assert floods >= 1
    assert "data" in await other.call("hub", "ping")
