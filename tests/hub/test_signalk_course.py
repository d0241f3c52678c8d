"""Signal K v2 course API over a real server: a destination (waypoint or position), a route
followed point by point, the navigation.course.* deltas and calculated values, who may
steer, and the course kept across a restart."""

from __future__ import annotations

import math
import time
import uuid

import pytest
from isomer_data.ingest.observation import Observation
from signalk_kit import ROUTE, WAYPOINT, delta_for

from isomer_data.services.signalk.course import Course, distance_bearing

C = "signalk/v2/api/vessels/self/navigation/course"
R = "signalk/v2/api/resources"
HERE = {"latitude": 50.76, "longitude": -1.30}
OK = {"state": "COMPLETED", "statusCode": 200, "message": "OK"}


def publish(platform, path, value):
    platform.live.publish([Observation(time.time(), "self", path, value, "gps")])


def test_great_circle_distance_and_bearing():
    d, b = distance_bearing({"latitude": 0, "longitude": 0}, {"latitude": 1, "longitude": 0})
    assert d == pytest.approx(111_195, rel=1e-4) and b == pytest.approx(0)
    d, b = distance_bearing({"latitude": 0, "longitude": 0}, {"latitude": 0, "longitude": -1})
    assert b == pytest.approx(3 * math.pi / 2)


async def test_a_course_to_a_waypoint_and_along_a_route_goes_out_as_deltas(started, tokens, skv2):
    fetch, stream = skv2
    crew = tokens["crew"]
    watcher = await stream(tokens["vessel"])
    code, made = await fetch(f"{R}/waypoints", "POST", WAYPOINT, crew)
    waypoint = f"/resources/waypoints/{made['id']}"
    route_id = str(uuid.uuid4())
    code, _ = await fetch(f"{R}/routes/{route_id}", "PUT", ROUTE, crew)
    route = f"/resources/routes/{route_id}"

    # without the boat's position there is no previous point: refused, as Signal K does
    code, body = await fetch(f"{C}/destination", "PUT", {"href": waypoint}, crew)
    assert code == 400 and "40244" in body["message"]
    publish(started, "navigation.position", HERE)
    publish(started, "navigation.speedOverGround", 3.0)
    publish(started, "navigation.courseOverGroundTrue", math.radians(240))

    code, body = await fetch(
        f"{C}/destination", "PUT", {"href": waypoint, "arrivalCircle": 50}, crew
    )
    assert (code, body) == (200, OK)
    pushed = await delta_for(watcher, "navigation.course.nextPoint")
    assert pushed == {
        "href": waypoint,
        "type": "Waypoint",
        "position": {"latitude": 50.66, "longitude": -1.59},
    }
    distance = await delta_for(watcher, "navigation.course.calcValues.distance")
    expected, bearing = distance_bearing(HERE, {"latitude": 50.66, "longitude": -1.59})
    assert distance == pytest.approx(expected)
    code, course = await fetch(C, token=tokens["vessel"])
    assert course["arrivalCircle"] == 50 and course["activeRoute"] is None
    assert course["previousPoint"] == {"type": "VesselPosition", "position": HERE}
    assert course["startTime"].endswith("Z")
    assert started.live.get("self", "navigation.course.calcValues.bearingTrue")[1] == pytest.approx(
        bearing
    )
    vmg = started.live.get("self", "navigation.course.calcValues.velocityMadeGood")[1]
    assert vmg == pytest.approx(3.0 * math.cos(math.radians(240) - bearing))

    # arriving: inside the 50 m circle, Signal K's arrival notification
    publish(started, "navigation.position", {"latitude": 50.6602, "longitude": -1.5901})
    arrived = await delta_for(watcher, "notifications.navigation.course.arrivalCircleEntered")
    assert arrived["state"] == "alert" and arrived["id"] and "sound" in arrived["method"]
    publish(started, "navigation.position", HERE)

    code, body = await fetch(
        f"{C}/destination", "PUT", {"position": {"latitude": 51, "longitude": 1}}, crew
    )
    assert code == 200
    located = await delta_for(
        watcher, "navigation.course.nextPoint", lambda v: v["type"] == "Location"
    )
    assert located["position"] == {"latitude": 51, "longitude": 1}

    # a route: start at point 1, step on, clamp at the end, jump back, reverse
    code, body = await fetch(f"{C}/activeRoute", "PUT", {"href": route, "pointIndex": 1}, crew)
    assert code == 200, body
    active = await delta_for(watcher, "navigation.course.activeRoute", lambda v: v is not None)
    assert active == {
        "href": route,
        "name": "Solent",
        "reverse": False,
        "pointIndex": 1,
        "pointTotal": 3,
    }
    code, course = await fetch(C, token=crew)
    assert course["nextPoint"]["position"] == {"latitude": 50.72, "longitude": -1.45}
    assert course["previousPoint"] == {
        "type": "RoutePoint",
        "position": {"latitude": 50.76, "longitude": -1.30},
    }
    for expected_index in (2, 2):
        assert (await fetch(f"{C}/activeRoute/nextPoint", "PUT", {}, crew))[0] == 200
        assert (await fetch(C, token=crew))[1]["activeRoute"]["pointIndex"] == expected_index
    assert (await fetch(f"{C}/activeRoute/pointIndex", "PUT", {"value": 0}, crew))[0] == 200
    code, course = await fetch(C, token=crew)
    assert course["previousPoint"]["type"] == "VesselPosition"
    assert (await fetch(f"{C}/activeRoute/reverse", "PUT", None, crew))[0] == 200
    code, course = await fetch(C, token=crew)
    assert course["activeRoute"]["reverse"] is True and course["activeRoute"]["pointIndex"] == 2
    assert course["nextPoint"]["position"] == {"latitude": 50.76, "longitude": -1.30}
    assert (await fetch(f"{C}/activeRoute/refresh", "PUT", None, crew))[0] == 200

    assert (await fetch(f"{C}/arrivalCircle", "PUT", {"value": 100}, crew))[0] == 200
    assert await delta_for(watcher, "navigation.course.arrivalCircle", lambda v: v == 100) == 100
    assert (await fetch(f"{C}/targetArrivalTime", "PUT", {"value": "2030-01-01T12:00:00Z"}, crew))[
        0
    ] == 200
    assert (await fetch(f"{C}/restart", "PUT", None, crew))[0] == 200

    bad = [
        ("destination", {"href": route}),  # a route is not a destination
        ("destination", {"href": "/resources/waypoints/" + str(uuid.uuid4())}),
        ("destination", {"href": "http://elsewhere/x"}),
        ("destination", {"position": {"latitude": 91, "longitude": 0}}),
        ("destination", {"position": {"latitude": 1, "longitude": 0}, "arrivalCircle": -1}),
        ("destination", {}),
        ("destination", [1]),
        ("activeRoute", {"href": waypoint}),
        ("activeRoute", {"href": route, "reverse": "yes"}),
        ("arrivalCircle", {"value": 1e9}),
        ("targetArrivalTime", {"value": "tomorrow"}),
        ("activeRoute/pointIndex", {"value": "x"}),
    ]
    for action, body in bad:
        code, reply = await fetch(f"{C}/{action}", "PUT", body, crew)
        assert code == 400 and reply["state"] == "FAILED", (action, body, reply)

    # who may steer: crew, scientists, admins; a vessel identity and anonymous may not
    for role, allowed in (("scientist", True), ("admin", True), ("vessel", False)):
        code, _ = await fetch(f"{C}/arrivalCircle", "PUT", {"value": 60}, tokens[role])
        assert (code == 200) == allowed, role
    code, _ = await fetch(f"{C}/arrivalCircle", "PUT", {"value": 70}, headers={"Authorization": ""})
    assert code in (401, 403)
    code, _ = await fetch(C, "DELETE", headers={"Authorization": ""})
    assert code in (401, 403)
    code, body = await fetch(C, "DELETE", token=tokens["vessel"])
    assert code == 403 and body["statusCode"] == 403

    # kept in the database: a restarted platform steers the same course
    again = Course(started)
    await again.start()
    again.stop()
    assert again.info["activeRoute"]["href"] == route and again.info["arrivalCircle"] == 60

    code, body = await fetch(C, "DELETE", token=crew)
    assert (code, body) == (200, OK)
    assert await delta_for(watcher, "navigation.course.nextPoint", lambda v: v is None) is None
    code, course = await fetch(C, token=crew)
    assert course["nextPoint"] is None and course["activeRoute"] is None
    code, body = await fetch(f"{C}/activeRoute/nextPoint", "PUT", {}, crew)
    assert code == 400 and "40246" in body["message"]
    code, body = await fetch(f"{C}/restart", "PUT", None, crew)
    assert code == 400
