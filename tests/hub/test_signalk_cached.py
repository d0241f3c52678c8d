"""The Signal K stream sends the latest known values when a subscription starts.

As Signal K server does: right after the hello (``subscribe=self|all``, unless
``sendCachedValues=false``) and after each ``subscribe`` message (only what it matches), the
current value of every matching path arrives as deltas, so an instrument app fills its
gauges at once instead of when a value next changes. Who gets them is who gets live deltas:
every logged-in role; anonymous and foreign-origin cookie sockets are refused as before.

One server for the module's checks (each test here costs a platform start).
"""

from __future__ import annotations

import json
import socket
import time

import pytest
import tornado.httpclient
import tornado.websocket
from isomer_data.ingest.observation import Observation
from skstream import connector, recv, until_barrier

from isomer_data.core.roles import ROLES
from isomer_data.services.signalk.handlers import StreamClient

AIS = "urn:mrn:imo:mmsi:211000042"
EVIL = "http://evil.example"


def publish(platform, path, value, vessel="self", source="nmea0183.GP", t=None):
    platform.live.publish([Observation(t or time.time(), vessel, path, value, source)])


@pytest.fixture
def sk(http_server_client, jp_http_port, jp_base_url, started):
    connect = connector(jp_http_port, jp_base_url)
    yield connect
    connect.close_all()


def values(deltas: list[dict]) -> dict[tuple[str, str], object]:
    """``(context, path) -> value`` of every value the deltas carry."""
    out = {}
    for delta in deltas:
        for update in delta.get("updates", []):
            for item in update["values"]:
                out[(delta["context"], item["path"])] = item["value"]
    return out


async def test_cached_values_follow_the_hello_for_every_role_and_only_them(started, tokens, sk):
    t0 = time.time() - 5
    publish(started, "navigation.position", {"latitude": 54.3, "longitude": 10.1}, t=t0)
    publish(started, "environment.depth.belowTransducer", 12.5, source="nmea0183.SD", t=t0 + 1)
    publish(started, "navigation.speedOverGround", 3.2, vessel=AIS, source="ais.x", t=t0 + 2)
    for role in ROLES:
        bearer = {"Authorization": f"Bearer {tokens[role]}"}
        conn = await sk("subscribe=self", bearer)
        hello = await recv(conn)
        assert "self" in hello and "updates" not in hello, role
        urn = hello["self"]
        cached = await until_barrier(conn)
        expected = {
            (urn, "navigation.position"): {"latitude": 54.3, "longitude": 10.1},
            (urn, "environment.depth.belowTransducer"): 12.5,
        }
        if role != ROLES[0]:  # published live to the role before
            expected[(urn, "navigation.speedOverGround")] = 4.0
        assert values(cached) == expected, role
        # Signal K's delta format: context, updates with $source, timestamp and values
        updates = [u for d in cached for u in d["updates"]]
        by_path = {u["values"][0]["path"]: u for u in updates}
        assert by_path["navigation.position"]["$source"] == "nmea0183.GP"
        assert by_path["environment.depth.belowTransducer"]["$source"] == "nmea0183.SD"
        assert all(u["timestamp"].endswith("Z") for u in updates)
        # the live stream goes on after them
        publish(started, "navigation.speedOverGround", 4.0)
        assert values([await recv(conn)]) == {(urn, "navigation.speedOverGround"): 4.0}

    # the default is self; subscribe=all gets every vessel's values
    crew = {"Authorization": f"Bearer {tokens['crew']}"}
    conn = await sk("", crew)
    await recv(conn)
    assert (f"vessels.{AIS}", "navigation.speedOverGround") not in values(await until_barrier(conn))
    conn = await sk("subscribe=all", crew)
    await recv(conn)
    got = values(await until_barrier(conn))
    assert got[(f"vessels.{AIS}", "navigation.speedOverGround")] == 3.2
    assert got[(urn, "navigation.speedOverGround")] == 4.0

    # sendCachedValues=false: the hello, then only what changes
    conn = await sk("subscribe=self&sendCachedValues=false", crew)
    await recv(conn)
    assert await until_barrier(conn) == []
    publish(started, "environment.depth.belowTransducer", 12.0)
    assert values([await recv(conn)]) == {(urn, "environment.depth.belowTransducer"): 12.0}

    # subscribe=none: nothing; a subscribe message gets the cached values it matches, only
    conn = await sk("subscribe=none", crew)
    await recv(conn)
    assert await until_barrier(conn) == []
    await conn.write_message(
        json.dumps({"context": "vessels.self", "subscribe": [{"path": "environment.depth.*"}]})
    )
    assert values(await until_barrier(conn)) == {(urn, "environment.depth.belowTransducer"): 12.0}
    await conn.write_message(
        json.dumps({"context": "vessels.*", "subscribe": [{"path": "navigation.speedOverGround"}]})
    )
    assert values(await until_barrier(conn)) == {
        (urn, "navigation.speedOverGround"): 4.0,
        (f"vessels.{AIS}", "navigation.speedOverGround"): 3.2,
    }

    # refused as before: anonymous, and a cookie from a foreign origin
    with pytest.raises(tornado.httpclient.HTTPClientError) as refused:
        await sk("subscribe=self")
    assert refused.value.code == 401
    cookie = {"Cookie": f"JAUTHENTICATION={tokens['crew']}"}
    with pytest.raises(tornado.httpclient.HTTPClientError) as refused:
        await sk("subscribe=self", {**cookie, "Origin": EVIL})
    assert refused.value.code == 403
    # the same cookie from this server's own pages gets them
    conn = await sk("subscribe=self", {**cookie, "Origin": sk.origin})
    await recv(conn)
    assert (urn, "navigation.position") in values(await until_barrier(conn))


async def test_cached_values_are_bounded_own_vessel_first(started, tokens, sk, hub_connect):
    """At most ``ws_cached_values`` values (and half of ``ws_queue_bytes``), the own
    vessel's first; the client is told (70311) that the rest arrive as they change. The
    hub's ``live/subscribe`` sends its current values by the same rule."""
    crew = {"Authorization": f"Bearer {tokens['crew']}"}
    # a value under resources.* is no resource (those are objects with their own
    # permissions, pushed only to their readers): never sent as a current value
    publish(started, "resources.waypoints.0f8fad5b-d9cb-469f-a165-70867728950e", {"x": 1})
    for i in range(6):
        publish(
            started, "navigation.speedOverGround", 1.0 + i, vessel=f"urn:mrn:imo:mmsi:21100010{i}"
        )
    publish(started, "navigation.position", {"latitude": 1.0, "longitude": 2.0})
    publish(started, "navigation.courseOverGroundTrue", 0.5)
    started.config.ws_cached_values = 5
    conn = await sk("subscribe=all", crew)
    hello = await recv(conn)
    messages = await until_barrier(conn)
    notices = [m for m in messages if "error" in m]
    got = values([m for m in messages if "updates" in m])
    assert len(got) == 5
    assert (hello["self"], "navigation.position") in got
    assert (hello["self"], "navigation.courseOverGroundTrue") in got
    assert len(notices) == 1 and notices[0]["error"]["message"].startswith("70311")
    assert "5 of 8" in notices[0]["error"]["message"]
    assert not any(path.startswith("resources.") for _, path in got)

    hub = await hub_connect(tokens["scientist"])
    reply = await hub.call("live", "subscribe", {"paths": ["vessels.*.*"], "policy": "instant"})
    current = reply["data"]["current"]
    assert (current["sent"], current["matched"]) == (5, 8)
    assert current["message"].startswith("70311")
    pushed = []
    while len(pushed) < 5:
        delta = (await hub.push("delta"))["data"]
        pushed += [(delta["context"], v["path"]) for u in delta["updates"] for v in u["values"]]
    assert ("vessels.self", "navigation.position") in pushed

    # A client that does not read: the values stop at half of its queue (what the socket
    # did not take waits in the server), never dropped, and it is told.
    started.config.ws_cached_values = 10_000
    started.config.ws_queue_bytes = 128 * 1024
    for i in range(60):
        publish(started, f"design.note{i}", "x" * 9000)
    conn = await sk("subscribe=none", {"Authorization": f"Bearer {tokens['scientist']}"})
    await recv(conn)
    conn.stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    (server,) = [
        s
        for s in started.fanout.subscribers
        if isinstance(s, StreamClient) and s.user.username == "scientist1"
    ]
    server.socket.ws_connection.stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    await conn.write_message(
        json.dumps(
            {"context": "vessels.self", "subscribe": [{"path": "design.*", "policy": "instant"}]}
        )
    )
    messages = await until_barrier(conn)
    assert server.dropped == 0
    assert 0 < server.peak_bytes_in_flight <= started.config.ws_queue_bytes
    notes = values([m for m in messages if "updates" in m])
    assert 0 < len(notes) < 60
    (notice,) = [m["error"]["message"] for m in messages if "error" in m]
    assert notice.startswith("70311") and f"{len(notes)} of 60 sent" in notice


def test_each_pattern_meets_each_vessel_and_distinct_path_once(monkeypatch):
    """A subscribe message of 256 patterns against 500 vessels' 10,000 values costs
    (vessels + distinct paths) × patterns matches, not values × patterns: 1.2 s of the
    event loop before, about 50 ms now (measured on the 2-core machine)."""
    from isomer_data.services.live.subscriptions import Subscription, current_values
    from isomer_data.wildcards import Wildcard

    paths = [f"navigation.p{i}" for i in range(20)]
    latest = {
        ("self" if v == 0 else f"urn:mrn:imo:mmsi:2110{v:05d}", p): (1.0e9, 1.5, "ais.x")
        for v in range(500)
        for p in paths
    }
    subs = [Subscription("vessels.*", f"navigation.x{i}.*", "instant") for i in range(255)]
    subs.append(Subscription("vessels.*", "navigation.p1*", "instant"))
    calls = 0
    matches = Wildcard.matches

    def counted(self, text):
        nonlocal calls
        calls += 1
        return matches(self, text)

    monkeypatch.setattr(Wildcard, "matches", counted)
    matched, chunks = current_values(latest, subs, 10_000, 64 * 1024)
    assert matched == 500 * 11  # p1 and p10..p19
    assert sum(len(c) for c in chunks) == matched
    assert chunks[0][0].vessel == "self"
    assert calls <= (500 + 20) * 256
