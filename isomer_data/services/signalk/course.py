"""Signal K's v2 course API: where the boat is heading (``platform.course``).

``/signalk/v2/api/vessels/self/navigation/course`` sets a destination (a waypoint ``href``
or a position), activates a route (``href``, ``pointIndex``, ``reverse``) and steps along
it, and clears it, as Signal K server does. The course is kept in the database (it outlives
a restart) and published as ``navigation.course.*`` deltas (``startTime``,
``targetArrivalTime``, ``arrivalCircle``, ``activeRoute``, ``nextPoint``,
``previousPoint``), so every stream client and panel follows it.

While a destination is set, each new own position (at most one a second) gives
``navigation.course.calcValues.*``: ``distance``, ``bearingTrue`` (``bearingMagnetic`` when
the magnetic variation is known), ``crossTrackError`` from the leg previous → next,
``velocityMadeGood``, ``timeToGo`` and ``estimatedTimeOfArrival`` (from speed and course over
ground). Great-circle formulas on a sphere, as Signal K's course provider computes them.
Entering the arrival circle raises the notification
``notifications.navigation.course.arrivalCircleEntered`` (``alert``); leaving it, or a new
destination, ends it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import UTC, datetime

from isomer_data.core.errors import DomainError
from isomer_data.core.parsing import coded
from isomer_data.services.signalk.resources import parse_href

log = logging.getLogger(__name__)

COLLECTION = "signalk_state"  # one document per kept state (``_id: "course"``)
SOURCE = "courseApi"
KEYS = (
    "startTime",
    "targetArrivalTime",
    "arrivalCircle",
    "activeRoute",
    "nextPoint",
    "previousPoint",
)
CALC_KEYS = (
    "calcMethod",
    "distance",
    "bearingTrue",
    "bearingMagnetic",
    "crossTrackError",
    "velocityMadeGood",
    "timeToGo",
    "estimatedTimeOfArrival",
)
EARTH_RADIUS = 6_371_008.8  # m
MAX_ARRIVAL_CIRCLE = 100_000.0  # m
CALC_INTERVAL = 1.0  # s between calculations on new positions
ACTIONS = ("nextPoint", "pointIndex", "reverse", "refresh")
ARRIVAL = "notifications.navigation.course.arrivalCircleEntered"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def valid_position(value) -> bool:
    return (
        isinstance(value, dict)
        and _number(value.get("latitude"))
        and _number(value.get("longitude"))
        and -90 <= value["latitude"] <= 90
        and -180 <= value["longitude"] <= 180
    )


def distance_bearing(a: dict, b: dict) -> tuple[float, float]:
    """Great-circle distance (m) and initial bearing (rad, 0..2π) from ``a`` to ``b``."""
    phi1, phi2 = math.radians(a["latitude"]), math.radians(b["latitude"])
    dphi = phi2 - phi1
    dlam = math.radians(b["longitude"] - a["longitude"])
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    distance = 2 * EARTH_RADIUS * math.asin(min(1.0, math.sqrt(h)))
    y = math.sin(dlam) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlam)
    return distance, math.atan2(y, x) % (2 * math.pi)


def calc_values(course: dict, position: dict, sog=None, cog=None, variation=None) -> dict:
    """Signal K's ``calcValues`` for a course and the boat's position (and motion)."""
    nxt = (course.get("nextPoint") or {}).get("position")
    if not valid_position(nxt) or not valid_position(position):
        return {}
    distance, bearing = distance_bearing(position, nxt)
    out: dict = {"calcMethod": "GreatCircle", "distance": distance, "bearingTrue": bearing}
    if _number(variation):
        out["bearingMagnetic"] = (bearing - variation) % (2 * math.pi)
    prev = (course.get("previousPoint") or {}).get("position")
    if valid_position(prev):
        d13, b13 = distance_bearing(prev, position)
        _, b12 = distance_bearing(prev, nxt)
        out["crossTrackError"] = (
            math.asin(max(-1.0, min(1.0, math.sin(d13 / EARTH_RADIUS) * math.sin(b13 - b12))))
            * EARTH_RADIUS
        )
    if _number(sog) and _number(cog):
        vmg = sog * math.cos(cog - bearing)
        out["velocityMadeGood"] = vmg
        if vmg > 0.01:
            out["timeToGo"] = distance / vmg
            eta = datetime.fromtimestamp(time.time() + distance / vmg, UTC)
            out["estimatedTimeOfArrival"] = eta.isoformat(timespec="seconds").replace("+00:00", "Z")
    return out


class Course:
    def __init__(self, platform):
        self.platform = platform
        self.info: dict = {
            "startTime": None,
            "targetArrivalTime": None,
            "arrivalCircle": 0,
            "activeRoute": None,
            "nextPoint": None,
            "previousPoint": None,
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_calc = 0.0
        self._calc_keys: set[str] = set()
        self._arrived = False  # inside the arrival circle of the next point

    @property
    def collection(self):
        return self.platform.adb[COLLECTION]

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        doc = await self.collection.find_one({"_id": "course"})
        if doc and isinstance(doc.get("info"), dict):
            self.info.update({k: doc["info"].get(k) for k in KEYS if k in doc["info"]})
            self.emit()
        self.platform.live.listeners.append(self.observe)

    def stop(self) -> None:
        if self.observe in self.platform.live.listeners:
            self.platform.live.listeners.remove(self.observe)

    # what the boat knows ----------------------------------------------------------------

    def _latest(self, path: str):
        found = self.platform.live.get("self", path)
        return None if found is None else found[1]

    def vessel_position(self) -> dict:
        position = self._latest("navigation.position")
        if not valid_position(position):
            raise coded("invalid", 40244, "Unable to retrieve vessel position!", {"field": ""})
        return {"latitude": position["latitude"], "longitude": position["longitude"]}

    # operations -------------------------------------------------------------------------

    def get(self) -> dict:
        return dict(self.info)

    @staticmethod
    def _arrival_circle(body: dict) -> float | None:
        value = body.get("arrivalCircle")
        if value is None:
            return None
        if not _number(value) or not 0 <= value <= MAX_ARRIVAL_CIRCLE:
            raise coded(
                "invalid",
                40245,
                f"arrivalCircle: 0 to {MAX_ARRIVAL_CIRCLE:g} m",
                {"field": "arrivalCircle"},
            )
        return float(value)

    async def set_destination(self, user, body) -> None:
        if not isinstance(body, dict):
            raise coded("invalid", 40245, "expected {href} or {position}", {"field": ""})
        circle = self._arrival_circle(body)
        if "href" in body:
            rtype, waypoint = await self._resource(user, body["href"])
            if rtype != "waypoints":
                raise coded("invalid", 40242, "href names a waypoint", {"field": "href"})
            lon, lat = waypoint["feature"]["geometry"]["coordinates"][:2]
            next_point = {
                "href": body["href"],
                "type": waypoint.get("type") or "Waypoint",
                "position": {"latitude": lat, "longitude": lon},
            }
        elif "position" in body:
            position = body["position"]
            if not valid_position(position):
                raise coded(
                    "invalid",
                    40245,
                    "position: {latitude -90..90, longitude -180..180}",
                    {"field": "position"},
                )
            next_point = {
                "type": "Location",
                "position": {"latitude": position["latitude"], "longitude": position["longitude"]},
            }
        else:
            raise coded("invalid", 40245, "Destination not provided!", {"field": "href"})
        previous = {"type": "VesselPosition", "position": self.vessel_position()}
        self.info.update(
            startTime=now_iso(), activeRoute=None, nextPoint=next_point, previousPoint=previous
        )
        if circle is not None:
            self.info["arrivalCircle"] = circle
        await self._changed()

    async def _resource(self, user, href) -> tuple[str, dict]:
        if parse_href(href) is None:
            raise coded("invalid", 40242, f"Invalid href! ({str(href)[:80]})", {"field": "href"})
        try:
            return await self.platform.resources.by_href(user, href)
        except DomainError as exc:
            if exc.code in ("not_found", "forbidden"):
                raise coded(
                    "invalid", 40242, f"Error retrieving {str(href)[:80]}", {"field": "href"}
                ) from None
            raise

    @staticmethod
    def _coordinates(route: dict) -> list:
        coordinates = ((route.get("feature") or {}).get("geometry") or {}).get("coordinates")
        if not isinstance(coordinates, list) or not coordinates:
            raise coded("invalid", 40246, "the route has no points", {"field": "href"})
        return coordinates

    @staticmethod
    def _point(coordinates: list, index: int, reverse: bool) -> dict:
        lon, lat = (coordinates[len(coordinates) - 1 - index] if reverse else coordinates[index])[
            :2
        ]
        return {"latitude": lat, "longitude": lon}

    @staticmethod
    def _index(value, coordinates: list) -> int:
        if not _number(value):
            return 0
        return max(0, min(int(value), len(coordinates) - 1))

    def _legs(self, coordinates: list, index: int, reverse: bool) -> None:
        """nextPoint and previousPoint for point ``index`` of the active route (both or none:
        the first point's previous point is the boat, and without a fix that is an error)."""
        if index == 0:
            previous = {"type": "VesselPosition", "position": self.vessel_position()}
        else:
            previous = {
                "type": "RoutePoint",
                "position": self._point(coordinates, index - 1, reverse),
            }
        self.info["nextPoint"] = {
            "type": "RoutePoint",
            "position": self._point(coordinates, index, reverse),
        }
        self.info["previousPoint"] = previous

    async def activate_route(self, user, body) -> None:
        if not isinstance(body, dict) or "href" not in body:
            raise coded("invalid", 40246, "Route information not supplied!", {"field": "href"})
        if "reverse" in body and not isinstance(body["reverse"], bool):
            raise coded("invalid", 40246, "reverse: true or false", {"field": "reverse"})
        if "pointIndex" in body and not _number(body["pointIndex"]):
            raise coded("invalid", 40246, "pointIndex: a number", {"field": "pointIndex"})
        circle = self._arrival_circle(body)
        rtype, route = await self._resource(user, body["href"])
        if rtype != "routes":
            raise coded("invalid", 40242, "href names a route", {"field": "href"})
        coordinates = self._coordinates(route)
        reverse = bool(body.get("reverse", False))
        index = self._index(body.get("pointIndex", 0), coordinates)
        self._legs(coordinates, index, reverse)
        self.info["activeRoute"] = {
            "href": body["href"],
            "name": route.get("name", ""),
            "reverse": reverse,
            "pointIndex": index,
            "pointTotal": len(coordinates),
        }
        self.info["startTime"] = now_iso()
        if circle is not None:
            self.info["arrivalCircle"] = circle
        await self._changed()

    async def route_action(self, user, action: str, body) -> None:
        active = self.info.get("activeRoute")
        if not active:
            raise coded("invalid", 40246, "no active route", {"field": ""})
        body = body if isinstance(body, dict) else {}
        _, route = await self._resource(user, active["href"])
        coordinates = self._coordinates(route)
        index, reverse = active.get("pointIndex", 0), bool(active.get("reverse"))
        if action == "refresh":
            nxt = (self.info.get("nextPoint") or {}).get("position") or {}
            for i, point in enumerate(coordinates):
                if point[:2] == [nxt.get("longitude"), nxt.get("latitude")]:
                    index = len(coordinates) - 1 - i if reverse else i
            active.update(pointIndex=index, pointTotal=len(coordinates))
            await self._changed()
            return
        if action == "nextPoint":
            step = body.get("value", 1)
            step = int(step) if _number(step) and step else 1
            index = self._index(index + step, coordinates)
        elif action == "pointIndex":
            if not _number(body.get("value")):
                raise coded("invalid", 40246, "value: the point's index", {"field": "value"})
            index = self._index(body["value"], coordinates)
        elif action == "reverse":
            if _number(body.get("pointIndex")):
                index = self._index(body["pointIndex"], coordinates)
            else:
                index = len(coordinates) - 1 - index
            reverse = not reverse
        else:
            raise DomainError("not_found", f"no course action {action!r}")
        self._legs(coordinates, index, reverse)
        active.update(pointIndex=index, reverse=reverse, pointTotal=len(coordinates))
        await self._changed()

    async def set_arrival_circle(self, body) -> None:
        value = body.get("value") if isinstance(body, dict) else None
        if not _number(value) or not 0 <= value <= MAX_ARRIVAL_CIRCLE:
            raise coded(
                "invalid", 40245, f"value: 0 to {MAX_ARRIVAL_CIRCLE:g} m", {"field": "value"}
            )
        self.info["arrivalCircle"] = float(value)
        await self._changed("arrivalCircle")

    async def set_target_arrival_time(self, body) -> None:
        value = body.get("value") if isinstance(body, dict) else None
        if value is not None:
            try:
                if not isinstance(value, str) or len(value) > 40:
                    raise ValueError
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    raise ValueError
            except ValueError:
                raise coded(
                    "invalid",
                    40245,
                    "value: an ISO 8601 time with zone, or null",
                    {"field": "value"},
                ) from None
        self.info["targetArrivalTime"] = value
        await self._changed("targetArrivalTime")

    async def restart(self) -> None:
        if not self.info.get("nextPoint"):
            raise coded("invalid", 40246, "No active destination!", {"field": ""})
        self.info["previousPoint"] = {"type": "VesselPosition", "position": self.vessel_position()}
        await self._changed("previousPoint")

    async def clear(self) -> None:
        self.info.update(
            startTime=None,
            targetArrivalTime=None,
            activeRoute=None,
            nextPoint=None,
            previousPoint=None,
        )
        await self._changed()

    # publishing -------------------------------------------------------------------------

    async def _changed(self, *keys: str) -> None:
        await self.collection.update_one(
            {"_id": "course"}, {"$set": {"info": self.info}}, upsert=True
        )
        self.emit(*keys)

    def emit(self, *keys: str) -> None:
        from isomer_data.ingest.observation import Observation

        t = time.time()
        observations = [
            Observation(t, "self", f"navigation.course.{key}", self.info.get(key), SOURCE)
            for key in (keys or KEYS)
        ]
        observations += self._calc_observations(t)
        self.platform.live.publish(observations)

    def _calc_observations(self, t: float) -> list:
        from isomer_data.ingest.observation import Observation

        position = self._latest("navigation.position")
        values = calc_values(
            self.info,
            position,
            self._latest("navigation.speedOverGround"),
            self._latest("navigation.courseOverGroundTrue"),
            self._latest("navigation.magneticVariation"),
        )
        # A value no longer computed (no destination, no speed) is sent once as null.
        gone = self._calc_keys - set(values)
        self._calc_keys = set(values)
        out = [
            Observation(t, "self", f"navigation.course.calcValues.{k}", v, SOURCE)
            for k, v in values.items()
        ]
        out += [
            Observation(t, "self", f"navigation.course.calcValues.{k}", None, SOURCE)
            for k in sorted(gone)
        ]
        circle = self.info.get("arrivalCircle") or 0
        arrived = "distance" in values and circle > 0 and values["distance"] <= circle
        if arrived != self._arrived:
            # Signal K's course provider raises this; Freeboard-SK offers the next point
            self._arrived = arrived
            value = (
                {
                    "state": "alert",
                    "method": ["visual", "sound"],
                    "message": "Entered the arrival circle of the next point",
                }
                if arrived
                else {"state": "normal", "method": [], "message": ""}
            )
            out.append(Observation(t, "self", ARRIVAL, value, SOURCE))
        return out

    def observe(self, batch: list) -> None:
        """A live listener: on a new own position, at most once a second, recalculate."""
        if not self.info.get("nextPoint"):
            return
        if not any(o.vessel == "self" and o.path == "navigation.position" for o in batch):
            return
        now = time.monotonic()
        if now - self._last_calc < CALC_INTERVAL:
            return
        self._last_calc = now
        observations = self._calc_observations(time.time())
        if observations and self._loop is not None:
            # published after this listener returns, so the others see the batch first
            self._loop.call_soon(self.platform.live.publish, observations)
