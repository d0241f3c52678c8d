"""Signal K notifications with alarm states (silence, acknowledge, clear, MOB) and PUT
requests with their states, over a real server, as Freeboard-SK and Signal K clients use
them; who may act on them."""

from __future__ import annotations

import asyncio
import json
import time

from isomer_data.ingest.observation import Observation
from signalk_kit import delta_for

N = "signalk/v2/api/notifications"
OK = {"state": "COMPLETED", "statusCode": 200, "message": "OK"}
DEPTH = "notifications.environment.depth.belowKeel"


def shallow(platform, state="alarm", source="depth-watch"):
    value = {"state": state, "method": ["visual", "sound"], "message": "2.1 m below the keel"}
    platform.live.publish([Observation(time.time(), "self", DEPTH, value, source)])


async def test_alarms_are_silenced_acknowledged_and_cleared(started, tokens, skv2):
    fetch, stream = skv2
    crew = tokens["crew"]
    watcher = await stream(tokens["scientist"])

    # any source's notification gets an id and a status on its way in
    shallow(started)
    pushed = await delta_for(watcher, DEPTH)
    alarm_id = pushed["id"]
    assert pushed["state"] == "alarm" and pushed["method"] == ["visual", "sound"]
    assert pushed["status"] == {
        "silenced": False,
        "acknowledged": False,
        "canSilence": True,
        "canAcknowledge": True,
        "canClear": False,
    }
    code, listed = await fetch(N, token=tokens["vessel"])
    assert code == 200 and listed[alarm_id]["path"] == DEPTH
    assert listed[alarm_id]["context"].startswith("vessels.urn:mrn:signalk:uuid:")
    code, one = await fetch(f"{N}/{alarm_id}", token=crew)
    assert code == 200 and one["value"]["message"] == "2.1 m below the keel"
    # the v1 full model holds the same value
    code, v1 = await fetch(
        "signalk/v1/api/vessels/self/notifications/environment/depth/belowKeel", token=crew
    )
    assert v1["value"]["id"] == alarm_id

    assert await fetch(f"{N}/{alarm_id}/silence", "POST", {}, crew) == (200, OK)
    pushed = await delta_for(watcher, DEPTH)
    assert pushed["method"] == ["visual"] and pushed["status"]["silenced"] is True
    # the source sends again: still silenced, one id
    shallow(started)
    pushed = await delta_for(watcher, DEPTH)
    assert pushed["id"] == alarm_id and pushed["method"] == ["visual"]
    code, body = await fetch(f"{N}/{alarm_id}/silence", "POST", {}, crew)
    assert code == 400 and body["state"] == "FAILED" and "40247" in body["message"]
    assert (await fetch(f"{N}/{alarm_id}/acknowledge", "POST", {}, tokens["scientist"]))[0] == 200
    pushed = await delta_for(watcher, DEPTH)
    assert pushed["method"] == [] and pushed["status"]["acknowledged"] is True
    # a source's own alarm is only cleared by the source
    code, body = await fetch(f"{N}/{alarm_id}", "DELETE", token=crew)
    assert code == 400 and "cannot be cleared" in body["message"]
    # back to normal, then a new alarm is loud again
    shallow(started, "normal")
    assert (await delta_for(watcher, DEPTH))["state"] == "normal"
    shallow(started, "warn")
    pushed = await delta_for(watcher, DEPTH)
    assert pushed["method"] == ["visual", "sound"] and pushed["status"]["acknowledged"] is False

    # Signal K v1: PUT {method} on the notification's path silences / acknowledges
    code, reply = await fetch(
        "signalk/v1/api/vessels/self/notifications/environment/depth/belowKeel",
        "PUT",
        {"value": {"method": ["visual"]}},
        crew,
    )
    assert code == 200 and reply["state"] == "COMPLETED" and reply["statusCode"] == 200
    assert (await delta_for(watcher, DEPTH))["status"]["silenced"] is True

    # raised through the API: cleared through it; an emergency is never silenced
    code, raised = await fetch(
        N, "POST", {"state": "alarm", "message": "bilge high", "path": "bilge"}, crew
    )
    assert code == 200 and raised["state"] == "COMPLETED"
    pushed = await delta_for(watcher, "notifications.bilge")
    assert pushed["id"] == raised["id"] and pushed["status"]["canClear"] is True
    assert await fetch(f"{N}/{raised['id']}", "PUT", {"message": "bilge very high"}, crew) == (
        200,
        OK,
    )
    assert (await delta_for(watcher, "notifications.bilge"))["message"] == "bilge very high"
    assert await fetch(f"{N}/{raised['id']}", "DELETE", token=crew) == (200, OK)
    assert (await delta_for(watcher, "notifications.bilge"))["state"] == "normal"

    started.live.publish(
        [
            Observation(
                time.time(),
                "self",
                "navigation.position",
                {"latitude": 50.7, "longitude": -1.3},
                "gps",
            )
        ]
    )
    code, mob = await fetch(f"{N}/mob", "POST", {"message": "Jon overboard"}, crew)
    assert code == 200
    pushed = await delta_for(watcher, f"notifications.mob.{mob['id']}")
    assert pushed["state"] == "emergency" and pushed["position"] == {
        "latitude": 50.7,
        "longitude": -1.3,
    }
    assert pushed["createdAt"].endswith("Z") and pushed["status"]["canSilence"] is False
    code, body = await fetch(f"{N}/{mob['id']}/silence", "POST", {}, crew)
    assert code == 400
    assert await fetch(f"{N}/silenceAll", "POST", {}, crew) == (200, OK)
    assert await fetch(f"{N}/acknowledgeAll", "POST", {}, crew) == (200, OK)
    code, listed = await fetch(N, token=crew)
    assert listed[mob["id"]]["value"]["method"] == [
        "visual"
    ]  # an acknowledged emergency stays visual

    for bad in (
        {"state": "panic"},
        {"state": "alarm", "message": "x" * 2000},
        {"state": "alarm", "path": ""},
        [1],
    ):
        code, body = await fetch(N, "POST", bad, crew)
        assert code == 400 and body["state"] == "FAILED", bad
    assert (await fetch(f"{N}/{'0' * 8}-0000-4000-8000-{'0' * 12}/acknowledge", "POST", {}, crew))[
        0
    ] == 400
    assert (await fetch(f"{N}/{'0' * 8}-0000-4000-8000-{'0' * 12}", token=crew))[0] == 404

    # who may act: crew, scientists, admins; vessels read only; anonymous nothing
    for role, may in (("admin", True), ("vessel", False)):
        code, _ = await fetch(N, "POST", {"state": "alert", "message": role}, tokens[role])
        assert (code == 200) == may, role
        code, _ = await fetch(f"{N}/silenceAll", "POST", {}, tokens[role])
        assert (code == 200) == may, role
    code, _ = await fetch(N, headers={"Authorization": ""})
    assert code in (401, 403)
    code, _ = await fetch(f"{N}/mob", "POST", {}, headers={"Authorization": ""})
    assert code in (401, 403)


async def test_modules_raise_and_clear_through_the_python_api(started, tokens, skv2):
    fetch, stream = skv2
    watcher = await stream(tokens["crew"])
    notifications = started.notifications
    first = notifications.notify(
        "navigation.closestApproach", "warn", "CPA 0.2 nm in 6 min", source="ais-targets"
    )
    pushed = await delta_for(watcher, "notifications.navigation.closestApproach")
    assert pushed["id"] == first and pushed["state"] == "warn"
    again = notifications.notify(
        "navigation.closestApproach", "alarm", "CPA 0.1 nm", source="ais-targets"
    )
    assert again == first
    assert notifications.clear_path("navigation.closestApproach", source="ais-targets") == first
    assert notifications.get(first)["value"]["state"] == "normal"
    # a flood of distinct notifications stays bounded
    for i in range(1100):
        notifications.notify(f"test.flood{i}", "alert", "x", source="flood")
        await asyncio.sleep(0) if i % 200 == 0 else None
    assert len(notifications.alarms) <= 1000


async def test_put_requests_go_to_registered_handlers_with_their_states(started, tokens, skv2):
    fetch, stream = skv2
    crew = tokens["crew"]
    done = []

    def anchor_radius(context, path, value, request):
        if not isinstance(value, int | float):
            return {"state": "COMPLETED", "statusCode": 400, "message": "a number of metres"}
        done.append(value)
        return {"state": "SUCCESS"}

    later: list = []

    async def windlass(context, path, value, request):
        later.append(request)
        return {"state": "PENDING"}

    started.puts.register("navigation.anchor.maxRadius", anchor_radius)
    unregister = started.puts.register("steering.windlass", windlass, roles={"crew"})

    path = "signalk/v1/api/vessels/self/navigation/anchor/maxRadius"
    code, reply = await fetch(path, "PUT", {"value": 45}, crew)
    assert code == 200 and reply["state"] == "COMPLETED" and reply["statusCode"] == 200
    assert done == [45]
    code, reply = await fetch(path, "PUT", {"value": "far"}, crew)
    assert code == 400 and reply["statusCode"] == 400 and reply["message"] == "a number of metres"
    code, reply = await fetch(path, "PUT", {"nothing": 1}, crew)
    assert code == 400
    # no handler: 405, Signal K's "not supported"
    code, reply = await fetch(
        "signalk/v1/api/vessels/self/navigation/speedOverGround", "PUT", {"value": 1}, crew
    )
    assert code == 405 and reply["state"] == "COMPLETED" and reply["statusCode"] == 405

    # a handler that answers later: 202 PENDING, then COMPLETED on the request's href
    code, reply = await fetch(
        "signalk/v1/api/vessels/self/steering/windlass", "PUT", {"value": "up"}, crew
    )
    assert (
        code == 202
        and reply["state"] == "PENDING"
        and reply["href"].startswith("/signalk/v1/requests/")
    )
    href = reply["href"].lstrip("/")
    code, polled = await fetch(href, token=crew)
    assert polled["state"] == "PENDING"
    code, _ = await fetch(href, token=tokens["scientist"])  # somebody else's request
    assert code == 404
    later[0].complete(200)
    code, polled = await fetch(href, token=crew)
    assert polled["state"] == "COMPLETED" and polled["statusCode"] == 200
    assert (await fetch(href, token=tokens["admin"]))[0] == 200

    # roles: the windlass is crew's; a vessel identity may not PUT at all
    code, reply = await fetch(
        "signalk/v1/api/vessels/self/steering/windlass", "PUT", {"value": "up"}, tokens["scientist"]
    )
    assert code == 403 and reply["statusCode"] == 403
    code, _ = await fetch(path, "PUT", {"value": 45}, tokens["vessel"])
    assert code == 403
    code, _ = await fetch(path, "PUT", {"value": 45}, headers={"Authorization": ""})
    assert code in (401, 403)
    assert done == [45]

    # the stream's put message: PENDING, then COMPLETED pushed on the same socket
    ws = await stream(crew)
    await ws.write_message(
        json.dumps(
            {
                "context": "vessels.self",
                "requestId": "r-1",
                "put": {"path": "steering.windlass", "value": "down"},
            }
        )
    )
    first = json.loads(await asyncio.wait_for(ws.read_message(), 5))
    assert (
        first["requestId"] == "r-1" and first["state"] == "PENDING" and first["statusCode"] == 202
    )
    later[1].complete(502, "windlass jammed")
    second = json.loads(await asyncio.wait_for(ws.read_message(), 5))
    assert second == {
        **second,
        "requestId": "r-1",
        "state": "COMPLETED",
        "statusCode": 502,
        "message": "windlass jammed",
    }
    await ws.write_message(
        json.dumps(
            {"requestId": "r-2", "put": {"path": "navigation.anchor.maxRadius", "value": 30}}
        )
    )
    reply = json.loads(await asyncio.wait_for(ws.read_message(), 5))
    assert reply["state"] == "COMPLETED" and reply["statusCode"] == 200 and done == [45, 30]
    await ws.write_message(
        json.dumps(
            {"requestId": "r-2", "put": {"path": "navigation.anchor.maxRadius", "value": 31}}
        )
    )
    reply = json.loads(await asyncio.wait_for(ws.read_message(), 5))
    assert "40249" in reply["error"]["message"]  # a requestId in use is refused
    vessel_ws = await stream(tokens["vessel"])
    await vessel_ws.write_message(
        json.dumps({"requestId": "v", "put": {"path": "navigation.anchor.maxRadius", "value": 1}})
    )
    reply = json.loads(await asyncio.wait_for(vessel_ws.read_message(), 5))
    assert reply["statusCode"] == 403 and done == [45, 30]

    unregister()
    code, reply = await fetch(
        "signalk/v1/api/vessels/self/steering/windlass", "PUT", {"value": "up"}, crew
    )
    assert code == 405
