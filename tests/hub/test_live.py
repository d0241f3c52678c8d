"""Live subscriptions over the hub: deltas, wildcards, policies, slow clients, resume."""

from __future__ import annotations

import asyncio
import time

from isomer_data.ingest.observation import Observation


def publish(platform, path, value, vessel="self", t=None):
    platform.live.publish([Observation(t or time.time(), vessel, path, value, "test")])


async def test_crew_receives_position_deltas(started, tokens, hub_connect):
    crew = await hub_connect(tokens["crew"])
    reply = await crew.call(
        "live", "subscribe", {"paths": ["navigation.position"], "policy": "instant"}
    )
    assert reply["data"]["subscribed"][0]["path"] == "navigation.position"
    publish(started, "navigation.position", {"latitude": 54.5, "longitude": 10.25})
    publish(started, "environment.depth.belowTransducer", 12.5)  # not subscribed
    publish(started, "navigation.position", {"latitude": 54.6, "longitude": 10.26})
    values = []
    while len(values) < 2:  # deltas published together may arrive as one message
        msg = await crew.push("delta")
        assert msg["data"]["context"] == "vessels.self"
        values += [v for u in msg["data"]["updates"] for v in u["values"]]
    assert [v["value"]["latitude"] for v in values] == [54.5, 54.6]
    assert all(v["path"] == "navigation.position" for v in values)


async def test_subscribe_sends_current_values_and_wildcards(started, tokens, hub_connect):
    publish(started, "navigation.speedOverGround", 3.2)
    publish(
        started,
        "navigation.position",
        {"latitude": 1.0, "longitude": 2.0},
        vessel="urn:mrn:imo:mmsi:211000001",
    )
    client = await hub_connect(tokens["scientist"])
    await client.call(
        "live", "subscribe", {"paths": ["vessels.*.navigation.position"], "policy": "instant"}
    )
    snap = await client.push("delta")
    assert snap["data"]["context"] == "vessels.urn:mrn:imo:mmsi:211000001"
    await client.call("live", "subscribe", {"paths": ["navigation.*"], "policy": "instant"})
    snap = await client.push("delta")
    paths = {v["path"] for u in snap["data"]["updates"] for v in u["values"]}
    assert "navigation.speedOverGround" in paths


async def test_min_period_and_fixed_policy(started, tokens, hub_connect):
    client = await hub_connect(tokens["crew"])
    await client.call(
        "live",
        "subscribe",
        {
            "subscribe": [
                {"path": "environment.wind.speedApparent", "policy": "instant", "minPeriod": 300}
            ]
        },
    )
    for i in range(10):
        publish(started, "environment.wind.speedApparent", float(i))
        await asyncio.sleep(0.02)
    received = []
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        try:
            msg = await client.push("delta", timeout=0.5)
        except TimeoutError:
            break
        received += [v["value"] for u in msg["data"]["updates"] for v in u["values"]]
    # the first value at once, then the latest after minPeriod; never all ten
    assert received[0] == 0.0
    assert received[-1] == 9.0
    assert len(received) < 5

    fixed = await hub_connect(tokens["crew"])
    await fixed.call(
        "live",
        "subscribe",
        {
            "subscribe": [
                {"path": "environment.wind.speedApparent", "policy": "fixed", "period": 200}
            ]
        },
    )
    await fixed.push("delta")  # current value on subscribe
    started_at = time.monotonic()
    await fixed.push("delta", timeout=2)
    await fixed.push("delta", timeout=2)
    assert time.monotonic() - started_at < 1.5  # repeats without any new value


async def test_slow_client_drops_are_counted_and_others_unaffected(started, tokens, hub_connect):
    started.config.ws_queue = 64
    slow = await hub_connect(tokens["crew"])
    fast = await hub_connect(tokens["crew"])
    for client in (slow, fast):
        await client.call("live", "subscribe", {"paths": ["environment.*"], "policy": "instant"})
    n = 2000
    got = []

    async def reader():
        while len(got) < n:
            msg = await fast.push("delta", timeout=10)
            got.extend(v["value"] for u in msg["data"]["updates"] for v in u["values"])

    task = asyncio.create_task(reader())
    blob = "x" * 16000  # big messages fill the slow client's socket buffers quickly
    for i in range(n):
        publish(started, "environment.note", {"i": i, "pad": blob})
        if i % 20 == 0:
            await asyncio.sleep(0.005)
    await asyncio.wait_for(task, 30)
    assert [g["i"] for g in got] == list(range(n))  # the fast client lost nothing
    hub_slow = next(c for c in started.hub.clients if c.session == slow.hello["data"]["session"])
    assert hub_slow.dropped > 0
    # the slow client drains; the next message brings the drop report
    while True:
        try:
            await slow.recv(timeout=1.0)
        except TimeoutError:
            break
    publish(started, "environment.note", {"i": -1})
    notice = await slow.push("dropped", timeout=5)
    assert notice["data"]["count"] > 0
    assert notice["data"]["total"] == hub_slow.dropped


async def test_reconnecting_client_resumes_subscriptions(started, tokens, hub_connect):
    first = await hub_connect(tokens["crew"])
    await first.call(
        "live", "subscribe", {"paths": ["navigation.headingTrue"], "policy": "instant"}
    )
    await first.call("objects", "subscribe", {"schema": "logbookentry"})
    session = first.hello["data"]["session"]
    first.close()
    await asyncio.sleep(0.2)
    second = await hub_connect(tokens["crew"])
    resumed = await second.call("hub", "resume", {"session": session})
    assert resumed["data"]["live"][0]["path"] == "navigation.headingTrue"
    assert resumed["data"]["objects"] == [["logbookentry", "*"]]
    publish(started, "navigation.headingTrue", 1.5)
    msg = await second.push("delta")
    assert msg["data"]["updates"][0]["values"][0]["value"] == 1.5
    # someone else cannot take the session over
    other = await hub_connect(tokens["scientist"])
    again = await other.call("hub", "resume", {"session": session})
    assert again["error"]["code"] == "unknown_session"
