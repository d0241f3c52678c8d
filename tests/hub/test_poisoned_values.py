"""Poisoned values: refused item by item at the edge, and never able to stall storage.

Before: a vessel publishing ``{"x": 2**70}`` or a timestamp in year 9999 was acknowledged,
then every later store flush failed (all later publishes lost), ``live/snapshot`` and
``/signalk/v1/api`` answered 500, and a far-future time pinned the path's live value.
"""

from __future__ import annotations

import asyncio
import json
import time

import tornado.httpclient
import tornado.websocket
from isomer_data.ingest.observation import Observation
from isomer_data.ingest.validation import BadValue, TimeWindow, check_value
from isomer_data.ingest.worker import StoreSink

from isomer_data.store.observations import query_observations


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _poisoned_delta(context: str, good_path: str) -> dict:
    now = time.time()
    return {
        "context": context,
        "updates": [
            {
                "timestamp": _iso(now),
                "values": [
                    {"path": "environment.x", "value": 2**70},
                    {"path": good_path, "value": 4.5},
                    {"path": "environment.nan", "value": float("nan")},
                    {"path": "navigation.position", "value": {"latitude": "x", "longitude": 1}},
                    {"path": "environment.op", "value": {"$where": 1}},
                    {"path": "", "value": 1},
                ],
            },
            {"timestamp": "9999-12-31T23:59:59Z", "values": [{"path": "a.b", "value": 1}]},
            {"timestamp": "1970-01-02T00:00:00Z", "values": [{"path": "a.c", "value": 1}]},
            {"timestamp": _iso(now + 3 * 86400), "values": [{"path": "a.d", "value": 1}]},
            {"timestamp": "not a time", "values": [{"path": "a.e", "value": 1}]},
            "not an update",
        ],
    }


def test_value_checks_name_the_problem():
    for bad, words in [
        (2**70, "out of range"),
        (float("inf"), "finite"),
        ({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}, "deeper"),
        ({"$set": 1}, "may not start with $"),
        ({"a.b": 1}, "may not start with $ or hold ."),
        ({"latitude": 91, "longitude": 0}, "latitude"),
        (list(range(2000)), "more than 1000"),
        ("x" * 20_000, "at most 10000"),
        (object(), "cannot be stored"),
    ]:
        try:
            check_value(bad)
        except BadValue as exc:
            assert words in str(exc), (bad, exc)
        else:
            raise AssertionError(f"{bad!r} was accepted")
    for good in (None, True, 1, -3.5, "text", {"latitude": 1, "longitude": 2}, [1, {"a": 2}]):
        check_value(good)
    window = TimeWindow()
    now = time.time()
    window.check(now + 3600, now)
    for bad in (now + 2 * 86400, 0.0, float("nan"), 1e300):
        try:
            window.check(bad, now)
        except BadValue:
            continue
        raise AssertionError(f"time {bad} was accepted")


async def test_hub_publish_drops_bad_items_and_keeps_the_rest(
    started, tokens, hub_connect, jp_fetch
):
    vessel = await hub_connect(tokens["vessel"])
    reply = await vessel.call(
        "live", "publish", _poisoned_delta("vessels.self", "environment.good")
    )
    data = reply["data"]
    assert data["accepted"] == 1
    assert data["rejected"] == 10
    fields = {e["field"]: e["message"] for e in data["errors"]}
    assert "out of range" in fields["updates[0].values[0]"]
    assert "finite" in fields["updates[0].values[2]"]
    assert "latitude" in fields["updates[0].values[3]"]
    assert "year 9999" in fields["updates[1].timestamp"]
    assert "before 1980" in fields["updates[2].timestamp"]
    assert "after the time it was received" in fields["updates[3].timestamp"]
    assert "ISO 8601" in fields["updates[4].timestamp"]
    assert started.live.rejected >= 10
    status = json.loads((await jp_fetch("isomer", "api", "status")).body)
    assert status["data"]["rejected"] >= 10

    # the live state and its readers are intact
    crew = await hub_connect(tokens["crew"])
    snapshot = await crew.call("live", "snapshot")
    assert snapshot["data"]["self"]["environment.good"]["value"] == 4.5
    headers = {"Authorization": f"Bearer {tokens['crew']}"}
    model = json.loads((await jp_fetch("signalk", "v1", "api", "", headers=headers)).body)
    assert "vessels" in model

    # storage takes the good value, and keeps working for the next publish
    await asyncio.to_thread(started.hub_store.flush)
    await vessel.call(
        "live",
        "publish",
        {"updates": [{"values": [{"path": "environment.later", "value": 1.0}]}]},
    )
    await asyncio.to_thread(started.hub_store.flush)
    frame = query_observations(started.database.db, paths=["environment.*"])
    assert set(frame["path"]) == {"environment.good", "environment.later"}
    assert started.hub_store.errors == 0


async def test_a_future_time_does_not_pin_the_live_value(started, tokens, hub_connect):
    vessel = await hub_connect(tokens["vessel"])
    ahead = time.time() + 3600  # within the window, but an hour ahead of the clock
    await vessel.call(
        "live",
        "publish",
        {"updates": [{"timestamp": _iso(ahead), "values": [{"path": "a.depth", "value": 9.0}]}]},
    )
    assert started.live.get("self", "a.depth")[1] == 9.0
    await vessel.call(
        "live", "publish", {"updates": [{"values": [{"path": "a.depth", "value": 3.0}]}]}
    )
    assert started.live.get("self", "a.depth")[1] == 3.0
    # but an older value does not replace a current one
    await vessel.call(
        "live",
        "publish",
        {
            "updates": [
                {"timestamp": _iso(time.time() - 60), "values": [{"path": "a.depth", "value": 1.0}]}
            ]
        },
    )
    assert started.live.get("self", "a.depth")[1] == 3.0


async def test_signalk_updates_drop_bad_items_and_say_which(
    started, tokens, http_server_client, jp_http_port, jp_base_url
):
    request = tornado.httpclient.HTTPRequest(
        f"ws://localhost:{jp_http_port}{jp_base_url}signalk/v1/stream?subscribe=none",
        headers={"Authorization": f"Bearer {tokens['vessel']}"},
    )
    ws = await tornado.websocket.websocket_connect(request)
    json.loads(await ws.read_message())  # hello
    await ws.write_message(json.dumps(_poisoned_delta("vessels.self", "environment.sk")))
    error = json.loads(await asyncio.wait_for(ws.read_message(), 10))["error"]
    assert error["message"] == "10 value(s) refused, 1 kept"
    assert any("out of range" in e["message"] for e in error["errors"])
    assert started.live.get("self", "environment.sk")[1] == 4.5
    await asyncio.to_thread(started.hub_store.flush)
    frame = query_observations(started.database.db, paths="environment.sk")
    assert list(frame["value"]) == [4.5]
    ws.close()


def test_a_bad_document_never_blocks_the_others(mongo_db):
    """Defence in depth: the store drops what it cannot hold, writes the rest, goes on."""
    sink = StoreSink(mongo_db, origin="poison-test")
    now = time.time()
    sink.write(
        [
            Observation(now, "self", "environment.good", 1.0, "t"),
            Observation(now, "self", "environment.huge", 2**70, "t"),
            Observation(now, "self", "environment.nested", {"n": 2**70}, "t"),
            Observation(1e12, "self", "environment.far", 1.0, "t"),
            Observation(now, "self", "navigation.position", {"latitude": "x", "longitude": 1}, "t"),
        ]
    )
    sink.flush()
    assert sink.invalid == 4
    sink.write([Observation(now + 1, "self", "environment.good", 2.0, "t")])
    sink.flush()
    frame = query_observations(mongo_db, paths="environment.*")
    assert list(frame["value"]) == [1.0, 2.0]
    assert sink.errors == 0 and not sink.pending
