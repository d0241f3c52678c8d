"""Object and schema managers: validation, per-object permissions, pushes, REST."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

ENTRY = {"time": "2026-11-25T06:00:00Z", "category": "navigation", "text": "Passed Fehmarn"}


async def test_admin_creates_user_and_subscribed_panel_is_pushed(started, tokens, hub_connect):
    panel = await hub_connect(tokens["admin"])
    await panel.call("objects", "subscribe", {"schema": "user"})
    admin = await hub_connect(tokens["admin"])
    created = await admin.call(
        "objects",
        "put",
        {
            "schema": "user",
            "object": {"username": "marie", "roles": ["crew"], "password": "s3cret-pass"},
        },
    )
    assert created["data"]["username"] == "marie"
    assert "password" not in created["data"]
    push = await panel.push("objectcreation")
    assert push["data"]["schema"] == "user"
    assert push["data"]["object"]["username"] == "marie"
    assert "password" not in push["data"]["object"]
    # the new user can log in at once
    fresh = await hub_connect()
    login = await fresh.call("auth", "login", {"username": "marie", "password": "s3cret-pass"})
    assert login["data"]["roles"] == ["crew"]
    # and a change reaches the panel too
    uid = created["data"]["uuid"]
    await admin.call(
        "objects", "change", {"schema": "user", "uuid": uid, "change": {"name": "Marie C."}}
    )
    change = await panel.push("objectchange")
    assert change["data"]["object"]["name"] == "Marie C."


async def test_validation_errors_name_the_fields(started, tokens, hub_connect):
    crew = await hub_connect(tokens["crew"])
    bad = await crew.call(
        "objects",
        "put",
        {
            "schema": "logbookentry",
            "object": {
                "time": "yesterday",
                "text": "",
                "position": {"latitude": 91, "longitude": 0},
                "colour": "red",
            },
        },
    )
    assert bad["error"]["code"] == "invalid"
    fields = {p["field"] for p in bad["error"]["details"]}
    assert {"time", "text", "position.latitude", "colour"} <= fields
    assert await started.adb.logbook.count_documents({}) == 0


async def test_object_level_permissions(started, tokens, hub_connect):
    crew = await hub_connect(tokens["crew"])
    scientist = await hub_connect(tokens["scientist"])
    vessel = await hub_connect(tokens["vessel"])
    entry = (await crew.call("objects", "put", {"schema": "logbookentry", "object": ENTRY}))["data"]
    assert entry["author"] == "crew1"
    uid = entry["uuid"]
    # scientists may read and list, not change or delete (schema default perms)
    assert (await scientist.call("objects", "get", {"schema": "logbookentry", "uuid": uid}))[
        "data"
    ]["text"] == ENTRY["text"]
    listed = await scientist.call("objects", "getlist", {"schema": "logbookentry"})
    assert listed["data"]["total"] == 1
    denied = await scientist.call(
        "objects", "change", {"schema": "logbookentry", "uuid": uid, "change": {"text": "x"}}
    )
    assert denied["error"]["code"] == "forbidden"
    # vessels are not in the event's roles at all for writes, and may not list the log
    assert (await vessel.call("objects", "getlist", {"schema": "logbookentry"}))["data"][
        "total"
    ] == 0
    assert (await vessel.call("objects", "put", {"schema": "logbookentry", "object": ENTRY}))[
        "error"
    ]["code"] == "forbidden"
    # the owner may change; search finds it; crew may not create users
    changed = await crew.call(
        "objects",
        "change",
        {"schema": "logbookentry", "uuid": uid, "change": {"text": "Passed Fehmarn bridge"}},
    )
    assert changed["data"]["text"] == "Passed Fehmarn bridge"
    found = await scientist.call("objects", "search", {"schema": "logbookentry", "text": "BRIDGE"})
    assert [i["uuid"] for i in found["data"]["items"]] == [uid]
    user = await crew.call(
        "objects",
        "put",
        {"schema": "user", "object": {"username": "x", "roles": ["admin"], "password": "12345678"}},
    )
    assert user["error"]["code"] == "forbidden"
    # filters are restricted to schema fields and safe operators
    evil = await crew.call(
        "objects", "getlist", {"schema": "logbookentry", "filter": {"$where": "1"}}
    )
    assert evil["error"]["code"] == "invalid"
    deleted = await crew.call("objects", "delete", {"schema": "logbookentry", "uuid": uid})
    assert deleted["data"]["deleted"] is True


async def test_schemas_and_rest(started, tokens, jp_fetch):
    auth = {"Authorization": f"token {tokens['crew']}"}
    schemas = json.loads((await jp_fetch("isomer", "api", "schemas", headers=auth)).body)
    assert {"user", "logbookentry", "waypoint", "vessel"} <= set(schemas)
    assert schemas["logbookentry"]["form"]["order"][0] == "time"
    created = await jp_fetch(
        "isomer",
        "api",
        "objects",
        "waypoint",
        method="POST",
        headers=auth,
        body=json.dumps(
            {"name": "Station 1", "latitude": 54.3, "longitude": 10.9, "kind": "station"}
        ),
    )
    assert created.code == 201
    uid = json.loads(created.body)["uuid"]
    got = json.loads(
        (await jp_fetch("isomer", "api", "objects", "waypoint", uid, headers=auth)).body
    )
    assert got["name"] == "Station 1"
    patched = await jp_fetch(
        "isomer",
        "api",
        "objects",
        "waypoint",
        uid,
        method="PATCH",
        headers=auth,
        body=json.dumps({"latitude": 54.31}),
    )
    assert json.loads(patched.body)["latitude"] == 54.31
    with pytest.raises(HTTPClientError) as bad:
        await jp_fetch(
            "isomer",
            "api",
            "objects",
            "waypoint",
            method="POST",
            headers=auth,
            body=json.dumps({"name": "x", "latitude": 100, "longitude": 0}),
        )
    assert bad.value.code == 400
    assert json.loads(bad.value.response.body)["error"]["details"][0]["field"] == "latitude"
    listed = json.loads(
        (
            await jp_fetch(
                "isomer", "api", "objects", "waypoint", headers=auth, params={"sort": "-name"}
            )
        ).body
    )
    assert listed["total"] == 1
    with pytest.raises(HTTPClientError) as anon:
        await jp_fetch("isomer", "api", "objects", "waypoint", headers={"Authorization": ""})
    assert anon.value.code in (401, 403)
