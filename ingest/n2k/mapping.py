"""PGN → Signal K paths, as a table: adding a PGN is adding a row, not writing a branch.

The rows follow Signal K's reference mapping (``@signalk/n2k-signalk``): same paths, same
conditions (a heading goes to ``headingTrue`` or ``headingMagnetic`` by its reference
field, a temperature to the path its source names), same SI units. The field layouts,
scaling and lookup labels come from canboat's PGN database through the ``nmea2000``
package, decoded in SI units (rad, m/s, K, Pa, ratio, Hz, m³, C, s), so no row scales a
value; a row only says which field goes where, under which condition, in which shape.

A row (:class:`Rule`) names

* ``path``: the Signal K path; ``{name}`` parts are filled from ``keys``;
* ``value``: the field id (or ids, for composite values) in canboat's naming;
* ``kind``: how the field(s) become the value (:data:`KINDS`);
* ``when``: conditions on fields, all of which must hold;
* ``keys``: ``name -> (field, table)``; the field's label (or its number when ``table`` is
  None) looked up in ``table``; a label missing from the table skips the row;
* ``labels``: for text, canboat labels that Signal K spells otherwise (n2k-signalk's
  remaps, such as ``GPS+GLONASS`` → ``Combined GPS/GLONASS``); others pass unchanged.

Where n2k-signalk has no file for a PGN the issue asks for (129033, 129539), the row uses
the path Signal K uses for the same quantity from other PGNs; docs/signalk-mapping.md says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from isomer_data.ingest.ais import NAV_STATE, ship_type_name

# Value kinds.
NUM = "number"  # a float, already SI
POS = "position"  # (latitude, longitude) → {"latitude", "longitude"}
TEXT = "text"  # a label or string as it is
LOWER = "lower"  # a label in lower case
YES = "yes"  # a Yes/No label as a boolean
DATETIME = "datetime"  # (date, time) raw days and seconds → ISO 8601
OBJECT = "object"  # ((name, field), ...) → {name: number}
WRAP = "wrap"  # an angle in [0, 2π) as (-π, π]
STATE = "state"  # AIS navigational status code → Signal K state
SHIP_TYPE = "ship_type"  # AIS ship type code → {"id", "name"}
OVERALL = "overall"  # a length → {"overall": m}
MAXIMUM = "maximum"  # a draft → {"maximum": m}
FROM_CENTER = "from_center"  # (beam, from starboard) → m from the centre line, + starboard
SATELLITES = "satellites"  # the repeating set of 129540 → {"count", "satellites"}
ATON_TYPE = "aton_type"  # AtoN type code → {"id", "name"}
SUM = "sum"  # (a, b) → a + b (depth plus transducer offset)
ON = "on"  # an On/Off label as a boolean (127507's enabled, equalizationPending)
SWITCH = "switch"  # an On/Off label as 1 or 0 (127501's switch states)
CONST = "const"  # the row's value itself, a constant (sensors.ais.class of 129793, 129798)
POS_ALT = "position_altitude"  # (lat, lon, alt) → {"latitude", "longitude"[, "altitude"]}
WAYPOINTS = "waypoints"  # 129285's repeating set → [{"name", "position": {"value": …}}]
KINDS = (
    NUM,
    POS,
    TEXT,
    LOWER,
    YES,
    DATETIME,
    OBJECT,
    WRAP,
    STATE,
    SHIP_TYPE,
    OVERALL,
    MAXIMUM,
    FROM_CENTER,
    SATELLITES,
    ATON_TYPE,
    SUM,
    ON,
    SWITCH,
    CONST,
    POS_ALT,
    WAYPOINTS,
)
# Kinds whose values are immutable (numbers, text, booleans): a decoded payload's pairs
# can be kept and handed out again.
IMMUTABLE = frozenset({NUM, TEXT, LOWER, YES, WRAP, SUM, DATETIME, STATE, ON, SWITCH, CONST})
# Kinds whose value comes from a repeating set (the codec's "##list##"), never compiled.
LISTS = frozenset({SATELLITES, WAYPOINTS})


@dataclass(frozen=True, slots=True)
class Rule:
    path: str
    value: Any
    kind: str = NUM
    when: tuple[tuple[str, str, Any], ...] = ()
    keys: dict[str, tuple[str, dict | None]] = field(default_factory=dict)
    labels: dict[str, str] | None = None


def eq(name: str, label: Any) -> tuple[str, str, Any]:
    return (name, "==", label)


def gt(name: str, number: float) -> tuple[str, str, Any]:
    return (name, ">", number)


def lt(name: str, number: float) -> tuple[str, str, Any]:
    return (name, "<", number)


def present(name: str) -> tuple[str, str, Any]:
    return (name, "present", None)


def ne(name: str, label: Any) -> tuple[str, str, Any]:
    """Holds when the field is absent, has no value, or has another value (JS's ``!==``)."""
    return (name, "!=", label)


# Lookup tables (canboat label → Signal K path part), as in n2k-signalk.
ENGINE = {"Single Engine or Dual Engine Port": "port", "Dual Engine Starboard": "starboard"}
TANK = {
    "Fuel": "fuel",
    "Water": "freshWater",
    "Gray water": "wasteWater",
    "Live well": "liveWell",
    "Oil": "lubrication",
    "Black water": "blackWater",
}
TEMPERATURE = {
    "Sea Temperature": "environment.water.temperature",
    "Outside Temperature": "environment.outside.temperature",
    "Inside Temperature": "environment.inside.temperature",
    "Engine Room Temperature": "environment.inside.engineRoom.temperature",
    "Main Cabin Temperature": "environment.inside.mainCabin.temperature",
    "Live Well Temperature": "tanks.liveWell.{instance}.temperature",
    "Bait Well Temperature": "tanks.baitWell.{instance}.temperature",
    "Refrigeration Temperature": "environment.inside.refrigerator.temperature",
    "Heating System Temperature": "environment.inside.heating.temperature",
    "Dew Point Temperature": "environment.outside.dewPointTemperature",
    "Apparent Wind Chill Temperature": "environment.outside.apparentWindChillTemperature",
    "Theoretical Wind Chill Temperature": "environment.outside.theoreticalWindChillTemperature",
    "Heat Index Temperature": "environment.outside.heatIndexTemperature",
    "Freezer Temperature": "environment.inside.freezer.temperature",
    "Exhaust Gas Temperature": "propulsion.{instance}.exhaustTemperature",
}
HUMIDITY = {"Inside": "inside", "Outside": "outside"}
# 130313's paths by humidity source (n2k-signalk's humidityMappings.js)
HUMIDITY_PATH = {
    "Inside": "environment.inside.{instance}.relativeHumidity",
    "Outside": "environment.outside.humidity",
}
# 130314's paths by pressure source (n2k-signalk's pressureMappings.js, pathWithIndex)
PRESSURE_PATH = {
    "Atmospheric": "environment.outside.pressure",
    "Water": "water.{instance}.pressure",
    "Steam": "steam.{instance}.pressure",
    "Compressed Air": "compressedAir.{instance}.pressure",
    "Hydraulic": "hydraulic.{instance}.pressure",
    "Filter": "filter.{instance}.pressure",
    "AltimeterSetting": "altimetersetting.{instance}.pressure",
    "Oil": "oil.{instance}.pressure",
    "Fuel": "fuel.{instance}.pressure",
}
REFERENCE = {"True": "True", "Magnetic": "Magnetic"}
CALCULATION = {"Great Circle": "GreatCircle", "Rhumbline": "Rhumbline", "Rhumb Line": "Rhumbline"}
# 129029's labels in the spelling of Signal K's enumerations (n2k-signalk's maps; the
# 0183 GGA rows give the same words)
GNSS_TYPE = {
    "GPS+GLONASS": "Combined GPS/GLONASS",
    "integrated": "Integrated navigation system",
    "surveyed": "Surveyed",
}
GNSS_METHOD = {
    "no GNSS": "no GPS",
    "GNSS fix": "GNSS Fix",
    "RTK Fixed Integer": "RTK fixed integer",
    "Simulate mode": "Simulator mode",
}
GNSS_INTEGRITY = {"No integrity checking": "no Integrity checking"}
# 129283 takes the calculation type the last 129284 of the stream named (decoder state).
LAST_CALCULATION = "@calculation"

_instance = {"instance": ("instance", None)}
_engine = {"engine": ("instance", ENGINE)}
_course = {"calc": ("calculationType", CALCULATION)}
_AIS_POSITION = (
    Rule("navigation.position", ("latitude", "longitude"), POS),
    Rule("navigation.speedOverGround", "sog"),
    Rule("navigation.courseOverGroundTrue", "cog"),
)
_AIS_SIZE = (
    Rule("design.length", "length", OVERALL),
    Rule("design.aisShipType", "typeOfShip", SHIP_TYPE),
    Rule("design.beam", "beam"),
    Rule("sensors.ais.fromBow", "positionReferenceFromBow"),
    Rule("sensors.ais.fromCenter", ("beam", "positionReferenceFromStarboard"), FROM_CENTER),
)

MAPPING: dict[int, tuple[Rule, ...]] = {
    126992: (Rule("navigation.datetime", ("date", "time"), DATETIME),),
    127237: (
        Rule(
            "steering.autopilot.target.headingMagnetic",
            "headingToSteerCourse",
            when=(eq("headingReference", "Magnetic"),),
        ),
        # n2k-signalk: any reference but Magnetic (absent included) is True
        Rule(
            "steering.autopilot.target.headingTrue",
            "headingToSteerCourse",
            when=(ne("headingReference", "Magnetic"),),
        ),
    ),
    127245: (Rule("steering.rudderAngle", "position"),),
    127250: (
        Rule("navigation.headingMagnetic", "heading", when=(eq("reference", "Magnetic"),)),
        Rule("navigation.headingTrue", "heading", when=(eq("reference", "True"),)),
        Rule("navigation.magneticVariation", "variation"),
        Rule("navigation.magneticDeviation", "deviation"),
    ),
    127251: (Rule("navigation.rateOfTurn", "rate"),),
    127258: (Rule("navigation.magneticVariation", "variation"),),
    127257: (
        Rule("navigation.attitude", (("yaw", "yaw"), ("pitch", "pitch"), ("roll", "roll")), OBJECT),
    ),
    127488: (Rule("propulsion.{engine}.revolutions", "speed", keys=_engine),),
    127489: (
        Rule("propulsion.{engine}.temperature", "temperature", keys=_engine),
        Rule("propulsion.{engine}.alternatorVoltage", "alternatorPotential", keys=_engine),
        Rule("propulsion.{engine}.fuel.rate", "fuelRate", keys=_engine),
        Rule("propulsion.{engine}.oilPressure", "oilPressure", keys=_engine),
        Rule("propulsion.{engine}.runTime", "totalEngineHours", keys=_engine),
        Rule("propulsion.{engine}.oilTemperature", "oilTemperature", keys=_engine),
        Rule("propulsion.{engine}.coolantPressure", "coolantPressure", keys=_engine),
        Rule("propulsion.{engine}.engineLoad", "engineLoad", keys=_engine),
        Rule("propulsion.{engine}.engineTorque", "engineTorque", keys=_engine),
        Rule("propulsion.{engine}.fuel.pressure", "fuelPressure", keys=_engine),
    ),
    127493: (
        Rule("propulsion.{engine}.transmission.oilTemperature", "oilTemperature", keys=_engine),
        Rule("propulsion.{engine}.transmission.gear", "transmissionGear", TEXT, keys=_engine),
        Rule("propulsion.{engine}.transmission.oilPressure", "oilPressure", keys=_engine),
    ),
    127497: (
        Rule("propulsion.{engine}.trip.fuelUsed", "tripFuelUsed", keys=_engine),
        Rule("propulsion.{engine}.trip.fuelRate.average", "fuelRateAverage", keys=_engine),
        Rule("propulsion.{engine}.trip.fuelRate.economy", "fuelRateEconomy", keys=_engine),
        Rule(
            "propulsion.{engine}.trip.fuelRate.instantaneousEconomy",
            "instantaneousFuelEconomy",
            keys=_engine,
        ),
    ),
    # one row per indicator; n2k-signalk's constant ``.order`` (the indicator's number,
    # already in the path) is not a reading: docs/signalk-mapping.md
    127501: tuple(
        Rule(
            f"electrical.switches.bank.{{instance}}.{i}.state",
            f"indicator{i}",
            SWITCH,
            keys=_instance,
        )
        for i in range(1, 29)
    ),
    127505: (
        Rule(
            "tanks.{type}.{instance}.currentLevel",
            "level",
            keys={"type": ("type", TANK), **_instance},
        ),
        Rule(
            "tanks.{type}.{instance}.capacity",
            "capacity",
            keys={"type": ("type", TANK), **_instance},
        ),
    ),
    127506: (
        Rule(
            "electrical.batteries.{instance}.capacity.stateOfCharge",
            "stateOfCharge",
            keys=_instance,
        ),
        Rule(
            "electrical.batteries.{instance}.capacity.stateOfHealth",
            "stateOfHealth",
            keys=_instance,
        ),
        Rule(
            "electrical.batteries.{instance}.capacity.timeRemaining",
            "timeRemaining",
            keys=_instance,
        ),
    ),
    127507: (
        Rule(
            "electrical.chargers.{instance}.operatingState", "operatingState", LOWER, keys=_instance
        ),
        Rule("electrical.chargers.{instance}.chargeMode", "chargeMode", LOWER, keys=_instance),
        Rule("electrical.chargers.{instance}.enabled", "enabled", ON, keys=_instance),
        Rule(
            "electrical.chargers.{instance}.equalizationPending",
            "equalizationPending",
            ON,
            keys=_instance,
        ),
        Rule(
            "electrical.chargers.{instance}.equalizationTimeRemaining",
            "equalizationTimeRemaining",
            keys=_instance,
        ),
    ),
    127508: (
        Rule("electrical.batteries.{instance}.voltage", "voltage", keys=_instance),
        Rule("electrical.batteries.{instance}.current", "current", keys=_instance),
        Rule("electrical.batteries.{instance}.temperature", "temperature", keys=_instance),
    ),
    127513: (
        Rule("electrical.batteries.{instance}.batteryType", "batteryType", LOWER, keys=_instance),
        Rule(
            "electrical.batteries.{instance}.supportsEqualization",
            "supportsEqualization",
            YES,
            keys=_instance,
        ),
        Rule(
            "electrical.batteries.{instance}.nominalVoltage", "nominalVoltage", TEXT, keys=_instance
        ),
        Rule("electrical.batteries.{instance}.chemistry", "chemistry", LOWER, keys=_instance),
        Rule("electrical.batteries.{instance}.capacity.nominal", "capacity", keys=_instance),
        Rule(
            "electrical.batteries.{instance}.temperatureCoefficient",
            "temperatureCoefficient",
            keys=_instance,
        ),
        Rule("electrical.batteries.{instance}.peukertExponent", "peukertExponent", keys=_instance),
        Rule(
            "electrical.batteries.{instance}.chargeEfficiencyFactor",
            "chargeEfficiencyFactor",
            keys=_instance,
        ),
    ),
    128259: (Rule("navigation.speedThroughWater", "speedWaterReferenced"),),
    128267: (
        Rule("environment.depth.belowTransducer", "depth"),
        Rule("environment.depth.surfaceToTransducer", "offset", when=(gt("offset", 0),)),
        Rule("environment.depth.transducerToKeel", "offset", when=(lt("offset", 0),)),
        Rule("environment.depth.belowSurface", ("depth", "offset"), SUM, when=(gt("offset", 0),)),
        Rule("environment.depth.belowKeel", ("depth", "offset"), SUM, when=(lt("offset", 0),)),
    ),
    128275: (Rule("navigation.log", "log"), Rule("navigation.trip.log", "tripLog")),
    129025: (Rule("navigation.position", ("latitude", "longitude"), POS),),
    129026: (
        Rule("navigation.courseOverGroundTrue", "cog", when=(eq("cogReference", "True"),)),
        Rule("navigation.courseOverGroundMagnetic", "cog", when=(eq("cogReference", "Magnetic"),)),
        Rule("navigation.speedOverGround", "sog"),
    ),
    129029: (
        Rule("navigation.position", ("latitude", "longitude"), POS),
        Rule("navigation.datetime", ("date", "time"), DATETIME),
        Rule("navigation.gnss.antennaAltitude", "altitude"),
        Rule("navigation.gnss.satellites", "numberOfSvs"),
        Rule("navigation.gnss.horizontalDilution", "hdop"),
        Rule("navigation.gnss.positionDilution", "pdop"),
        Rule("navigation.gnss.geoidalSeparation", "geoidalSeparation"),
        Rule("navigation.gnss.differentialAge", "ageOfDgnssCorrections"),
        Rule("navigation.gnss.differentialReference", "referenceStationId"),
        Rule("navigation.gnss.type", "gnssType", TEXT, labels=GNSS_TYPE),
        Rule("navigation.gnss.methodQuality", "method", TEXT, labels=GNSS_METHOD),
        Rule("navigation.gnss.integrity", "integrity", TEXT, labels=GNSS_INTEGRITY),
    ),
    129033: (Rule("navigation.datetime", ("date", "time"), DATETIME),),
    129038: (
        *_AIS_POSITION,
        Rule("navigation.rateOfTurn", "rateOfTurn"),
        Rule("navigation.headingTrue", "heading"),
        Rule("navigation.state", "navStatus", STATE),
    ),
    129039: (*_AIS_POSITION, Rule("navigation.headingTrue", "heading")),
    129040: (
        *_AIS_POSITION,
        Rule("navigation.headingTrue", "trueHeading"),
        Rule("name", "name", TEXT),
        *_AIS_SIZE,
    ),
    129041: (
        Rule("name", "atonName", TEXT),
        Rule("navigation.position", ("latitude", "longitude"), POS),
        Rule("design.length", "lengthDiameter", OVERALL),
        Rule("atonType", "atonType", ATON_TYPE),
        Rule("design.beam", "beamDiameter"),
        Rule(
            "sensors.ais.fromCenter",
            ("beamDiameter", "positionReferenceFromStarboardEdge"),
            FROM_CENTER,
        ),
    ),
    129283: (
        Rule(
            "navigation.course{calc}.crossTrackError",
            "xte",
            when=(eq("navigationTerminated", "No"),),
            keys={"calc": (LAST_CALCULATION, None)},
        ),
    ),
    129284: (
        Rule(
            "navigation.course{calc}.bearingTrack{ref}",
            "bearingOriginToDestinationWaypoint",
            keys={**_course, "ref": ("courseBearingReference", REFERENCE)},
        ),
        Rule("navigation.course{calc}.nextPoint.distance", "distanceToWaypoint", keys=_course),
        Rule(
            "navigation.course{calc}.nextPoint.velocityMadeGood",
            "waypointClosingVelocity",
            keys=_course,
        ),
        Rule(
            "navigation.course{calc}.nextPoint.bearing{ref}",
            "bearingPositionToDestinationWaypoint",
            keys={**_course, "ref": ("courseBearingReference", REFERENCE)},
        ),
        Rule(
            "navigation.course{calc}.nextPoint.position",
            ("destinationLatitude", "destinationLongitude"),
            POS,
            keys=_course,
        ),
    ),
    129285: (
        Rule("navigation.currentRoute.name", "routeName", TEXT),
        Rule("navigation.currentRoute.waypoints", "##list##", WAYPOINTS),
    ),
    129291: (Rule("environment.current", (("setTrue", "set"), ("drift", "drift")), OBJECT),),
    129539: (Rule("navigation.gnss.horizontalDilution", "hdop"),),
    129540: (Rule("navigation.gnss.satellitesInView", "##list##", SATELLITES),),
    129793: (
        Rule("navigation.position", ("latitude", "longitude"), POS),
        Rule("sensors.ais.class", "BASE", CONST),
    ),
    129794: (
        Rule("name", "name", TEXT),
        Rule("navigation.destination.commonName", "destination", TEXT),
        Rule("design.draft", "draft", MAXIMUM),
        *_AIS_SIZE,
    ),
    129798: (
        Rule("navigation.speedOverGround", "sog"),
        Rule("navigation.courseOverGroundTrue", "cog"),
        Rule("navigation.position", ("latitude", "longitude", "altitude"), POS_ALT),
        Rule("sensors.ais.class", "SAR", CONST),
    ),
    129809: (Rule("name", "name", TEXT),),
    129810: _AIS_SIZE,
    130306: (
        Rule("environment.wind.speedApparent", "windSpeed", when=(eq("reference", "Apparent"),)),
        Rule(
            "environment.wind.speedTrue",
            "windSpeed",
            when=(eq("reference", "True (boat referenced)"),),
        ),
        Rule(
            "environment.wind.speedOverGround",
            "windSpeed",
            when=(eq("reference", "True (ground referenced to North)"),),
        ),
        Rule(
            "environment.wind.angleApparent", "windAngle", WRAP, when=(eq("reference", "Apparent"),)
        ),
        Rule(
            "environment.wind.angleTrueWater",
            "windAngle",
            when=(eq("reference", "True (boat referenced)"),),
        ),
        Rule(
            "environment.wind.directionTrue",
            "windAngle",
            when=(eq("reference", "True (ground referenced to North)"),),
        ),
        Rule(
            "environment.wind.directionMagnetic",
            "windAngle",
            when=(eq("reference", "Magnetic (ground referenced to Magnetic North)"),),
        ),
    ),
    130310: (
        Rule("environment.outside.temperature", "outsideAmbientAirTemperature"),
        Rule("environment.outside.pressure", "atmosphericPressure"),
        Rule("environment.water.temperature", "waterTemperature"),
    ),
    130311: (
        Rule("{path}", "temperature", keys={"path": ("temperatureSource", TEMPERATURE)}),
        Rule(
            "environment.{where}.humidity",
            "humidity",
            keys={"where": ("humiditySource", HUMIDITY)},
        ),
        Rule("environment.outside.pressure", "atmosphericPressure"),
    ),
    130312: (
        Rule("{path}", "actualTemperature", keys={"path": ("source", TEMPERATURE), **_instance}),
    ),
    130313: (
        Rule("{path}", "actualHumidity", keys={"path": ("source", HUMIDITY_PATH), **_instance}),
    ),
    130314: (Rule("{path}", "pressure", keys={"path": ("source", PRESSURE_PATH), **_instance}),),
    130316: (Rule("{path}", "temperature", keys={"path": ("source", TEMPERATURE), **_instance}),),
    130577: (
        Rule("navigation.courseOverGroundTrue", "cog", when=(eq("cogReference", "True"),)),
        Rule("navigation.speedOverGround", "sog"),
        Rule(
            "environment.current",
            (("setTrue", "set"), ("drift", "drift")),
            OBJECT,
            when=(present("set"), present("drift")),
        ),
    ),
}

# AIS PGNs: the observations belong to the target named by the message's userId.
AIS_PGNS = frozenset({129038, 129039, 129040, 129041, 129793, 129794, 129798, 129809, 129810})
# AtoN type names (ITU-R M.1371 table), by code, for 129041's atonType.
ATON_NAMES = {
    0: "Default: Type of AtoN not specified",
    1: "Reference point",
    2: "RACON",
    3: "Fixed structure off-shore",
    5: "Fixed light: without sectors",
    6: "Fixed light: with sectors",
    7: "Fixed leading light front",
    8: "Fixed leading light rear",
    9: "Fixed beacon: cardinal N",
    10: "Fixed beacon: cardinal E",
    11: "Fixed beacon: cardinal S",
    12: "Fixed beacon: cardinal W",
    13: "Fixed beacon: port hand",
    14: "Fixed beacon: starboard hand",
    15: "Fixed beacon: preferred channel port hand",
    16: "Fixed beacon: preferred channel starboard hand",
    17: "Fixed beacon: isolated danger",
    18: "Fixed beacon: safe water",
    19: "Fixed beacon: special mark",
    20: "Floating AtoN: cardinal N",
    21: "Floating AtoN: cardinal E",
    22: "Floating AtoN: cardinal S",
    23: "Floating AtoN: cardinal W",
    24: "Floating AtoN: port hand mark",
    25: "Floating AtoN: starboard hand mark",
    26: "Floating AtoN: preferred channel port hand",
    27: "Floating AtoN: preferred channel starboard hand",
    28: "Floating AtoN: isolated danger",
    29: "Floating AtoN: safe water",
    30: "Floating AtoN: special mark",
    31: "Floating AtoN: light vessel/LANBY/rigs",
}

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=64)
def _iso_day(days: int) -> str:
    return (EPOCH + timedelta(days=days)).strftime("%Y-%m-%dT")


def iso_datetime(days: float, seconds: float) -> str:
    """canboat's DATE (days since 1970) and TIME (seconds of day) as ISO 8601 UTC."""
    millis = round(seconds * 1000)
    day, millis = divmod(millis, 86_400_000)
    s, ms = divmod(millis, 1000)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{_iso_day(int(days) + day)}{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z"


def _holds(cond: tuple[str, str, Any], fields: dict) -> bool:
    name, op, arg = cond
    got = fields.get(name)
    if op == "!=":
        return got is None or got[0] != arg
    if got is None:
        return False
    value = got[0]
    if op == "==":
        return value == arg
    if op == "present":
        return value is not None
    if value is None or isinstance(value, str):
        return False
    return value > arg if op == ">" else value < arg


def _number(fields: dict, name: str) -> float | None:
    got = fields.get(name)
    if got is None or got[0] is None or isinstance(got[0], str | bytes | list):
        return None
    x = float(got[0])
    return x if math.isfinite(x) else None


def value_of(rule: Rule, fields: dict) -> Any:
    """The Signal K value of one row, or None when its fields are not available."""
    kind, spec = rule.kind, rule.value
    if kind == NUM:
        return _number(fields, spec)
    if kind == POS:
        lat, lon = _number(fields, spec[0]), _number(fields, spec[1])
        if lat is None or lon is None:
            return None
        return {"latitude": lat, "longitude": lon}
    if kind == WRAP:
        x = _number(fields, spec)
        return None if x is None else (x if x <= math.pi else x - 2 * math.pi)
    if kind == SUM:
        a, b = _number(fields, spec[0]), _number(fields, spec[1])
        return None if a is None or b is None else a + b
    if kind == CONST:
        return spec
    if kind in (ON, SWITCH):
        got = fields.get(spec)
        label = None if got is None else got[0]
        if not isinstance(label, str):
            return None
        return label == "On" if kind == ON else (1.0 if label == "On" else 0.0)
    if kind == POS_ALT:
        lat, lon = _number(fields, spec[0]), _number(fields, spec[1])
        if lat is None or lon is None:
            return None
        out = {"latitude": lat, "longitude": lon}
        altitude = _number(fields, spec[2])
        if altitude is not None:
            out["altitude"] = altitude
        return out
    if kind in (TEXT, LOWER, YES):
        got = fields.get(spec)
        text = None if got is None else got[0]
        if not isinstance(text, str):
            return None
        text = text.strip().rstrip("@").strip()
        if not text:
            return None
        if rule.labels:
            text = rule.labels.get(text, text)
        return text.lower() if kind == LOWER else (text == "Yes" if kind == YES else text)
    if kind == DATETIME:
        date, time = fields.get(spec[0]), fields.get(spec[1])
        if date is None or time is None or date[1] is None or time[1] is None:
            return None
        return iso_datetime(float(date[1]), float(time[1]))
    if kind == OBJECT:
        out = {}
        for name, field_id in spec:
            x = _number(fields, field_id)
            if x is None:
                return None
            out[name] = x
        return out
    if kind in (STATE, SHIP_TYPE, ATON_TYPE):
        got = fields.get(spec)
        code = None if got is None else got[1]
        if not isinstance(code, int):
            return None
        if kind == STATE:
            return NAV_STATE.get(code)
        name = ship_type_name(code) if kind == SHIP_TYPE else ATON_NAMES.get(code)
        return {"id": code, "name": name} if name and code else None
    if kind in (OVERALL, MAXIMUM):
        x = _number(fields, spec)
        return {kind: x} if x else None
    if kind == FROM_CENTER:
        beam, starboard = _number(fields, spec[0]), _number(fields, spec[1])
        if not beam or starboard is None:
            return None
        return beam / 2 - starboard
    if kind == SATELLITES:
        got = fields.get(spec)
        if got is None or not isinstance(got[0], list):
            return None
        satellites = []
        for entry in got[0]:
            values = {k: v[1][0] for k, v in entry.items()}
            if values.get("prn") is None:
                continue
            satellites.append(
                {
                    "id": values["prn"],
                    "elevation": values.get("elevation"),
                    "azimuth": values.get("azimuth"),
                    "SNR": values.get("snr"),
                }
            )
        return {"count": len(satellites), "satellites": satellites}
    if kind == WAYPOINTS:
        got = fields.get(spec)
        if got is None or not isinstance(got[0], list):
            return None
        waypoints = []
        for entry in got[0]:
            values = {k: v[1][0] for k, v in entry.items()}
            name = values.get("wpName")
            waypoints.append(
                {
                    "name": name.split("\0")[0] if isinstance(name, str) else name,
                    "position": {
                        "value": {
                            "latitude": values.get("wpLatitude"),
                            "longitude": values.get("wpLongitude"),
                        }
                    },
                }
            )
        return waypoints
    raise ValueError(f"unknown value kind {kind!r}")  # pragma: no cover - table error


def resolve_path(rule: Rule, fields: dict) -> str | None:
    """The row's path with its ``{name}`` parts filled in, or None when a key is unknown."""
    if not rule.keys:
        return rule.path
    parts = {}
    for name, (field_id, table) in rule.keys.items():
        got = fields.get(field_id)
        if got is None:
            if name == "instance":
                parts[name] = "default"
                continue
            return None
        if table is None:
            if got[1] is None:
                return None
            parts[name] = str(got[1])
        else:
            mapped = table.get(got[0])
            if mapped is None:
                return None
            parts[name] = mapped
    path = rule.path.format_map(parts)
    if "{" in path:  # a table value with its own {instance}
        got = fields.get("instance")
        path = path.format_map({"instance": "default" if got is None else str(got[1])})
    return path


def compile_rules(rules: tuple[Rule, ...]) -> tuple[tuple, ...]:
    """Each row as ``(path, number field, switch field, switch label, rule, position fields)``.

    ``path`` is None when keys fill it in; ``number field`` is set when the value is a
    plain number; ``switch`` is a single equality condition (the reference fields that
    pick headingTrue or headingMagnetic), checked inline; ``rule`` is None when nothing
    else is left to do, so the common rows never call out of :func:`apply`.
    """
    out = []
    for rule in rules:
        number = rule.value if rule.kind == NUM and isinstance(rule.value, str) else None
        switch = label = None
        rest = rule.when
        if len(rest) == 1 and rest[0][1] == "==":
            switch, label = rest[0][0], rest[0][2]
            rest = ()
        simple = number is not None and not rest and not rule.keys
        pos = rule.value if rule.kind == POS else None
        out.append(
            (None if rule.keys else rule.path, number, switch, label, None if simple else rule, pos)
        )
    return tuple(out)


_INF = math.inf


def apply(compiled, fields: dict) -> list[tuple[str, Any]]:
    """Every (path, value) the rows give for one decoded message's fields.

    ``compiled`` is a :data:`COMPILED` entry (or a tuple of rules); ``fields`` maps field
    id → (value, raw): value as canboat reports it in SI (labels for lookups), raw the
    number on the wire.
    """
    if compiled and isinstance(compiled[0], Rule):
        compiled = compile_rules(compiled)
    out = []
    get = fields.get
    for path, number, switch, label, rule, pos in compiled:
        if switch is not None:
            got = get(switch)
            if got is None or got[0] != label:
                continue
        if rule is not None:
            if rule.when and switch is None and not all(_holds(c, fields) for c in rule.when):
                continue
            if path is None:
                path = resolve_path(rule, fields)
                if path is None:
                    continue
            if pos is not None:  # a position of two finite floats, inline; else value_of
                a, b = get(pos[0]), get(pos[1])
                if a is not None and b is not None:
                    lat, lon = a[0], b[0]
                    if (
                        type(lat) is float
                        and type(lon) is float
                        and lat - lat == 0.0  # finite: inf - inf and nan - nan are nan
                        and lon - lon == 0.0
                    ):
                        out.append((path, {"latitude": lat, "longitude": lon}))
                        continue
            if number is None:
                value = value_of(rule, fields)
                if value is not None:
                    out.append((path, value))
                continue
        got = get(number)
        if got is None:
            continue
        x = got[0]
        t = type(x)
        if t is int:
            x = float(x)
        elif t is not float or x != x or x == _INF or x == -_INF:
            continue
        out.append((path, x))
    return out


def documented_pairs() -> set[tuple[int, str]]:
    """(PGN, path template) of every row, for the documentation check."""
    return {(pgn, rule.path) for pgn, rules in MAPPING.items() for rule in rules}


COMPILED = {pgn: compile_rules(rules) for pgn, rules in MAPPING.items()}
