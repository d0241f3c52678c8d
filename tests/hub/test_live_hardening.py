"""What a publisher may put into the live state, and how much of it a subscriber is sent.

1. Values under ``resources.*`` are objects with their own permissions (routes, waypoints,
   notes, regions: ``services/signalk/resources.py``), pushed only to those who may read
   each one; a delta may not publish a value there (70321), whoever sends it.
   Notifications stay publishable (devices raise them), but their ``id`` and ``status``
   are the server's.
2. ``ideal`` and ``fixed`` subscriptions repeat the latest values in deltas of at most 100
   values, and no further than half of the client's queue: what does not fit is deferred
   to a later tick (counted), never buffered without bound.
3. The live state holds at most ``live_max_contexts`` vessels, ``live_max_paths`` paths per
   vessel and ``live_max_values`` values in all: new ones beyond are refused (70322,
   70323, 70324) and counted, existing ones keep updating.

One server per test (each costs a platform start); small limits from the configuration.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
import tornado.httpclient
import tornado.websocket
from isomer_data.ingest.observation import Observation
from skstream import TIMEOUT, connector, recv, until_barrier

from isomer_data.core.roles import ROLES
from isomer_data.services.hub.hub import HubClient as ServerHubClient
from isomer_data.services.signalk.handlers import StreamClient

EVIL = "http://evil.example"
WAYPOINT = "resources.waypoints.0f8fad5b-d9cb-469f-a165-70867728950e"
MAX_CONTEXTS = 4
MAX_PATHS = 400
MAX_VALUES = 1000


@pytest.fixture
def jp_server_config(jp_server_config):
    config = dict(jp_server_config)
    config["IsomerConfig"] = {
        **config["IsomerConfig"],
        "live_max_contexts": MAX_CONTEXTS,
        "live_max_paths": MAX_PATHS,
        "live_max_values": MAX_VALUES,
    }
    return config


@pytest.fixture
def sk(http_server_client, jp_http_port, jp_base_url, started):
    connect = connector(jp_http_port, jp_base_url)
    yield connect
    connect.close_all()


def delta(*items, context="vessels.self") -> dict:
    return {
        "context": context,
        "updates": [{"values": [{"path": p, "value": v} for p, v in items]}],
    }


async def status(fetch, token) -> dict:
    code, body = await fetch("isomer/api/status", token=token)
    assert code == 200
    return body["data"]


async def test_resources_cannot_be_published_by_anyone(started, tokens, hub_connect, sk, skv2):
    fetch, _ = skv2
    admin = tokens["admin"]
    # a reader of everything, to see what reaches subscribers
    watcher = await hub_connect(tokens["crew"])
    await watcher.call("live", "subscribe", {"paths": ["vessels.*.*"], "policy": "instant"})
    alarm = {
        "state": "alarm",
        "method": ["sound"],
        "message": "bilge",
        "id": "forged",
        "status": {"acknowledged": True, "silenced": True, "canClear": True},
    }
    for role in ROLES:
        hub = await hub_connect(tokens[role])
        reply = await hub.call(
            "live",
            "publish",
            delta(
                ("navigation.speedOverGround", 3.0),
                (WAYPOINT, {"name": "trap", "feature": {}}),
                (f"notifications.{role}.bilge", alarm),
            ),
        )
        if role not in ("vessel", "admin"):
            assert reply["error"]["code"] == "forbidden", role
            continue
        data = reply["data"]
        assert (data["accepted"], data["rejected"]) == (2, 1), role
        (error,) = data["errors"]
        assert error["field"] == "updates[0].values[1]"
        assert error["message"].startswith("70321"), error
        # the rest of the delta arrived: the speed and the notification, with the
        # server's id and status, not the forged ones
        got = {}
        while "navigation.speedOverGround" not in got or len(got) < 2:
            push = (await watcher.push("delta"))["data"]
            got.update({v["path"]: v["value"] for u in push["updates"] for v in u["values"]})
        assert WAYPOINT not in got
        note = got[f"notifications.{role}.bilge"]
        assert note["id"] != "forged"
        assert note["status"]["acknowledged"] is False and note["status"]["canClear"] is False
        assert note["method"] == ["sound"]
    assert not any(path.startswith("resources.") for _, path in started.live.latest)

    # anonymous: not even over the hub
    anonymous = await hub_connect()
    reply = await anonymous.call("live", "publish", delta((WAYPOINT, {"name": "x"})))
    assert reply["error"]["code"] == "unauthenticated"

    # the Signal K stream: a vessel's updates lose the resource, keep the rest, are told
    vessel = await sk("subscribe=none", {"Authorization": f"Bearer {tokens['vessel']}"})
    await recv(vessel)
    await vessel.write_message(
        json.dumps(delta((WAYPOINT, {"name": "x"}), ("environment.depth.belowKeel", 4.5)))
    )
    (notice,) = await until_barrier(vessel)
    assert notice["error"]["message"].startswith("1 value(s) refused, 1 kept")
    assert notice["error"]["errors"][0]["message"].startswith("70321")
    assert started.live.get("self", "environment.depth.belowKeel")[1] == 4.5
    # crew may not send updates at all; a cookie from a foreign origin is not let in
    crew = await sk("subscribe=none", {"Authorization": f"Bearer {tokens['crew']}"})
    await recv(crew)
    await crew.write_message(json.dumps(delta((WAYPOINT, {"name": "x"}))))
    (notice,) = await until_barrier(crew)
    assert "only vessel identities" in notice["error"]["message"]
    with pytest.raises(tornado.httpclient.HTTPClientError) as refused:
        await sk("", {"Cookie": f"JAUTHENTICATION={tokens['vessel']}", "Origin": EVIL})
    assert refused.value.code == 403
    # a PUT there is no delta either: no handler takes resources.* paths
    code, _ = await fetch(
        "signalk/v1/api/vessels/self/resources/waypoints/x", "PUT", {"value": 1}, token=admin
    )
    assert code == 405
    # any publisher, not only clients: the live state itself keeps resources.* out
    started.live.publish([Observation(time.time(), "self", WAYPOINT, {"x": 1}, "module")])
    assert started.live.get("self", WAYPOINT) is None
    counters = await status(fetch, admin)
    assert counters["refused_reserved"] == 4  # admin, vessel, stream, module
    assert counters["rejected"] == 0  # well-formed items: not the validation counter


async def test_repeats_come_in_chunks_within_the_queue(started, tokens, sk, hub_connect):
    """``fixed`` and ``ideal`` repeats of 300 values of ~350 bytes: before, one ~100 KB
    message each period, past a 64 KiB ``ws_queue_bytes``; now deltas of at most 100 values,
    and a client that does not read holds no more than its queue (the rest waits for a
    later period, and then goes out longest waiting first)."""
    started.config.ws_queue_bytes = 64 * 1024
    t = time.time()
    started.live.publish(
        [Observation(t, "self", f"design.note{i}", "x" * 300, "test") for i in range(300)]
    )
    # a reading client: every repeat arrives, in deltas of at most 100 values
    hub = await hub_connect(tokens["crew"])
    reply = await hub.call(
        "live", "subscribe", {"paths": ["design.*"], "policy": "fixed", "period": 100}
    )
    assert reply["data"]["current"]["matched"] == 300
    seen: dict[str, int] = {}
    while min(seen.values(), default=0) < 3 or len(seen) < 300:
        push = (await hub.push("delta"))["data"]
        items = [v["path"] for u in push["updates"] for v in u["values"]]
        assert len(items) <= 100
        for path in items:
            seen[path] = seen.get(path, 0) + 1
    (server_hub,) = [
        s
        for s in started.fanout.subscribers
        if isinstance(s, ServerHubClient) and s.user.username == "crew1"
    ]
    assert server_hub.dropped == 0

    # a client that does not read: small socket buffers, the queue bound holds
    conn = await sk(
        "subscribe=none&sendCachedValues=false", {"Authorization": f"Bearer {tokens['scientist']}"}
    )
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
            {
                "context": "vessels.self",
                "subscribe": [{"path": "design.*", "policy": "ideal", "period": 100}],
            }
        )
    )
    deadline = time.monotonic() + TIMEOUT
    while server.deferred == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert server.deferred > 0
    assert server.dropped == 0
    assert 0 < server.peak_bytes_in_flight <= started.config.ws_queue_bytes
    # what it reads are deltas of at most 100 values (the turns: test_repeats_take_turns)
    for _ in range(3):
        msg = await recv(conn)
        assert len([v for u in msg["updates"] for v in u["values"]]) <= 100
    reply = await hub.call("hub", "status")
    assert "deferred" in reply["data"]


async def test_the_live_state_is_bounded(started, tokens, hub_connect, skv2):
    fetch, _ = skv2
    live = started.live
    vessel = await hub_connect(tokens["vessel"])
    assert set(live.paths_of) <= {"self"}  # a fresh platform: at most the own vessel
    before = live.paths_of.get("self", 0)
    # new paths past live_max_paths: refused with 70323, the known ones keep updating
    reply = await vessel.call(
        "live", "publish", delta(*[(f"electrical.p{i}", i) for i in range(MAX_PATHS + 25)])
    )
    data = reply["data"]
    assert data["accepted"] == MAX_PATHS - before
    assert data["rejected"] == 25 + before
    assert data["errors"][0]["message"].startswith("70323")
    assert len(data["errors"]) == 20  # the first twenty are listed, all are counted
    assert live.paths_of["self"] == MAX_PATHS
    assert sum(1 for v, _ in live.latest if v == "self") == MAX_PATHS
    reply = await vessel.call(
        "live", "publish", delta(("electrical.p0", 42), ("electrical.brandnew", 1))
    )
    assert (reply["data"]["accepted"], reply["data"]["rejected"]) == (1, 1)
    assert live.get("self", "electrical.p0")[1] == 42
    assert live.get("self", "electrical.brandnew") is None

    # new vessels past live_max_contexts: 70322
    for i in range(MAX_CONTEXTS - 1):
        reply = await vessel.call(
            "live", "publish", delta(("a", 1), context=f"vessels.urn:mrn:imo:mmsi:2110000{i}")
        )
        assert reply["data"]["accepted"] == 1
    reply = await vessel.call(
        "live", "publish", delta(("a", 1), context="vessels.urn:mrn:imo:mmsi:999999999")
    )
    assert reply["data"]["rejected"] == 1
    assert reply["data"]["errors"][0]["message"].startswith("70322")
    # ... unless one has long been silent: when the state is full, a vessel not heard of
    # for live_context_max_age (an hour) makes room; never the own vessel
    live.heard["self"] -= 7200
    live.heard["urn:mrn:imo:mmsi:21100001"] -= 7200
    live._expire_after = 0  # one look every 10 s: the refusal above just looked
    reply = await vessel.call(
        "live", "publish", delta(("a", 1), context="vessels.urn:mrn:imo:mmsi:999999999")
    )
    assert reply["data"] == {"accepted": 1}
    assert live.get("urn:mrn:imo:mmsi:21100001", "a") is None
    assert live.paths_of["self"] == MAX_PATHS and live.expired == 1

    # values in all past live_max_values: 70324 (the paths of one vessel are within its
    # own limit, the sum is not)
    live.max_values = len(live.latest) + 2
    reply = await vessel.call(
        "live",
        "publish",
        delta(*[(f"b{i}", i) for i in range(5)], context="vessels.urn:mrn:imo:mmsi:21100000"),
    )
    assert (reply["data"]["accepted"], reply["data"]["rejected"]) == (2, 3)
    assert reply["data"]["errors"][0]["message"].startswith("70324")
    size = len(live.latest)
    assert size == live.max_values

    # a flood of new names changes nothing in memory; ingest and modules meet the same
    # limits (the values in all are the first checked)
    for round_ in range(5):
        await vessel.call(
            "live", "publish", delta(*[(f"flood{round_}.{i}", i) for i in range(200)])
        )
        live.publish(
            [Observation(time.time(), f"mmsi{round_}{i}", "x", 1, "ais") for i in range(50)]
        )
    assert len(live.latest) == size
    assert sum(live.paths_of.values()) == size and len(live.paths_of) == MAX_CONTEXTS
    counters = await status(fetch, tokens["admin"])
    assert counters["refused_paths"] == 25 + before + 1
    assert counters["refused_contexts"] == 1
    assert counters["refused_values"] == 3 + 5 * 200 + 5 * 50
    assert counters["live_values"] == size
    assert counters["live_expired"] == 1


async def test_repeats_take_turns_when_the_queue_is_short():
    """Deferred repeats go first when room comes back: a client whose queue holds a third
    of the values gets every one of them within a few periods, none dropped, none twice
    before all were sent once."""
    from isomer_data.services.live.subscriptions import Subscriber, Subscription

    loop = asyncio.get_running_loop()

    class Slow(Subscriber):
        def __init__(self):
            super().__init__(max_in_flight=256, max_bytes=24 * 1024)
            self.waiting: list = []
            self.received: list[list[str]] = []

        def write(self, text):
            self.received.append(
                [v["path"] for u in json.loads(text)["updates"] for v in u["values"]]
            )
            future = loop.create_future()
            self.waiting.append(future)
            return future

        def read_all(self):
            for future in self.waiting:
                future.set_result(None)
            self.waiting = []

    latest = {("self", f"design.note{i}"): (1.0e9, "x" * 300, "test") for i in range(300)}
    client = Slow()
    client.subscribe([Subscription("vessels.self", "design.*", "fixed", period=1.0)])
    order: list[str] = []
    for second in range(20):
        client.tick(1000.0 + second, latest)
        assert client.bytes_in_flight <= client.max_bytes
        order += [p for message in client.received for p in message]
        assert all(len(m) <= 100 for m in client.received)
        client.received = []
        client.read_all()
        await asyncio.sleep(0)  # the futures' callbacks run
    assert client.deferred > 0 and client.dropped == 0
    assert len(set(order[:300])) == 300  # each value once before any twice
    # a vessel the live state forgets (live_context_max_age) leaves no timing state behind
    assert client._last_sent
    client.forget({"self"})
    assert not client._last_sent and not client._pending
