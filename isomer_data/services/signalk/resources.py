"""Signal K's v2 resources (routes, waypoints, notes, regions) as the platform's objects.

``/signalk/v2/api/resources/TYPE`` is what Freeboard-SK and other chart plotters call. Each
resource is an object of the object manager (schemas ``route``, ``waypoint``, ``note``,
``region`` in ``schemas/``), so permissions, validation and the hub's object pushes are the
same as for everything else, and a waypoint made in Freeboard-SK is the ``waypoint`` the
panels, the logbook and a notebook see.

Ids: objects are stored under 32 hex digits (``uuid4().hex``); Signal K names resources by
the dashed UUID v4 of the same number. Either form finds the object; Signal K clients are
always shown the dashed one, and a client's own id (``PUT /resources/waypoints/ID``) is
stored as its hex digits.

Waypoints keep the platform's flat shape (``latitude``, ``longitude``, ``name``) and carry
Signal K's ``description``, ``type`` and feature ``properties`` beside it; routes, notes and
regions are stored as Signal K writes them. Every creation, change and deletion, from here
or from the hub or REST objects API, goes out as a Signal K delta
``resources.TYPE.ID`` to each connected client that may read the object.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid

from isomer_data.core.errors import DomainError
from isomer_data.core.parsing import coded

TYPES = {"routes": "route", "waypoints": "waypoint", "notes": "note", "regions": "region"}
SCHEMA_TYPES = {schema: rtype for rtype, schema in TYPES.items()}
# Collections Freeboard-SK asks for at start that plugins of Signal K server provide: its own
# (GPX tracks, resource groups, map overlays), the symbol manager's symbols, plotter
# extensions, the buddy list. Answered empty (none here), never stored.
UNSTORED = ("tracks", "groups", "infolayers", "symbols", "plotterExtensions", "buddies")
LISTED = ("routes", "waypoints", "notes", "regions", "charts")  # charts: the charts service
SOURCE = "resources-provider"  # Signal K server's default provider; apps show it as $source
UUID4 = re.compile(
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$"
)
HEX32 = re.compile(r"^[0-9a-f]{32}$")
PAGE = 1000
MAX_LISTED = 10_000  # resources looked at for one list request
SERVER_FIELDS = {"uuid", "owner", "created", "modified", "perms", "author"}
ECHOED = ("timestamp", "$source")  # a GET result sent back: the server's own, dropped
WAYPOINT_FIELDS = {"name", "description", "type", "feature"}
# What Signal K owns of a stored waypoint: a PUT replaces these and leaves kind and notes.
WAYPOINT_SK = ("name", "description", "type", "latitude", "longitude", "altitude", "properties")
EARTH_RADIUS = 6_371_008.8  # m
MAX_DISTANCE = 20_037_509.0  # m, half the equator


def sk_id(object_id: str) -> str:
    """The Signal K id of a stored object: its hex uuid as a dashed UUID."""
    return str(uuid.UUID(hex=object_id)) if HEX32.match(object_id) else object_id


def object_id(resource_id: str) -> str | None:
    """The stored id of a Signal K id (dashed UUID v4 or 32 hex digits), else None."""
    if not isinstance(resource_id, str):
        return None
    if UUID4.match(resource_id) or HEX32.match(resource_id):
        return uuid.UUID(resource_id).hex
    return None


def parse_href(href) -> tuple[str, str] | None:
    """``/resources/waypoints/ID`` (with any prefix) → (``waypoints``, stored id)."""
    if not isinstance(href, str) or len(href) > 256:
        return None
    parts = href.rstrip("/").split("/")[-3:]
    if len(parts) < 3 or parts[0] != "resources" or parts[1] not in TYPES:
        return None
    oid = object_id(parts[2])
    return (parts[1], oid) if oid else None


def _invalid(detail: str, field: str) -> DomainError:
    return coded("invalid", 40240, detail, {"field": field})


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def waypoint_object(body: dict) -> dict:
    """A Signal K waypoint → the fields of a stored ``waypoint``."""
    extra = sorted(set(body) - WAYPOINT_FIELDS)
    if extra:
        raise _invalid(f"{extra[0]}: a waypoint has name, description, type and feature", extra[0])
    feature = body.get("feature")
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        raise _invalid("feature.geometry must be a GeoJSON Point", "feature.geometry")
    coordinates = geometry.get("coordinates")
    if (
        not isinstance(coordinates, list)
        or len(coordinates) not in (2, 3)
        or not all(_number(c) for c in coordinates)
        or not -180 <= coordinates[0] <= 180
        or not -90 <= coordinates[1] <= 90
    ):
        raise _invalid(
            "feature.geometry.coordinates: [longitude -180..180, latitude -90..90, altitude?]",
            "feature.geometry.coordinates",
        )
    doc: dict = {
        "name": body.get("name") or "Waypoint",
        "longitude": coordinates[0],
        "latitude": coordinates[1],
    }
    if len(coordinates) == 3:
        doc["altitude"] = coordinates[2]
    for key in ("description", "type"):
        if key in body:
            doc[key] = body[key]
    if "properties" in feature and feature["properties"] is not None:
        doc["properties"] = feature["properties"]
    return doc


def to_object(rtype: str, body) -> dict:
    """What a Signal K client sent, as the object to store (validated by the object manager)."""
    if not isinstance(body, dict):
        raise _invalid("a resource is a JSON object", "")
    body = {k: v for k, v in body.items() if k not in ECHOED}
    if rtype == "waypoints":
        return waypoint_object(body)
    return body


def to_resource(rtype: str, obj: dict) -> dict:
    """A stored object as Signal K shows the resource (with ``timestamp`` and ``$source``)."""
    if rtype == "waypoints":
        coordinates = [obj.get("longitude"), obj.get("latitude")]
        if obj.get("altitude") is not None:
            coordinates.append(obj["altitude"])
        out = {"name": obj.get("name", "")}
        description = obj.get("description", obj.get("notes"))
        if description is not None:
            out["description"] = description
        if obj.get("type") is not None:
            out["type"] = obj["type"]
        out["feature"] = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": coordinates},
            "properties": obj.get("properties") or {},
        }
    else:
        out = {k: v for k, v in obj.items() if k not in SERVER_FIELDS}
    out["timestamp"] = obj.get("modified")
    out["$source"] = SOURCE
    return out


# query filters ---------------------------------------------------------------------------


def _destination(lon: float, lat: float, distance: float, bearing: float) -> tuple[float, float]:
    """The point ``distance`` m from (lon, lat) on ``bearing`` degrees (great circle)."""
    phi1, lam1 = math.radians(lat), math.radians(lon)
    theta, delta = math.radians(bearing), distance / EARTH_RADIUS
    phi2 = math.asin(
        math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    )
    lam2 = lam1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * math.sin(phi2),
    )
    lon2 = (math.degrees(lam2) + 540) % 360 - 180
    return lon2, math.degrees(phi2)


def _json_or_text(raw: str):
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _numbers(value, count: int, name: str) -> list[float]:
    if isinstance(value, str):  # "1,2,3,4" as well as "[1,2,3,4]"
        value = [_json_or_text(v) for v in value.split(",")]
    if not isinstance(value, list) or len(value) != count or not all(_number(v) for v in value):
        raise coded("invalid", 40241, f"{name}: {count} numbers", {"field": name})
    return [float(v) for v in value]


def _in_range(lon: float, lat: float, name: str) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise coded(
            "invalid", 40241, f"{name}: longitude -180..180, latitude -90..90", {"field": name}
        )


def parse_query(arguments: dict[str, list[bytes]]) -> dict:
    """Signal K's list parameters (each JSON where it parses, as Signal K server reads them).

    ``limit`` (≥ 1), ``bbox`` ([west, south, east, north]), ``position`` ([lon, lat]) with
    ``distance`` (m, ≥ 100), ``radius`` (``lon,lat,metres``), ``href``, ``group``; ``zoom``
    and ``provider`` are accepted and change nothing (there is one provider).
    """
    params = {}
    for name, values in arguments.items():
        raw = values[-1].decode("utf-8", "replace") if values else ""
        if len(raw) > 512:
            raise coded("invalid", 40241, f"{name}: at most 512 characters", {"field": name})
        params[name] = _json_or_text(raw)
    query: dict = {}
    if "limit" in params:
        limit = params["limit"]
        if not _number(limit) or limit < 1:
            raise coded("invalid", 40241, "limit: a number ≥ 1", {"field": "limit"})
        query["limit"] = min(int(limit), MAX_LISTED)
    for name in ("zoom",):
        if name in params and (not _number(params[name]) or params[name] < 1):
            raise coded("invalid", 40241, f"{name}: a number ≥ 1", {"field": name})
    for name in ("href", "group", "provider"):
        if name in params:
            value = params[name]
            value = value if isinstance(value, str) else json.dumps(value)
            if len(value) > 256:
                raise coded("invalid", 40241, f"{name}: at most 256 characters", {"field": name})
            query[name] = value
    if "bbox" in params:
        west, south, east, north = _numbers(params["bbox"], 4, "bbox")
        _in_range(west, south, "bbox")
        _in_range(east, north, "bbox")
        if south > north:
            raise coded("invalid", 40241, "bbox: south above north", {"field": "bbox"})
        query["bounds"] = (west, south, east, north)
    elif "radius" in params:
        lon, lat, metres = _numbers(params["radius"], 3, "radius")
        _in_range(lon, lat, "radius")
        if not 0 < metres <= MAX_DISTANCE:
            raise coded("invalid", 40241, "radius: metres 0 to 20,037,509", {"field": "radius"})
        query["bounds"] = _box(lon, lat, metres)
    elif "distance" in params or "position" in params:
        if "distance" not in params or "position" not in params:
            raise coded(
                "invalid", 40241, "distance and position go together", {"field": "distance"}
            )
        distance = params["distance"]
        if not _number(distance) or not 100 <= distance <= MAX_DISTANCE:
            raise coded("invalid", 40241, "distance: 100 to 20,037,509 m", {"field": "distance"})
        lon, lat = _numbers(params["position"], 2, "position")
        _in_range(lon, lat, "position")
        query["bounds"] = _box(lon, lat, float(distance))
    return query


def _box(lon: float, lat: float, distance: float) -> tuple[float, float, float, float]:
    """The box Signal K server searches: corners ``distance`` away to the SW and NE."""
    west, south = _destination(lon, lat, distance, 225)
    east, north = _destination(lon, lat, distance, 45)
    return west, max(-90.0, south), east, min(90.0, north)


def _inside(bounds, point) -> bool:
    west, south, east, north = bounds
    try:
        lon, lat = float(point[0]), float(point[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return False
    if not south <= lat <= north:
        return False
    if west <= east:
        return west <= lon <= east
    return lon >= west or lon <= east  # across the antimeridian


def _points(rtype: str, obj: dict):
    if rtype == "waypoints":
        yield (obj.get("longitude"), obj.get("latitude"))
    elif rtype == "notes":
        position = obj.get("position")
        if isinstance(position, dict):
            yield (position.get("longitude"), position.get("latitude"))
    else:
        geometry = (obj.get("feature") or {}).get("geometry") or {}
        coordinates = geometry.get("coordinates") or []
        if geometry.get("type") == "LineString":
            yield from coordinates
        elif geometry.get("type") == "Polygon":
            for ring in coordinates:
                yield from ring
        elif geometry.get("type") == "MultiPolygon":
            for polygon in coordinates:
                for ring in polygon:
                    yield from ring


def passes(rtype: str, obj: dict, query: dict) -> bool:
    if "href" in query:
        wanted, have = parse_href(query["href"]), parse_href(obj.get("href"))
        if wanted is None or wanted != have:
            return False
    if "group" in query and obj.get("group") != query["group"]:
        return False
    bounds = query.get("bounds")
    return bounds is None or any(_inside(bounds, p) for p in _points(rtype, obj))


class SignalKResources:
    """The resources API over the object manager (``platform.resources``)."""

    def __init__(self, platform):
        self.platform = platform

    @property
    def objects(self):
        return self.platform.objects

    def _schema(self, rtype: str) -> str:
        if rtype not in TYPES:
            raise DomainError("not_found", f"no resource type {rtype!r}")
        return TYPES[rtype]

    async def list(self, user, rtype: str, query: dict) -> dict:
        if rtype in UNSTORED:
            return {}
        schema = self._schema(rtype)
        limit = query.get("limit", MAX_LISTED)
        out: dict = {}
        skip = 0
        while skip < MAX_LISTED and len(out) < limit:
            page = await self.objects.getlist(
                user, schema, sort=[["created", 1]], skip=skip, limit=PAGE
            )
            for obj in page["items"]:
                if passes(rtype, obj, query):
                    out[sk_id(obj["uuid"])] = to_resource(rtype, obj)
                    if len(out) >= limit:
                        break
            skip += PAGE
            if skip >= page["total"]:
                break
        return out

    async def get(self, user, rtype: str, resource_id: str) -> dict:
        schema = self._schema(rtype)
        oid = object_id(resource_id)
        if oid is None:
            raise DomainError("not_found", f"Resource not found! ({resource_id})")
        return to_resource(rtype, await self.objects.get(user, schema, oid))

    async def by_href(self, user, href) -> tuple[str, dict]:
        """The resource an ``href`` (``/resources/routes/ID``) names, as the user may read it."""
        parsed = parse_href(href)
        if parsed is None:
            raise coded("invalid", 40242, f"href {str(href)[:80]!r}", {"field": "href"})
        rtype, oid = parsed
        return rtype, await self.get(user, rtype, oid)

    async def create(self, user, rtype: str, body) -> str:
        schema = self._schema(rtype)
        created = await self.objects.put(user, schema, to_object(rtype, body))
        return sk_id(created["uuid"])

    async def put(self, user, rtype: str, resource_id: str, body) -> bool:
        """Create or replace the resource ``resource_id``; True when it was created."""
        schema = self._schema(rtype)
        oid = object_id(resource_id)
        if oid is None:
            raise coded(
                "invalid",
                40243,
                f"Invalid resource id provided ({resource_id[:80]}): a UUID v4",
                {"field": "id"},
            )
        doc = to_object(rtype, body)
        stored = await self.objects.collection(schema).find_one({"uuid": oid})
        if stored is None:
            try:
                await self.objects.put(user, schema, doc, object_id=oid)
                return True
            except DomainError as exc:
                if exc.code != "exists":  # created meanwhile by another request: replace it
                    raise
        owned = WAYPOINT_SK if rtype == "waypoints" else self._fields(schema)
        stored = stored or await self.objects.collection(schema).find_one({"uuid": oid}) or {}
        change = {k: None for k in owned if k in stored and k not in doc}
        change.update(doc)
        await self.objects.change(user, schema, oid, change)
        return False

    def _fields(self, schema: str) -> tuple:
        props = self.platform.schemas.schemas[schema].get("properties", {})
        return tuple(k for k in props if k not in SERVER_FIELDS)

    async def delete(self, user, rtype: str, resource_id: str) -> None:
        schema = self._schema(rtype)
        oid = object_id(resource_id)
        if oid is None:
            raise DomainError("not_found", f"Resource not found! ({resource_id[:80]})")
        await self.objects.delete(user, schema, oid)

    # deltas ---------------------------------------------------------------------------------

    def object_event(self, action: str, schema: str, public: dict, can_read) -> None:
        """An object listener: resources' changes as Signal K deltas, to those who may read."""
        rtype = SCHEMA_TYPES.get(schema)
        fanout = self.platform.fanout
        if rtype is None or fanout is None or "uuid" not in public:
            return
        from isomer_data.ingest.observation import Observation

        value = None if action == "objectdeletion" else to_resource(rtype, public)
        path = f"resources.{rtype}.{sk_id(public['uuid'])}"
        observation = Observation(time.time(), "self", path, value, SOURCE)
        text_for: dict = {}
        for subscriber in list(fanout.subscribers):
            user = getattr(subscriber, "user", None)
            if subscriber.closed or user is None or not subscriber.matching("self", path):
                continue
            if not can_read(user):
                continue
            kind = type(subscriber)
            if kind not in text_for:
                text_for[kind] = subscriber._frame_batch([observation])
            subscriber.send(text_for[kind])
