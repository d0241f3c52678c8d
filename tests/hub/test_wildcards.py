"""Path wildcards: one matcher for hub, Signal K stream and data API, without backtracking.

A regular expression built from ``*`` (``.*`` per star) backtracks: ``*********Z`` took
12 s in the hub and 163 s of database time in the data API. These tests send many-star
patterns everywhere a pattern is accepted and require quick answers, and check that the
matching itself is what it was.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import time

import pandas as pd
import pytest
import tornado.httpclient
import tornado.websocket
from isomer_data.ingest.observation import Observation
from tornado.httpclient import HTTPClientError

from isomer_data.store.observations import ensure_indexes, write_observations
from isomer_data.wildcards import MAX_LENGTH, MAX_SEGMENTS, Wildcard, WildcardError

EVIL = "*" * 12 + "Z"
SPREAD = "*a" * 12 + "*Z"  # stars that cannot collapse
LONG_PATH = "environment." + "a" * 120 + ".value"
# Generous for a shared 2-core machine; the backtracking version needed minutes.
QUICK = 1.0


def _regex(pattern: str) -> re.Pattern:
    """The old matcher, kept here only as the reference for the semantics."""
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


@pytest.mark.parametrize(
    "pattern",
    [
        "*",
        "navigation.*",
        "vessels.*",
        "*.position",
        "navigation.position",
        "nav*ion.*",
        "**",
        "a**b",
        "*a*",
        "env*.*.below*",
        "",
        "*Z",
        "vessels.self",
    ],
)
def test_matching_is_unchanged(pattern):
    texts = [
        "",
        "navigation",
        "navigation.",
        "navigation.position",
        "navigation.speedOverGround",
        "vessels.self",
        "vessels.urn:mrn:imo:mmsi:211000001",
        "environment.depth.belowTransducer",
        "environment.depth.belowKeel",
        "a",
        "ab",
        "aab",
        "ba",
        "Z",
        "aZ",
        "navigationposition",
        "a.b.c.d.e",
    ]
    reference = _regex(pattern)
    wildcard = Wildcard(pattern)
    for text in texts:
        assert wildcard.matches(text) == bool(reference.match(text)), (pattern, text)


def test_many_stars_match_in_no_time():
    started = time.perf_counter()
    for pattern in (EVIL, SPREAD, "*" * 200 + "Q"):
        assert not Wildcard(pattern).matches(LONG_PATH)
    assert Wildcard(SPREAD).matches("a" * 12 + "Z")
    assert time.perf_counter() - started < 0.1


def test_patterns_are_bounded_with_a_clear_error():
    with pytest.raises(WildcardError, match="at most 256 characters"):
        Wildcard("a" * (MAX_LENGTH + 1))
    with pytest.raises(WildcardError, match="segments"):
        Wildcard(".".join(["a"] * (MAX_SEGMENTS + 1)))
    with pytest.raises(WildcardError, match="'\\*' wildcards"):
        Wildcard("*x" * 40)
    with pytest.raises(WildcardError):
        Wildcard(7)


async def test_hub_subscribe_with_many_stars_answers_at_once(started, tokens, hub_connect):
    started.live.publish([Observation(time.time(), "self", LONG_PATH, 1.0, "test")])
    client = await hub_connect(tokens["crew"])
    for pattern in (EVIL, SPREAD):
        t0 = time.perf_counter()
        reply = await client.call("live", "subscribe", {"paths": [pattern]}, timeout=10)
        assert "data" in reply, reply
        assert time.perf_counter() - t0 < QUICK
    t0 = time.perf_counter()
    reply = await client.call("live", "unsubscribe", {"path": EVIL}, timeout=10)
    assert time.perf_counter() - t0 < QUICK
    # a new value for the long path is checked against both patterns, quickly
    started.live.publish([Observation(time.time(), "self", LONG_PATH, 2.0, "test")])
    assert "data" in await client.call("hub", "ping", timeout=QUICK)
    too_long = await client.call("live", "subscribe", {"paths": ["a" * 300]})
    assert too_long["error"]["code"] == "invalid"
    assert "256 characters" in too_long["error"]["message"]


async def test_signalk_stream_with_many_stars_answers_at_once(
    started, tokens, http_server_client, jp_http_port, jp_base_url
):
    started.live.publish([Observation(time.time(), "self", LONG_PATH, 1.0, "test")])
    request = tornado.httpclient.HTTPRequest(
        f"ws://localhost:{jp_http_port}{jp_base_url}signalk/v1/stream?subscribe=none",
        headers={"Authorization": f"Bearer {tokens['crew']}"},
    )
    ws = await tornado.websocket.websocket_connect(request)
    json.loads(await ws.read_message())  # hello
    t0 = time.perf_counter()
    await ws.write_message(
        json.dumps({"context": "vessels.self", "subscribe": [{"path": EVIL, "policy": "instant"}]})
    )
    await ws.write_message(json.dumps({"context": "*", "unsubscribe": [{"path": SPREAD}]}))
    await ws.write_message(json.dumps({"subscribe": [{"path": "x" * 300}]}))
    error = json.loads(await asyncio.wait_for(ws.read_message(), 10))
    assert "256 characters" in error["error"]["message"]
    started.live.publish([Observation(time.time(), "self", LONG_PATH, 2.0, "test")])
    await ws.write_message("[]")  # a barrier: its error says everything above was handled
    assert "error" in json.loads(await asyncio.wait_for(ws.read_message(), 10))
    assert time.perf_counter() - t0 < QUICK
    ws.close()


async def test_data_api_with_many_stars_answers_at_once(started, tokens, jp_fetch):
    db = started.database.db
    ensure_indexes(db)
    now = time.time()
    write_observations(
        db,
        [Observation(now, "self", LONG_PATH, 1.0, "t"), Observation(now, "self", "a.Z", 2.0, "t")],
        origin="test",
        batch=0,
    )
    headers = {"Authorization": f"token {tokens['scientist']}"}

    async def query(*patterns):
        t0 = time.perf_counter()
        reply = await jp_fetch(
            "isomer",
            "api",
            "data",
            "observations",
            params=[("path", p) for p in patterns],
            headers=headers,
            request_timeout=30,
        )
        assert time.perf_counter() - t0 < QUICK
        return pd.read_parquet(io.BytesIO(reply.body))

    assert list((await query(EVIL))["path"]) == ["a.Z"]
    assert len(await query(SPREAD)) == 0
    assert set((await query("environment.*", "a.Z"))["path"]) == {LONG_PATH, "a.Z"}
    with pytest.raises(HTTPClientError) as refused:
        await query("q" * 300)
    assert refused.value.code == 400
    error = json.loads(refused.value.response.body)["error"]
    assert error["code"] == "invalid"
    assert "256 characters" in error["message"]


async def test_subscriptions_per_connection_are_bounded(started, tokens, hub_connect):
    client = await hub_connect(tokens["crew"])
    for start in range(0, 1024, 256):
        paths = [f"environment.p{i}" for i in range(start, start + 256)]
        assert "data" in await client.call("live", "subscribe", {"paths": paths})
    more = await client.call("live", "subscribe", {"paths": ["environment.one.more"]})
    assert more["error"]["code"] == "invalid"
    assert "at most 1024 subscriptions" in more["error"]["message"]
    too_many = await client.call("live", "subscribe", {"paths": ["a"] * 257})
    assert "at most 256 paths" in too_many["error"]["message"]
    # unsubscribing makes room again
    assert (await client.call("live", "unsubscribe", {"path": "environment.p1*"}))["data"]
    assert "data" in await client.call("live", "subscribe", {"paths": ["environment.one.more"]})
