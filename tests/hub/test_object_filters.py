"""Object list filters: each allowed operator against a hand-worked table; the rest refused.

Also: a disabled user can neither log in nor use a token issued before.
"""

from __future__ import annotations

import json

import pytest

ENTRIES = [  # text, time, category, position
    ("A", "2026-11-25T06:00:00Z", "navigation", {"latitude": 50.8, "longitude": -1.3}),
    ("B", "2026-11-25T08:00:00Z", "weather", None),
    ("C", "2026-11-25T10:00:00Z", "engine", {"latitude": 50.7, "longitude": -1.2}),
    ("D", "2026-11-25T12:00:00Z", "navigation", None),
]

TABLE = [
    ({"category": "navigation"}, "AD"),
    ({"category": {"$eq": "weather"}}, "B"),
    ({"category": {"$ne": "navigation"}}, "BC"),
    ({"time": {"$gt": "2026-11-25T08:00:00Z"}}, "CD"),
    ({"time": {"$gte": "2026-11-25T08:00:00Z"}}, "BCD"),
    ({"time": {"$lt": "2026-11-25T08:00:00Z"}}, "A"),
    ({"time": {"$lte": "2026-11-25T08:00:00Z"}}, "AB"),
    ({"category": {"$in": ["weather", "engine"]}}, "BC"),
    ({"category": {"$nin": ["weather", "engine"]}}, "AD"),
    ({"position": {"$exists": True}}, "AC"),
    ({"position": {"$exists": False}}, "BD"),
    ({"category": "navigation", "time": {"$gt": "2026-11-25T07:00:00Z"}}, "D"),
    ({"time": {"$gt": "2026-11-25T07:00:00Z", "$lt": "2026-11-25T11:00:00Z"}}, "BC"),
]


@pytest.fixture
def logbook(started, tokens, hub_connect, jp_asyncio_loop):
    async def fill():
        crew = await hub_connect(tokens["crew"])
        for text, time, category, position in ENTRIES:
            entry = {"text": text, "time": time, "category": category}
            if position:
                entry["position"] = position
            created = await crew.call("objects", "put", {"schema": "logbookentry", "object": entry})
            assert "data" in created, created

    jp_asyncio_loop.run_until_complete(fill())
    return tokens


async def test_every_allowed_operator_selects_what_the_table_says(logbook, hub_connect):
    scientist = await hub_connect(logbook["scientist"])
    for filter_, expected in TABLE:
        reply = await scientist.call(
            "objects", "getlist", {"schema": "logbookentry", "filter": filter_}
        )
        assert "data" in reply, (filter_, reply)
        texts = "".join(sorted(item["text"] for item in reply["data"]["items"]))
        assert texts == expected, filter_
        assert reply["data"]["total"] == len(expected), filter_


@pytest.mark.parametrize(
    "filter_",
    [
        {"$where": "1"},
        {"$or": [{"category": "weather"}, {"category": "engine"}]},
        {"text": {"$regex": ".*"}},
        {"category": {"$function": {"body": "return true", "args": [], "lang": "js"}}},
        {"nosuchfield": 1},
        {"time": {"$gt": {"$date": 0}, "$expr": 1}},
    ],
)
async def test_other_operators_and_unknown_fields_are_refused(logbook, hub_connect, filter_):
    crew = await hub_connect(logbook["crew"])
    reply = await crew.call("objects", "getlist", {"schema": "logbookentry", "filter": filter_})
    assert reply["error"]["code"] == "invalid", reply


async def test_disabled_user_cannot_log_in_or_use_an_earlier_token(
    started, tokens, hub_connect, jp_fetch, password
):
    before = await hub_connect(tokens["crew"])
    assert (await before.call("hub", "whoami"))["data"]["user"] == "crew1"
    await started.adb.users.update_one({"username": "crew1"}, {"$set": {"disabled": True}})
    started.users.forget_cached()  # as the admin's change through the object manager does

    fresh = await hub_connect()
    login = await fresh.call("auth", "login", {"username": "crew1", "password": password})
    assert "error" in login and "data" not in login
    reply = await jp_fetch(
        "isomer",
        "api",
        "login",
        method="POST",
        body=json.dumps({"username": "crew1", "password": password}),
        raise_error=False,
    )
    assert reply.code == 401
    assert await started.users.user_for_token(tokens["crew"]) is None
    refused = await jp_fetch(
        "isomer",
        "api",
        "whoami",
        headers={"Authorization": f"token {tokens['crew']}"},
        raise_error=False,
    )
    assert refused.code in (401, 403)
