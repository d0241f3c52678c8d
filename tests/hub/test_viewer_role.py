"""Signal K ``readonly`` devices read and write nothing: the ``viewer`` role.

Before: a device the admin approved for ``readonly`` became ``crew``, which writes log
entries, waypoints, applicationData, Signal K PUTs and acknowledges or silences alarms (the
anchor alarm): a stolen display token could silence the alarm. Now ``readonly`` is
``viewer``: it reads what crew reads and writes nothing.
"""

from __future__ import annotations

import asyncio
import json

from signalk_kit import WAYPOINT, delta_for

from isomer_data import migrations

ANCHOR = "notifications.navigation.anchor"
APPDATA = "signalk/v1/applicationData/user/freeboard/1.0.0"


async def _device(started, fetch, hub_connect, admin_token, client_id, permissions):
    code, asked = await fetch(
        "signalk/v1/access/requests",
        "POST",
        {"clientId": client_id, "description": "display", "permissions": permissions},
    )
    assert code == 202
    admin = await hub_connect(admin_token)
    approved = await admin.call("access", "approve", {"requestId": asked["requestId"]})
    assert approved["data"]["permission"] == "APPROVED"
    _, polled = await fetch(f"signalk/v1/requests/{asked['requestId']}")
    token = polled["accessRequest"]["token"]
    return token, await started.users.user_for_token(token)


async def _next(conn, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(conn.read_message(), timeout))


async def test_a_readonly_device_reads_and_writes_nothing(started, tokens, skv2, hub_connect):
    fetch, stream = skv2
    token, device = await _device(
        started, fetch, hub_connect, tokens["admin"], "display-viewer-01", "readonly"
    )
    assert device["roles"] == ["viewer"]

    # reads: the full model, the stream, the notifications, applicationData, login status
    code, model = await fetch("signalk/v1/api/vessels/self", token=token)
    assert code == 200 and isinstance(model, dict)
    code, status = await fetch("skServer/loginStatus", token=token)
    assert code == 200 and status["userLevel"] == "readonly"
    code, _ = await fetch(APPDATA, token=token)
    assert code == 200
    alarm = started.notifications.notify("navigation.anchor", "alarm", "Anchor dragging")
    code, listed = await fetch("signalk/v2/api/notifications", token=token)
    assert code == 200 and alarm in json.dumps(listed)

    ws = await stream(token)
    await ws.write_message(
        json.dumps({"context": "vessels.self", "subscribe": [{"path": "navigation.*"}]})
    )
    started.notifications.notify("navigation.anchor", "alarm", "Anchor dragging still")
    pushed = await delta_for(ws, ANCHOR)
    assert pushed["state"] == "alarm"

    # the stream: no updates, no PUT (acknowledging the anchor alarm, v1)
    await ws.write_message(
        json.dumps(
            {
                "context": "vessels.self",
                "updates": [{"values": [{"path": "navigation.speedOverGround", "value": 9}]}],
            }
        )
    )
    refused = await _next(ws)
    while "error" not in refused:  # a delta may come first
        refused = await _next(ws)
    assert "only vessel identities" in refused["error"]["message"]
    await ws.write_message(
        json.dumps({"requestId": "ack-1", "put": {"path": ANCHOR, "value": {"method": []}}})
    )
    put = await _next(ws)
    while put.get("requestId") != "ack-1":  # a delta may come first
        put = await _next(ws)
    assert put["statusCode"] == 403

    # REST writes: v1 PUT (acknowledge), v2 acknowledge/silence/clear, a waypoint, appdata
    writes = [
        ("signalk/v1/api/vessels/self/notifications/navigation/anchor", "PUT", {"value": {}}),
        (f"signalk/v2/api/notifications/{alarm}/acknowledge", "POST", {}),
        (f"signalk/v2/api/notifications/{alarm}/silence", "POST", {}),
        ("signalk/v2/api/notifications/silenceAll", "POST", {}),
        ("signalk/v2/api/notifications/acknowledgeAll", "POST", {}),
        (f"signalk/v2/api/notifications/{alarm}", "DELETE", None),
        ("signalk/v2/api/notifications", "POST", {"state": "alert", "message": "x"}),
        ("signalk/v2/api/notifications/mob", "POST", {}),
        ("signalk/v2/api/resources/waypoints", "POST", WAYPOINT),
        ("signalk/v2/api/vessels/self/navigation/course/destination", "PUT", {"href": "x"}),
        (APPDATA, "POST", {"theme": "dark"}),
        ("isomer/api/objects/logbookentry", "POST", {"text": "hello"}),
        ("isomer/api/tokens", "POST", {"name": "more"}),
        ("api/kernels", "POST", {}),
        ("api/contents/x.ipynb", "PUT", {"type": "notebook"}),
    ]
    for path, method, body in writes:
        code, _ = await fetch(path, method, body, token, headers={"Origin": fetch.origin})
        assert code == 403, (path, method, code)
    value = started.notifications.get(alarm)["value"]
    assert value["state"] == "alarm" and value["status"]["acknowledged"] is False
    assert value["status"]["silenced"] is False
    assert await started.adb.waypoints.count_documents({}) == 0

    # hub events: reads yes, writes no
    hub = await hub_connect(token)
    assert "error" not in await hub.call("objects", "getlist", {"schema": "waypoint"})
    assert "error" not in await hub.call("live", "snapshot", {})
    for component, action, data in [
        ("objects", "put", {"schema": "logbookentry", "obj": {"text": "x"}}),
        ("objects", "delete", {"schema": "waypoint", "uuid": "0" * 32}),
        ("live", "publish", {"updates": []}),
        ("auth", "createtoken", {"name": "more"}),
    ]:
        reply = await hub.call(component, action, data)
        assert reply["error"]["code"] == "forbidden", (component, action, reply)

    # a readwrite device is unchanged: crew and vessel, and may acknowledge
    rw, rw_device = await _device(
        started, fetch, hub_connect, tokens["admin"], "logger-rw-0001", "readwrite"
    )
    assert rw_device["roles"] == ["crew", "vessel"]
    code, _ = await fetch(
        f"signalk/v2/api/notifications/{alarm}/acknowledge",
        "POST",
        {},
        rw,
        {"Origin": fetch.origin},
    )
    assert code == 200


async def test_module_handlers_refuse_a_viewers_writes(started, tokens, skv2):
    """A module's own handlers default to every role: a viewer still may not change things.
    It sees the read views among the panels, not the admin's."""
    fetch, _ = skv2
    code, panels = await fetch("isomer/api/modules/panels", token=tokens["viewer"])
    assert code == 200
    ids = {panel["id"] for panel in panels["panels"]}
    assert {"instruments", "map", "logbook"} <= ids
    assert not ids & {"users", "modules"}
    code, _ = await fetch("isomer/m/instruments/static/instruments.js", token=tokens["viewer"])
    assert code == 200
    code, _ = await fetch(
        "isomer/m/instruments/static/instruments.js",
        "POST",
        "{}",
        tokens["viewer"],
        {"Origin": fetch.origin},
    )
    assert code == 403


def test_the_migration_turns_readonly_devices_into_viewers(mongo_db):
    users, requests = mongo_db["users"], mongo_db["access_requests"]
    users.insert_many(
        [
            {"_id": "a", "username": "device-ro-1", "roles": ["crew"]},
            {"_id": "b", "username": "device-rw-1", "roles": ["crew", "vessel"]},
            {"_id": "c", "username": "device-ro-2", "roles": ["crew", "scientist"]},  # changed
            {"_id": "d", "username": "skipper", "roles": ["crew"]},
        ]
    )
    requests.insert_many(
        [
            {
                "_id": "1",
                "permissions": "readonly",
                "permission": "APPROVED",
                "user": "device-ro-1",
            },
            {
                "_id": "2",
                "permissions": "readwrite",
                "permission": "APPROVED",
                "user": "device-rw-1",
            },
            {
                "_id": "3",
                "permissions": "readonly",
                "permission": "APPROVED",
                "user": "device-ro-2",
            },
            {"_id": "4", "permissions": "readonly", "permission": "DENIED", "user": None},
        ]
    )
    migrations.migrate(mongo_db, log=lambda _: None)
    roles = {u["username"]: u["roles"] for u in users.find()}
    assert roles == {
        "device-ro-1": ["viewer"],
        "device-rw-1": ["crew", "vessel"],
        "device-ro-2": ["crew", "scientist"],  # an admin gave it more on purpose: kept
        "skipper": ["crew"],
    }
    migrations.migrate(mongo_db, log=lambda _: None)  # idempotent
    assert users.find_one({"_id": "a"})["roles"] == ["viewer"]


async def test_a_foreign_origin_cannot_use_a_viewer_cookie_or_token_to_write(started, tokens, skv2):
    fetch, _ = skv2
    code, _ = await fetch(
        APPDATA, "POST", {"x": 1}, tokens["viewer"], {"Origin": "http://evil.example"}
    )
    assert code == 403


async def test_anonymous_reads_nothing_a_viewer_reads(started, skv2):
    fetch, _ = skv2
    for path in ("signalk/v2/api/notifications", APPDATA, "signalk/v1/api/vessels/self"):
        code, _ = await fetch(path, headers={"Authorization": ""})
        assert code in (401, 403), path


async def test_admins_create_viewer_users(started, tokens, hub_connect, skv2):
    """The users panel's call: an admin makes a person who only looks; crew cannot."""
    fetch, _ = skv2
    user = {"username": "guest1", "roles": ["viewer"], "password": "a long guest pass"}
    crew = await hub_connect(tokens["crew"])
    refused = await crew.call("objects", "put", {"schema": "user", "object": user})
    assert refused["error"]["code"] == "forbidden"
    admin = await hub_connect(tokens["admin"])
    made = await admin.call("objects", "put", {"schema": "user", "object": user})
    assert "error" not in made, made
    stored = await started.users.get("guest1")
    assert stored["roles"] == ["viewer"]
    token, _ = await started.users.issue_token(stored, name="t")
    code, status = await fetch("skServer/loginStatus", token=token)
    assert (code, status["userLevel"]) == (200, "readonly")
