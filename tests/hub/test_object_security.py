"""Nobody becomes admin through the object manager, and no document poisons the database.

Every attempt is made as each role and anonymously, over the hub (``objects/change``,
``objects/put``) and over REST (``PATCH``/``POST /isomer/api/objects/…``): both go through
the object manager, which enforces the schemas' ``readOnly`` and ``x-isomer-admin-only``
fields, rejects field names with ``.`` or a leading ``$``, non-finite numbers and oversized
or over-nested documents, and reports each with a numbered, coded error.
"""

from __future__ import annotations

import json

import pytest
import tornado.httpclient

from isomer_data.core.roles import ROLES

ANONYMOUS = "anonymous"
PEOPLE = ("crew", "scientist")
DEEP = 100_000


@pytest.fixture
def rest(http_server_client, jp_http_port, jp_base_url, started):
    """``await rest(method, path, token, body)`` → (status, parsed JSON body)."""
    client = tornado.httpclient.AsyncHTTPClient()
    base = f"http://localhost:{jp_http_port}{jp_base_url}isomer/api/"

    async def call(method: str, path: str, token: str | None = None, body=None):
        headers = {"Authorization": f"token {token}"} if token else {}
        if body is not None and not isinstance(body, str | bytes):
            body = json.dumps(body)
        response = await client.fetch(
            base + path,
            method=method,
            headers=headers,
            body=body,
            raise_error=False,
            follow_redirects=False,
            allow_nonstandard_methods=True,
        )
        try:
            data = json.loads(response.body) if response.body else None
        except ValueError:
            data = response.body
        return response.code, data

    return call


async def _user(platform, username: str) -> dict:
    return await platform.users.users.find_one({"username": username})


def _token(tokens, role):
    return None if role == ANONYMOUS else tokens[role]


# Self-promotion and other users' records --------------------------------------------------

SELF_CHANGES = [
    {"roles": ["admin"]},
    {"roles": ["crew", "scientist", "vessel"]},
    {"disabled": True},
    {"username": "captain"},
    {"password": "a-new-password"},
    {"perms": {"read": ["crew"], "write": ["crew"], "list": ["crew"], "delete": ["crew"]}},
]


def _expected_refusal(role: str, over: str) -> set[str]:
    if role == ANONYMOUS:
        return {"unauthenticated"} if over == "hub" else {403, 401}
    if role == "vessel" and over == "hub":
        return {"forbidden"}  # objects/change is not a vessel's event at all
    return {"forbidden"} if over == "hub" else {403}


NON_ADMINS = [r for r in ROLES if r != "admin"] + [ANONYMOUS]


async def test_nobody_but_an_admin_changes_roles_or_disabled(started, tokens, hub_connect, rest):
    # One server for every role (nothing may change, so they cannot disturb each other).
    for role in NON_ADMINS:
        await _attempts_over_the_hub(role, started, tokens, hub_connect)
        await _attempts_over_rest(role, started, tokens, rest)


async def _attempts_over_the_hub(role, started, tokens, hub_connect):
    own = await _user(started, f"{role}1" if role != ANONYMOUS else "crew1")
    other = await _user(started, "admin1")
    client = await hub_connect(_token(tokens, role))
    for change in SELF_CHANGES:
        reply = await client.call(
            "objects", "change", {"schema": "user", "uuid": own["uuid"], "change": change}
        )
        assert reply["error"]["code"] in _expected_refusal(role, "hub"), (role, change, reply)
    for change in ({"name": "Mallory"}, {"roles": ["crew"]}, {"disabled": True}):
        reply = await client.call(
            "objects", "change", {"schema": "user", "uuid": other["uuid"], "change": change}
        )
        assert reply["error"]["code"] in _expected_refusal(role, "hub"), (role, change, reply)
    # a new admin cannot be created either
    reply = await client.call(
        "objects",
        "put",
        {
            "schema": "user",
            "object": {"username": "mallory", "roles": ["admin"], "password": "12345678-x"},
        },
    )
    assert reply["error"]["code"] in _expected_refusal(role, "hub")
    # nothing changed in the database
    after = await _user(started, own["username"])
    assert {k: v for k, v in after.items() if k != "modified"} == own
    assert await _user(started, "admin1") == other
    assert await _user(started, "mallory") is None
    # and the connection is still usable
    assert (await client.call("hub", "whoami"))["data"]["roles"] == [role]


async def _attempts_over_rest(role, started, tokens, rest):
    own = await _user(started, f"{role}1" if role != ANONYMOUS else "crew1")
    other = await _user(started, "admin1")
    token = _token(tokens, role)
    # the caller sees their own record (read is fine) …
    if role != ANONYMOUS:
        status, listed = await rest("GET", "objects/user", token)
        assert status == 200
        assert [item["username"] for item in listed["items"]] == [own["username"]]
    # … but may not promote, disable or rename themselves, nor touch anyone else
    for change in SELF_CHANGES:
        status, body = await rest("PATCH", f"objects/user/{own['uuid']}", token, change)
        assert status in _expected_refusal(role, "rest"), (role, change, status, body)
        if role != ANONYMOUS:
            assert body["error"]["code"] == "forbidden"
    for change in ({"name": "Mallory"}, {"roles": ["crew"]}):
        status, body = await rest("PATCH", f"objects/user/{other['uuid']}", token, change)
        assert status in _expected_refusal(role, "rest"), (role, change, status, body)
    status, body = await rest(
        "POST",
        "objects/user",
        token,
        {"username": "mallory", "roles": ["admin"], "password": "12345678-x"},
    )
    assert status in _expected_refusal(role, "rest"), (role, body)
    after = await _user(started, own["username"])
    assert {k: v for k, v in after.items() if k != "modified"} == own
    assert await _user(started, "admin1") == other
    assert await _user(started, "mallory") is None


async def test_people_may_change_their_own_display_name_only(started, tokens, hub_connect, rest):
    crew = await hub_connect(tokens["crew"])
    own = await _user(started, "crew1")
    renamed = await crew.call(
        "objects", "change", {"schema": "user", "uuid": own["uuid"], "change": {"name": "Jo"}}
    )
    assert renamed["data"]["name"] == "Jo"
    assert renamed["data"]["roles"] == ["crew"]
    status, body = await rest(
        "PATCH", f"objects/user/{own['uuid']}", tokens["crew"], {"name": "Jo C."}
    )
    assert status == 200 and body["name"] == "Jo C."
    # sending an admin-only field unchanged is not a change, and is accepted
    status, body = await rest(
        "PATCH", f"objects/user/{own['uuid']}", tokens["crew"], {"roles": ["crew"], "name": "J"}
    )
    assert status == 200 and body["roles"] == ["crew"]
    # read-only fields are refused with a numbered error naming the field
    reply = await crew.call(
        "objects", "change", {"schema": "user", "uuid": own["uuid"], "change": {"owner": "x"}}
    )
    assert reply["error"]["code"] == "invalid"
    assert reply["error"]["message"].startswith("40221")
    assert reply["error"]["details"] == {"field": "owner"}
    # an admin-only field names the field too
    reply = await crew.call(
        "objects",
        "change",
        {"schema": "user", "uuid": own["uuid"], "change": {"roles": ["admin"]}},
    )
    assert reply["error"]["message"].startswith("40220")
    assert reply["error"]["details"] == {"field": "roles"}


async def test_admins_may_change_roles_disabled_and_create_admins(
    started, tokens, hub_connect, rest
):
    admin = await hub_connect(tokens["admin"])
    crew = await _user(started, "crew1")
    promoted = await admin.call(
        "objects",
        "change",
        {"schema": "user", "uuid": crew["uuid"], "change": {"roles": ["crew", "admin"]}},
    )
    assert promoted["data"]["roles"] == ["crew", "admin"]
    status, body = await rest(
        "PATCH", f"objects/user/{crew['uuid']}", tokens["admin"], {"disabled": True}
    )
    assert status == 200 and body["disabled"] is True
    created = await admin.call(
        "objects",
        "put",
        {
            "schema": "user",
            "object": {"username": "second-admin", "roles": ["admin"], "password": "s3cret-pass"},
        },
    )
    assert created["data"]["roles"] == ["admin"]
    status, body = await rest(
        "POST",
        "objects/user",
        tokens["admin"],
        {"username": "third-admin", "roles": ["admin"], "password": "s3cret-pass"},
    )
    assert status == 201 and body["roles"] == ["admin"]
    # the server's fields stay the server's, even for admins
    reply = await admin.call(
        "objects", "change", {"schema": "user", "uuid": crew["uuid"], "change": {"uuid": "x"}}
    )
    assert reply["error"]["code"] == "invalid"


async def test_admin_only_fields_hold_even_where_non_admins_may_create(
    started, tokens, hub_connect, monkeypatch
):
    schemas = started.objects.schemas
    assert schemas.admin_only("user") >= {"roles", "disabled", "username", "password", "perms"}
    for name in schemas.object_schemas:
        assert {"uuid", "owner", "created", "modified"} <= schemas.read_only(name), name
    # Only admins may create users (x-isomer.create); were crew allowed to, the field gate
    # would still keep them from choosing roles.
    monkeypatch.setitem(schemas.meta("user"), "create", ["crew"])
    crew = await hub_connect(tokens["crew"])
    for roles in (["admin"], ["crew"]):
        reply = await crew.call(
            "objects",
            "put",
            {
                "schema": "user",
                "object": {"username": "mallory", "roles": roles, "password": "12345678-x"},
            },
        )
        assert reply["error"]["code"] == "forbidden", reply
        assert reply["error"]["message"].startswith("40220")
    assert await _user(started, "mallory") is None


# Field names, numbers, sizes ---------------------------------------------------------------

WAYPOINT = {"name": "Station 1", "latitude": 54.3, "longitude": 10.9, "kind": "station"}


async def test_dotted_keys_cannot_strip_permissions_and_delete_others_objects(
    started, tokens, hub_connect, rest
):
    scientist = await hub_connect(tokens["scientist"])
    crew = await hub_connect(tokens["crew"])
    perms = {"read": ["crew", "scientist"], "write": ["crew"], "list": ["crew"], "delete": []}
    made = await scientist.call(
        "objects", "put", {"schema": "waypoint", "object": {**WAYPOINT, "perms": perms}}
    )
    uid = made["data"]["uuid"]
    attack = {f"perms.{op}": None for op in ("read", "write", "list", "delete")}
    reply = await crew.call(
        "objects", "change", {"schema": "waypoint", "uuid": uid, "change": attack}
    )
    assert reply["error"]["code"] == "invalid"
    assert reply["error"]["message"].startswith("40210")
    status, body = await rest("PATCH", f"objects/waypoint/{uid}", tokens["crew"], attack)
    assert status == 400 and body["error"]["message"].startswith("40210")
    for change in ({"$set": {"owner": "x"}}, {"notes": "x", "position": {"a.b": 1}}):
        reply = await crew.call(
            "objects", "change", {"schema": "waypoint", "uuid": uid, "change": change}
        )
        assert reply["error"]["message"].startswith("40210"), reply
    denied = await crew.call("objects", "delete", {"schema": "waypoint", "uuid": uid})
    assert denied["error"]["code"] == "forbidden"
    stored = await started.adb.waypoints.find_one({"uuid": uid})
    assert stored["perms"] == perms
    # creating with such names fails the same way, at any depth
    for obj in (
        {**WAYPOINT, "$where": "1"},
        {**WAYPOINT, "perms": {"read.x": ["crew"]}},
        {**WAYPOINT, "perms": {"read": ["crew"], "list": [{"$gt": ""}]}},
    ):
        reply = await crew.call("objects", "put", {"schema": "waypoint", "object": obj})
        assert reply["error"]["message"].startswith("40210"), reply
        status, body = await rest("POST", "objects/waypoint", tokens["crew"], obj)
        assert status == 400 and body["error"]["message"].startswith("40210"), body


async def test_nan_and_infinity_never_reach_the_database(started, tokens, hub_connect, rest):
    crew = await hub_connect(tokens["crew"])
    # json.dumps writes NaN and Infinity, as a careless client would
    for value in (float("nan"), float("inf"), float("-inf")):
        reply = await crew.call(
            "objects", "put", {"schema": "waypoint", "object": {**WAYPOINT, "latitude": value}}
        )
        assert reply["error"]["code"] == "invalid", reply
        assert reply["error"]["message"].startswith("40211")
        assert reply["error"]["details"] == {"field": "latitude"}
    for text in ("NaN", "Infinity", "-Infinity", "1e400"):
        body = '{"name": "x", "vessel": "self", "length": ' + text + "}"
        status, reply = await rest("POST", "objects/vessel", tokens["crew"], body)
        assert status == 400, (text, reply)
        assert reply["error"]["code"] in ("bad_json", "invalid")
        assert reply["error"]["message"][:5] in ("40201", "40211")
    made = await crew.call("objects", "put", {"schema": "waypoint", "object": WAYPOINT})
    uid = made["data"]["uuid"]
    reply = await crew.call(
        "objects",
        "change",
        {"schema": "waypoint", "uuid": uid, "change": {"longitude": float("nan")}},
    )
    assert reply["error"]["message"].startswith("40211")
    status, reply = await rest(
        "PATCH", f"objects/waypoint/{uid}", tokens["crew"], '{"longitude": NaN}'
    )
    assert status == 400 and reply["error"]["code"] == "bad_json"
    assert await started.adb.waypoints.count_documents({}) == 1
    assert (await started.adb.waypoints.find_one({"uuid": uid}))["longitude"] == 10.9


async def test_objects_are_bounded_in_size_and_depth(started, tokens, hub_connect, rest):
    crew = await hub_connect(tokens["crew"])
    huge = {"time": "2026-11-25T06:00:00Z", "text": "x" * 300_000}
    reply = await crew.call("objects", "put", {"schema": "logbookentry", "object": huge})
    assert reply["error"]["code"] == "too_large"
    assert reply["error"]["message"].startswith("40212")
    status, body = await rest("POST", "objects/logbookentry", tokens["crew"], huge)
    assert status == 413 and body["error"]["message"].startswith("40212")
    nested: dict = {"x": 1}
    for _ in range(40):
        nested = {"x": nested}
    deep = {**WAYPOINT, "notes": nested}
    reply = await crew.call("objects", "put", {"schema": "waypoint", "object": deep})
    assert reply["error"]["message"].startswith("40213"), reply
    status, body = await rest("POST", "objects/waypoint", tokens["crew"], deep)
    assert status == 400 and body["error"]["message"].startswith("40213")
    # a REST body beyond the request limit is refused before it is parsed
    status, body = await rest(
        "POST", "objects/waypoint", tokens["crew"], b'{"name": "' + b"x" * 2_000_000 + b'"}'
    )
    assert status == 413 and body["error"]["code"] == "too_large"
    assert await started.adb.logbook.count_documents({}) == 0
    assert await started.adb.waypoints.count_documents({}) == 0


# Deep JSON ---------------------------------------------------------------------------------


async def test_deep_json_on_the_hub_is_bad_json_and_the_socket_stays_open(
    started, tokens, hub_connect
):
    for token in (None, tokens["crew"]):
        client = await hub_connect(token)
        for raw in ("[" * DEEP + "]" * DEEP, '{"a":' * DEEP + "1" + "}" * DEEP, "[" * DEEP):
            await client.conn.write_message(raw)
            reply = await client.recv()
            assert reply["error"]["code"] == "bad_json", reply
            assert reply["error"]["message"].startswith(("40201", "40202"))
        # 65 levels inside an otherwise fine message are refused too (the limit is 64)
        ping = json.dumps({"component": "hub", "action": "ping", "data": [[[]]], "id": 1})
        too_deep = ping.replace("[[[]]]", "[" * 65 + "]" * 65)
        await client.conn.write_message(too_deep)
        assert (await client.recv())["error"]["message"].startswith("40202")
        fine = ping.replace("[[[]]]", "[" * 60 + "]" * 60)
        await client.conn.write_message(fine)
        assert "data" in await client.recv()
        assert (await client.call("hub", "ping", {"x": "[[[{{{"}))["data"]
        # binary frames are parsed the same way
        await client.conn.write_message(("[" * DEEP).encode(), binary=True)
        assert (await client.recv())["error"]["code"] == "bad_json"
        assert "data" in await client.call("hub", "whoami")


async def test_deep_json_over_rest_is_a_coded_400(started, tokens, rest):
    for path, method in (("objects/waypoint", "POST"), ("objects/waypoint/abc", "PATCH")):
        status, body = await rest(method, path, tokens["crew"], "[" * DEEP + "]" * DEEP)
        assert status == 400, (path, status, body)
        assert body["error"]["code"] == "bad_json"
        assert body["error"]["message"].startswith("40202")
    status, body = await rest(
        "GET", "objects/waypoint?filter=" + "%5B" * 5000, tokens["crew"], None
    )
    assert status == 400 and body["error"]["code"] == "bad_json"
    status, body = await rest("POST", "objects/waypoint", tokens["crew"], "{not json")
    assert status == 400 and body["error"]["message"].startswith("40201")


async def test_users_may_not_delete_their_own_record(started, tokens, hub_connect, rest):
    # The user schema lets an owner read, list and write (its display name) only.
    for role in PEOPLE:
        own = await _user(started, f"{role}1")
        client = await hub_connect(tokens[role])
        reply = await client.call("objects", "delete", {"schema": "user", "uuid": own["uuid"]})
        assert reply["error"]["code"] == "forbidden"
        status, body = await rest("DELETE", f"objects/user/{own['uuid']}", tokens[role])
        assert status == 403 and body["error"]["code"] == "forbidden"
        assert await _user(started, f"{role}1") == own
    admin = await hub_connect(tokens["admin"])
    gone = await admin.call("objects", "delete", {"schema": "user", "uuid": own["uuid"]})
    assert gone["data"]["deleted"] is True
