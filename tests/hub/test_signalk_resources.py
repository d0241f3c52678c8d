"""Signal K v2 resources (routes, waypoints, notes, regions) as objects, over a real server:
what Freeboard-SK sends lands in MongoDB as the platform's objects, reaches a second
client as a delta, is filtered as Signal K server filters, and only the roles that may
write do."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from isomer_data.ingest.observation import Observation
from signalk_kit import ROUTE, WAYPOINT, delta_for

from isomer_data.core.roles import ALL_ROLES, ANONYMOUS

R = "signalk/v2/api/resources"
EVIL = "http://evil.example"


async def test_a_waypoint_made_over_rest_is_the_platforms_object_and_reaches_a_second_client(
    started, tokens, skv2, hub_connect
):
    fetch, stream = skv2
    watcher = await stream(tokens["scientist"])
    hub = await hub_connect(tokens["scientist"])
    await hub.call("objects", "subscribe", {"schema": "waypoint"})
    code, made = await fetch(R + "/waypoints", "POST", WAYPOINT, tokens["crew"])
    assert code == 201 and made["state"] == "COMPLETED" and made["statusCode"] == 201
    rid = made["id"]
    assert uuid.UUID(rid).version == 4 and str(uuid.UUID(rid)) == rid

    # stored through the object manager: the waypoint the panels and notebooks see
    stored = await started.adb.waypoints.find_one({"uuid": uuid.UUID(rid).hex})
    assert stored["latitude"] == 50.66 and stored["longitude"] == -1.59
    assert stored["name"] == "Needles" and stored["type"] == "Waypoint"
    assert stored["properties"] == {"skIcon": "buoy"} and stored["owner"]
    code, obj = await fetch(
        f"isomer/api/objects/waypoint/{uuid.UUID(rid).hex}", token=tokens["scientist"]
    )
    assert code == 200 and obj["name"] == "Needles"

    # the hub's object subscribers and a second Signal K client hear of it
    created = await hub.push("objectcreation")
    assert (
        created["data"]["schema"] == "waypoint" and created["data"]["object"]["name"] == "Needles"
    )
    pushed = await delta_for(watcher, f"resources.waypoints.{rid}")
    assert pushed["feature"]["geometry"]["coordinates"] == [-1.59, 50.66]
    assert pushed["$source"] == "resources-provider"

    code, got = await fetch(f"{R}/waypoints/{rid}", token=tokens["vessel"])
    assert code == 200 and got["name"] == "Needles" and got["description"] == "fairway buoy"
    assert got["feature"]["properties"] == {"skIcon": "buoy"} and got["timestamp"]

    # a waypoint of the panels (objects API) is a Signal K waypoint too, under its dashed id
    code, panel = await fetch(
        "isomer/api/objects/waypoint",
        "POST",
        {
            "name": "Station 4",
            "latitude": 10.5,
            "longitude": 20.25,
            "kind": "station",
            "notes": "CTD",
        },
        tokens["scientist"],
    )
    assert code == 201
    dashed = str(uuid.UUID(panel["uuid"]))
    pushed = await delta_for(watcher, f"resources.waypoints.{dashed}")
    assert pushed["feature"]["geometry"]["coordinates"] == [20.25, 10.5]
    code, listed = await fetch(f"{R}/waypoints", token=tokens["crew"])
    assert code == 200 and set(listed) == {rid, dashed}
    assert listed[dashed]["description"] == "CTD"

    # filters as Signal K server reads them
    code, near = await fetch(
        f"{R}/waypoints?position=[-1.6,50.65]&distance=5000", token=tokens["crew"]
    )
    assert code == 200 and set(near) == {rid}
    code, box = await fetch(f"{R}/waypoints?bbox=[20,10,21,11]", token=tokens["crew"])
    assert set(box) == {dashed}
    code, box = await fetch(f"{R}/waypoints?bbox=19,9,22,12&limit=5", token=tokens["crew"])
    assert set(box) == {dashed}
    code, one = await fetch(f"{R}/waypoints?limit=1", token=tokens["crew"])
    assert len(one) == 1
    for bad in (
        "limit=0",
        "bbox=[1,2,3]",
        "distance=50&position=[0,0]",
        "position=[0,0]",
        "bbox=[0,95,1,96]",
        "distance=1000&position=[200,0]",
        "limit=" + "9" * 600,
    ):
        code, body = await fetch(f"{R}/waypoints?{bad}", token=tokens["crew"])
        assert code == 400 and body["state"] == "FAILED" and "40241" in body["message"], bad

    # PUT replaces what Signal K owns and keeps the platform's own fields
    moved = {
        **WAYPOINT,
        "name": "Needles Fairway",
        "feature": {"geometry": {"type": "Point", "coordinates": [-1.6, 50.65]}},
    }
    code, body = await fetch(f"{R}/waypoints/{dashed}", "PUT", moved, tokens["crew"])
    assert code == 200 and body["state"] == "COMPLETED", body
    stored = await started.adb.waypoints.find_one({"uuid": panel["uuid"]})
    assert stored["kind"] == "station" and stored["notes"] == "CTD"
    assert stored["latitude"] == 50.65 and stored["name"] == "Needles Fairway"
    assert "properties" not in stored
    pushed = await delta_for(
        watcher, f"resources.waypoints.{dashed}", lambda v: v["name"] == "Needles Fairway"
    )
    assert pushed["feature"]["geometry"]["coordinates"] == [-1.6, 50.65]

    # a client's own id creates (Freeboard-SK names new resources itself)
    own = str(uuid.uuid4())
    code, body = await fetch(
        f"{R}/waypoints/{own}",
        "PUT",
        {**WAYPOINT, "timestamp": "x", "$source": "y"},
        tokens["crew"],
    )
    assert code == 200 and await started.adb.waypoints.find_one({"uuid": uuid.UUID(own).hex})

    code, body = await fetch(f"{R}/waypoints/{rid}", "DELETE", token=tokens["scientist"])
    assert code == 200 and body["state"] == "COMPLETED"
    assert await delta_for(watcher, f"resources.waypoints.{rid}", lambda v: v is None) is None
    assert await started.adb.waypoints.find_one({"uuid": uuid.UUID(rid).hex}) is None
    code, body = await fetch(f"{R}/waypoints/{rid}", token=tokens["crew"])
    assert code == 404 and body == {
        "state": "FAILED",
        "statusCode": 404,
        "message": f"Resource not found! ({rid})",
    }


async def test_routes_notes_regions_are_validated_and_filtered(
    started, tokens, skv2, db_url, jp_http_port, jp_base_url
):
    fetch, _ = skv2
    crew = tokens["crew"]
    code, types = await fetch(R, token=crew)
    assert code == 200 and set(types) == {"routes", "waypoints", "notes", "regions", "charts"}
    for unstored in ("tracks", "groups", "infolayers", "symbols", "plotterExtensions"):
        assert await fetch(f"{R}/{unstored}", token=crew) == (200, {})

    route_id = str(uuid.uuid4())
    code, body = await fetch(f"{R}/routes/{route_id}", "PUT", ROUTE, crew)
    assert code == 200, body
    stored = await started.adb.routes.find_one({"uuid": uuid.UUID(route_id).hex})
    assert stored["feature"]["geometry"]["coordinates"][2] == [-1.59, 50.66]

    region = {
        "name": "Firing range",
        "feature": {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[-2.0, 50.5], [-1.9, 50.5], [-1.9, 50.6], [-2.0, 50.5]]],
            },
        },
    }
    code, made = await fetch(f"{R}/regions", "POST", region, crew)
    assert code == 201
    note = {
        "name": "Shallow patch",
        "description": "1.2 m at LAT",
        "position": {"latitude": 50.7, "longitude": -1.4},
        "href": f"/resources/routes/{route_id}",
        "mimeType": "text/plain",
        "group": "hazards",
    }
    code, note_made = await fetch(f"{R}/notes", "POST", note, tokens["scientist"])
    assert code == 201

    code, found = await fetch(f"{R}/routes?bbox=[-1.5,50.7,-1.4,50.8]", token=crew)
    assert set(found) == {route_id}
    assert found[route_id]["feature"]["properties"]["coordinatesMeta"][1] == {"name": "mid"}
    code, found = await fetch(f"{R}/routes?bbox=[10,10,11,11]", token=crew)
    assert found == {}
    code, found = await fetch(f"{R}/regions?bbox=[-2.1,50.4,-1.95,50.55]", token=crew)
    assert set(found) == {made["id"]}
    code, found = await fetch(f'{R}/notes?href="/resources/routes/{route_id}"', token=crew)
    assert set(found) == {note_made["id"]} and found[note_made["id"]]["group"] == "hazards"
    code, found = await fetch(f"{R}/notes?group=other", token=crew)
    assert found == {}

    # a scientist reads the route in a notebook, as an object with its geometry
    import isomer_data

    local = isomer_data.connect(db_url)
    routes = await asyncio.to_thread(local.objects, "route")
    local.close()
    assert list(routes["name"]) == ["Solent"] and routes.geometry[0].geom_type == "LineString"
    assert len(routes.geometry[0].coords) == 3
    remote = isomer_data.connect(
        f"http://localhost:{jp_http_port}{jp_base_url}", token=tokens["scientist"]
    )
    notes = await asyncio.to_thread(remote.objects, "note")
    assert list(notes["name"]) == ["Shallow patch"] and notes.geometry[0].y == 50.7

    bad_bodies = {
        "routes": [
            {"feature": {"geometry": {"type": "LineString", "coordinates": [[0, 91], [0, 0]]}}},
            {"feature": {"geometry": {"type": "LineString", "coordinates": [[0, 0]]}}},
            {"feature": {"geometry": {"type": "Point", "coordinates": [0, 0]}}},
            {**ROUTE, "colour": "red"},
            {**ROUTE, "distance": -1},
            {"feature": {"geometry": {"type": "LineString", "coordinates": [[0, 0]] * 30000}}},
            [1, 2],
        ],
        "waypoints": [
            {"feature": {"geometry": {"type": "Point", "coordinates": [181, 0]}}},
            {"feature": {"geometry": {"type": "Point", "coordinates": [0, float("nan")]}}},
            {"feature": {"geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}},
            {**WAYPOINT, "name": "x" * 200},
            {**WAYPOINT, "extra": 1},
        ],
        "regions": [
            {
                "feature": {
                    "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}
                }
            },
        ],
        "notes": [
            {"position": {"latitude": -91, "longitude": 0}},
            {"href": "javascript:alert(1)"},
            {"url": "x" * 3000},
        ],
    }
    for rtype, bodies in bad_bodies.items():
        for bad in bodies:
            text = json.dumps(bad, allow_nan=True)
            code, body = await fetch(f"{R}/{rtype}", "POST", text, crew)
            assert code in (400, 413) and body["state"] == "FAILED", (rtype, bad, body)
        assert code != 201
    assert await started.adb.routes.count_documents({}) == 1
    assert await started.adb.waypoints.count_documents({}) == 0

    # ids are UUID v4 (or the 32 hex digits of an object); nothing else is created
    for bad_id in ("not-a-uuid", "..%2Fetc", "1" * 64, "1" * 65):
        code, body = await fetch(f"{R}/routes/{bad_id}", "PUT", ROUTE, crew)
        assert code in (400, 404), bad_id
    code, body = await fetch(f"{R}/routes/{uuid.uuid1()}", "PUT", ROUTE, crew)
    assert code == 400 and "40243" in body["message"]
    assert await started.adb.routes.count_documents({}) == 1


async def test_who_may_read_and_write_resources(started, tokens, skv2, password):
    fetch, _ = skv2
    expect_write = {"admin": True, "crew": True, "scientist": True, "vessel": False}
    for role in ALL_ROLES:
        token = tokens.get(role)
        code, _ = await fetch(
            f"{R}/waypoints", token=token, headers={} if token else {"Authorization": ""}
        )
        assert (code == 200) == (role != ANONYMOUS), (role, code)
        code, body = await fetch(
            f"{R}/waypoints",
            "POST",
            WAYPOINT,
            token,
            headers={} if token else {"Authorization": ""},
        )
        may = expect_write.get(role, False)
        assert (code == 201) == may, (role, code, body)
        if not may:
            assert code in (401, 403), (role, code)
            if code == 403:
                assert body["state"] == "FAILED" and body["statusCode"] == 403
        own = str(uuid.uuid4())
        code, _ = await fetch(
            f"{R}/routes/{own}", "PUT", ROUTE, token, headers={} if token else {"Authorization": ""}
        )
        assert (code == 200) == may, (role, code)
    assert await started.adb.waypoints.count_documents({}) == 3  # admin, crew, scientist

    # another crew member's waypoint: crew and scientists may edit it, a vessel may not delete
    code, listed = await fetch(f"{R}/waypoints", token=tokens["vessel"])
    some = next(iter(listed))
    code, _ = await fetch(f"{R}/waypoints/{some}", "DELETE", token=tokens["vessel"])
    assert code == 403

    # a browser page of this server with the login cookie: no XSRF token, same Origin — as
    # Freeboard-SK does; another site's page with the same cookie is refused
    login = await fetch(
        "signalk/v1/auth/login", "POST", {"username": "crew1", "password": password}
    )
    cookie = {"Cookie": f"JAUTHENTICATION={login[1]['token']}"}
    code, body = await fetch(
        f"{R}/waypoints", "POST", WAYPOINT, headers={**cookie, "Origin": fetch.origin}
    )
    assert code == 201, body
    code, _ = await fetch(f"{R}/waypoints", "POST", WAYPOINT, headers={**cookie, "Origin": EVIL})
    assert code in (403, 404)
    code, _ = await fetch(f"{R}/waypoints", "POST", WAYPOINT, headers=cookie)  # no Origin
    assert code == 403
    code, _ = await fetch(f"{R}/waypoints/{some}", "DELETE", headers={**cookie, "Origin": EVIL})
    assert code in (403, 404)
    assert await started.adb.waypoints.count_documents({}) == 4

    # the same for the course, notifications and PUT requests: another site's page with the
    # cookie changes nothing; this server's pages may
    started.live.publish(
        [
            Observation(
                time.time(), "self", "navigation.position", {"latitude": 1, "longitude": 2}, "gps"
            )
        ]
    )
    writes = [
        (
            "signalk/v2/api/vessels/self/navigation/course/destination",
            "PUT",
            {"position": {"latitude": 1.1, "longitude": 2.1}},
        ),
        ("signalk/v2/api/vessels/self/navigation/course/arrivalCircle", "PUT", {"value": 10}),
        ("signalk/v2/api/notifications", "POST", {"state": "alert", "message": "test"}),
        ("signalk/v2/api/notifications/silenceAll", "POST", {}),
        ("signalk/v2/api/notifications/mob", "POST", {}),
        ("signalk/v1/api/vessels/self/notifications/mob", "PUT", {"value": {"method": []}}),
        ("signalk/v2/api/vessels/self/navigation/course", "DELETE", None),
    ]
    for path, method, body in writes:
        code, _ = await fetch(path, method, body, headers={**cookie, "Origin": EVIL})
        assert code in (403, 404), (path, code)
        code, _ = await fetch(path, method, body, headers=cookie)
        assert code == 403, (path, code)
    assert started.course.info["nextPoint"] is None and started.notifications.alarms == {}
    for path, method, body in writes:
        code, reply = await fetch(path, method, body, headers={**cookie, "Origin": fetch.origin})
        # answered by the API itself (the v1 PUT finds no alarm at notifications.mob: a
        # COMPLETED 404 of the request, not a refusal)
        assert code not in (401, 403) and reply.get("state") == "COMPLETED", (path, code, reply)


async def test_a_private_waypoint_is_not_pushed_to_those_who_may_not_read_it(started, tokens, skv2):
    fetch, stream = skv2
    scientist = await stream(tokens["scientist"])
    crew = await stream(tokens["crew"])
    code, made = await fetch(
        "isomer/api/objects/waypoint",
        "POST",
        {
            "name": "secret",
            "latitude": 1,
            "longitude": 2,
            "perms": {"read": ["scientist"], "list": ["scientist"]},
        },
        tokens["scientist"],
    )
    assert code == 201
    dashed = str(uuid.UUID(made["uuid"]))
    assert (await delta_for(scientist, f"resources.waypoints.{dashed}"))["name"] == "secret"
    code, public = await fetch(
        "isomer/api/objects/waypoint",
        "POST",
        {"name": "public", "latitude": 1, "longitude": 2},
        tokens["scientist"],
    )
    # the crew's stream gets the public one and never the secret one
    first = json.loads(await asyncio.wait_for(crew.read_message(), 5))
    paths = [v["path"] for u in first["updates"] for v in u["values"]]
    assert paths == [f"resources.waypoints.{uuid.UUID(public['uuid'])}"]
    code, listed = await fetch(f"{R}/waypoints", token=tokens["crew"])
    assert dashed not in listed
    code, _ = await fetch(f"{R}/waypoints/{dashed}", token=tokens["crew"])
    assert code == 403
