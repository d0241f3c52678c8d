"""The NMEA 0183 → Signal K table: the one place where a sentence is mapped to paths.

One row per sentence type, following the reference mapping of @signalk/nmea0183-signalk
(its ``hooks/*.js``); deviations are noted in the row and in docs/signalk-mapping.md.
Adding a sentence is adding a row: the per-line decoder walks it through each extractor's
``__call__`` (:meth:`isomer_data.ingest.normalize.Sentence.decode`), the batch decoder in
:mod:`isomer_data.ingest.fastpath` through each extractor's ``columns``, a property-based test
generates sentences from it to hold both to the same result, and the docs table is checked
against it. Field indices count from the first field after the address (``$GPRMC`` is not a
field), like the ``parts`` array of the Signal K hooks.
"""

from __future__ import annotations

from isomer_data.ingest import dsc, seatalk
from isomer_data.ingest.normalize import (
    BAR,
    CELSIUS_ZERO,
    DEG,
    FATHOM,
    FOOT,
    INHG,
    KILOMETRE,
    KMH,
    KNOT,
    NAUTICAL_MILE,
    PSI,
    Angle,
    Choice,
    CorrectedHeading,
    First,
    Lookup,
    MalformedField,
    NotMapped,
    Num,
    OffsetDepth,
    Position,
    Reading,
    Sentence,
    SentenceTime,
    Signed,
    SignedUnits,
    Stream,
    Text,
    TransducerOffset,
    Units,
    Value,
    When,
    WindAngle,
)

SPEED_UNITS = {"N": KNOT, "M": 1.0, "K": KMH}
DISTANCE_UNITS = {"N": NAUTICAL_MILE, "K": KILOMETRE}
TRUE_OR_MAGNETIC = {"T": "True", "M": "Magnetic"}

GGA_QUALITY = {
    "1": "GNSS Fix",
    "2": "DGNSS fix",
    "3": "Precise GNSS",
    "4": "RTK fixed integer",
    "5": "RTK float",
    "6": "Estimated (DR) mode",
    "7": "Manual input",
    "8": "Simulator mode",
}


def _by_reference(index: int, template: str) -> Choice:
    return Choice(index, {k: template.format(v) for k, v in TRUE_OR_MAGNETIC.items()})


# XDR: transducer name → Signal K path, for the names instruments commonly send. The
# ENV_* names and their paths are those of xdr-parser-plugin's dictionary, which Signal K
# maps XDR with: relative humidity goes to environment.outside.humidity there, as MDA's
# does in @signalk/nmea0183-signalk, though the schema now prefers relativeHumidity; one
# path for both sentences (docs/signalk-mapping.md, "Humidity").
XDR_NAMES: dict[str, str] = {
    "AIRTEMP": "environment.outside.temperature",
    "ENV_OUTAIR_T": "environment.outside.temperature",
    "ENV_OUTSIDE_T": "environment.outside.temperature",
    "TEMPAIR": "environment.outside.temperature",
    "WATERTEMP": "environment.water.temperature",
    "ENV_WATER_T": "environment.water.temperature",
    "BARO": "environment.outside.pressure",
    "ENV_ATMOS_P": "environment.outside.pressure",
    "HUMIDITY": "environment.outside.humidity",
    "ENV_OUTSIDE_H": "environment.outside.humidity",
    "HEEL": "navigation.attitude.roll",
    "ROLL": "navigation.attitude.roll",
    "PTCH": "navigation.attitude.pitch",
    "PITCH": "navigation.attitude.pitch",
    "TRIM": "navigation.attitude.pitch",
    "RUDDER": "steering.rudderAngle",
}

# XDR: transducer type → (unit letter → (scale, offset)) to SI, and a fallback path segment.
XDR_TYPES: dict[str, tuple[str, dict[str, tuple[float, float]]]] = {
    "C": ("temperature", {"C": (1.0, CELSIUS_ZERO), "K": (1.0, 0.0)}),
    "P": ("pressure", {"B": (BAR, 0.0), "P": (1.0, 0.0)}),
    "A": ("angle", {"D": (DEG, 0.0)}),
    "H": ("relativeHumidity", {"P": (0.01, 0.0)}),
    "U": ("voltage", {"V": (1.0, 0.0)}),
    "I": ("current", {"A": (1.0, 0.0)}),
    "T": ("revolutions", {"R": (1.0 / 60.0, 0.0)}),
    "F": ("frequency", {"H": (1.0, 0.0)}),
    "N": ("force", {"N": (1.0, 0.0)}),
    "D": ("displacement", {"M": (1.0, 0.0)}),
    "V": ("volume", {"M": (1.0, 0.0)}),
    "G": ("generic", {"": (1.0, 0.0), "N": (1.0, 0.0)}),
}


def xdr_measurements(parts: list[str]) -> list[tuple[str, Value]]:
    """XDR is up to n quadruples ``type,value,unit,name``; unknown names keep their type.

    Signal K itself maps XDR through a user dictionary; unknown transducers land under
    ``sensors.xdr.<name>.<quantity>`` here so nothing measured is thrown away.
    """
    out: list[tuple[str, Value]] = []
    for start in range(0, len(parts) - 3, 4):
        kind, text, unit, name = parts[start : start + 4]
        if not text:
            continue
        spec = XDR_TYPES.get(kind.upper())
        if spec is None:
            continue
        quantity, units = spec
        conversion = units.get(unit.upper())
        if conversion is None:
            continue
        scale, offset = conversion
        path = XDR_NAMES.get(name.upper()) or f"sensors.xdr.{name or 'unnamed'}.{quantity}"
        out.append((path, float(text) * scale + offset))
    return out


def _satellite_field(text: str, low: float, high: float, scale: float = 1.0) -> float | None:
    """A GSV number inside its range (NaN never is), or ``None`` when empty.

    Values nested in an object escape the per-path ranges, so they are held here; one out
    of range refuses the sentence (``malformed_field``).
    """
    if not text:
        return None
    value = float(text)
    if not low <= value <= high:
        raise MalformedField(f"GSV value out of range: {text[:12]!r}")
    return value * scale


# GSV talker → constellation, as Signal K (a combined GN sequence names none).
GNSS_SYSTEMS = {"GP": "GPS", "GL": "GLONASS", "GA": "GALILEO", "GB": "BEIDOU", "GQ": "QZSS"}
_GSV_TALKERS_IN_PROGRESS = 8


def gsv_satellites(fields: list[str], stream: Stream) -> list[Reading]:
    """GSV sequences → ``navigation.gnss.satellitesInView`` when the last one arrives.

    Each sentence carries up to four satellites (PRN, elevation°, azimuth°, SNR dB); the
    first says how many sentences and satellites there are. One sequence per talker is
    kept in the stream's memory (GPS and GLONASS interleave); a sentence out of order
    drops its sequence, counted as "GSV incomplete". GLONASS numbers 65–96 lose their
    offset of 64, as Signal K. Empty elevation, azimuth or SNR are ``None``; satellite
    numbers beyond 1–999, elevations beyond ±90°, azimuths beyond 0–360° and SNRs beyond
    0–99 dB refuse the sentence.
    """
    total, number = int(fields[0] or "0"), int(fields[1])
    satellites = []
    for start in range(3, len(fields) - 3, 4):  # whole blocks; NMEA 4.11 adds a signal id
        prn_text, elevation, azimuth, snr = fields[start : start + 4]
        if not prn_text:
            continue
        prn = int(prn_text)
        if not 1 <= prn <= 999:  # an identifier, and it must fit any store's integers
            raise MalformedField(f"GSV satellite number out of range: {prn_text[:12]!r}")
        satellites.append(
            {
                "id": prn - 64 if 65 <= prn <= 96 else prn,
                "elevation": _satellite_field(elevation, -90.0, 90.0, DEG),
                "azimuth": _satellite_field(azimuth, 0.0, 360.0, DEG),
                "SNR": _satellite_field(snr, 0.0, 99.0),
            }
        )
    # Only a sentence that parsed whole joins its sequence.
    sequences = stream.memory.setdefault("gsv", {})
    if number == 1:
        count = int(fields[2])
        if not 1 <= total <= 99 or not 0 <= count <= 999:
            raise MalformedField("GSV sentence or satellite count out of range")
        sequences.pop(stream.talker, None)
        if len(sequences) >= _GSV_TALKERS_IN_PROGRESS:
            del sequences[next(iter(sequences))]
        state = sequences[stream.talker] = {"next": 1, "total": total, "count": count, "sats": []}
    else:
        state = sequences.get(stream.talker)
        if state is None or state["next"] != number:
            sequences.pop(stream.talker, None)
            raise NotMapped("GSV incomplete")
    state["next"] += 1
    state["sats"].extend(satellites)
    del state["sats"][state["count"] :]
    if number < state["total"]:
        return []
    del sequences[stream.talker]
    value = {"count": state["count"], "satellites": state["sats"]}
    if stream.talker in GNSS_SYSTEMS:
        value["gnss"] = GNSS_SYSTEMS[stream.talker]
    return [Reading("navigation.gnss.satellitesInView", value)]


def rpm_revolutions(fields: list[str], stream: Stream) -> list[Reading]:
    """RPM: ``propulsion.<engine|shaft>_<number>.revolutions`` in Hz, as Signal K.

    The number names a path, so it is held to one or two digits.
    """
    f = fields + [""] * (3 - len(fields))
    if not f[2]:
        return []
    if not (f[1].isdigit() and f[1].isascii() and len(f[1]) <= 2):
        raise MalformedField("RPM engine or shaft number is not 0-99")
    kind = "shaft" if f[0].upper() == "S" else "engine"
    return [Reading(f"propulsion.{kind}_{f[1]}.revolutions", float(f[2]) / 60.0)]


def vdr_current(fields: list[str], stream: Stream) -> list[Reading]:
    """VDR set (true, magnetic) and drift (knots) → the ``environment.current`` object."""
    f = fields + [""] * (5 - len(fields))
    current = {}
    for key, index, scale in (("setTrue", 0, DEG), ("setMagnetic", 2, DEG), ("drift", 4, KNOT)):
        if f[index]:
            current[key] = float(f[index]) * scale
    return [Reading("environment.current", current)] if current else []


_CRUZPRO_DIGITS = "ABCDEFGHIJKLMNOP"  # A = 0 … P = 15


def _cruzpro(data: str, start: int) -> int:
    """Four letter-digits ``abcd`` → 16a + b + 4096c + 256d (CruzPro's byte order)."""
    a, b, c, d = (_CRUZPRO_DIGITS.index(x) for x in data[start : start + 4])
    return 16 * a + b + 4096 * c + 256 * d


def cruzpro_gauge(fields: list[str], stream: Stream) -> list[Reading]:
    """``$PBVE``: CruzPro gauges, values written as letters A–P (Signal K's PBVE hook).

    Product B (RH30/60/110): engine RPM and hours; D (OP30/60): oil pressure in psi or
    bar; E (T30/60): coolant temperature in °F or °C. The unit flag is read at characters
    14–15, where the gauges' layout puts it (Signal K's hook reads 15–16).
    """
    data = fields[0] if fields else ""
    if not data or not set(data) <= set(_CRUZPRO_DIGITS + "QRSTUVWXYZ"):
        raise MalformedField("PBVE data is not letters")
    product = data[0]
    if product == "B":
        if len(data) < 46:
            raise MalformedField("PBVE RPM data too short")
        minutes = 16 * _CRUZPRO_DIGITS.index(data[28]) + _CRUZPRO_DIGITS.index(data[29])
        return [
            Reading("propulsion.0.revolutions", _cruzpro(data, 42) / 60.0),
            Reading("propulsion.0.runTime", float(_cruzpro(data, 30) * 3600 + minutes * 60)),
        ]
    if product in "DE":
        if len(data) < 32:
            raise MalformedField("PBVE gauge data too short")
        value, imperial = _cruzpro(data, 28), data[14:16] == "AA"
        if product == "D":
            return [Reading("propulsion.0.oilPressure", value * (PSI if imperial else BAR))]
        kelvin = (value - 32) * 5 / 9 + CELSIUS_ZERO if imperial else value + CELSIUS_ZERO
        return [Reading("propulsion.0.coolantTemperature", float(kelvin))]
    raise NotMapped(f"PBVE {product}")


SENTENCES: dict[str, Sentence] = {
    "RMC": Sentence(
        "Recommended minimum navigation information",
        rules=(
            ("navigation.position", Position(2, 3, 4, 5)),
            ("navigation.speedOverGround", Num(6, KNOT)),
            ("navigation.courseOverGroundTrue", Angle(7)),
            ("navigation.magneticVariation", Signed(9, 10, "W", DEG)),
        ),
        status=(1, "A"),
        time=SentenceTime(tod=0, ddmmyy=8),
        notes="also navigation.datetime (ISO 8601) from date + time",
    ),
    "GGA": Sentence(
        "GNSS fix data",
        rules=(
            ("navigation.position", Position(1, 2, 3, 4)),
            ("navigation.gnss.methodQuality", Lookup(5, GGA_QUALITY)),
            ("navigation.gnss.satellites", Num(6)),
            ("navigation.gnss.horizontalDilution", Num(7)),
            ("navigation.gnss.antennaAltitude", Num(8)),
            ("navigation.gnss.geoidalSeparation", Num(10)),
        ),
        status=(5, "12345678"),
        time=SentenceTime(tod=0),
    ),
    "GLL": Sentence(
        "Geographic position",
        rules=(("navigation.position", Position(0, 1, 2, 3)),),
        status=(5, "AD"),
        time=SentenceTime(tod=4),
    ),
    "GNS": Sentence(
        "GNSS fix data (multi-constellation)",
        rules=(
            ("navigation.position", Position(1, 2, 3, 4)),
            ("navigation.gnss.satellites", Num(6)),
            ("navigation.gnss.horizontalDilution", Num(7)),
            ("navigation.gnss.antennaAltitude", Num(8)),
            ("navigation.gnss.geoidalSeparation", Num(9)),
        ),
        time=SentenceTime(tod=0),
    ),
    "VTG": Sentence(
        "Track made good and ground speed",
        rules=(
            ("navigation.courseOverGroundTrue", Angle(0)),
            ("navigation.courseOverGroundMagnetic", Angle(2)),
            ("navigation.speedOverGround", First(Num(4, KNOT), Num(6, KMH))),
        ),
    ),
    "HDT": Sentence("Heading, true", rules=(("navigation.headingTrue", Angle(0)),)),
    "HDM": Sentence("Heading, magnetic", rules=(("navigation.headingMagnetic", Angle(0)),)),
    "HDG": Sentence(
        "Heading, deviation and variation",
        rules=(
            ("navigation.headingMagnetic", CorrectedHeading(0, (1, 2))),
            ("navigation.headingCompass", When(1, Angle(0))),
            ("navigation.headingTrue", CorrectedHeading(0, (1, 2), (3, 4))),
            ("navigation.magneticDeviation", Signed(1, 2, "W", DEG)),
            ("navigation.magneticVariation", Signed(3, 4, "W", DEG)),
        ),
    ),
    "DBT": Sentence(
        "Depth below transducer",
        rules=(
            (
                "environment.depth.belowTransducer",
                First(Num(2), Num(0, FOOT), Num(4, FATHOM)),
            ),
        ),
        notes="metres field, else feet, else fathoms",
    ),
    "DBS": Sentence(
        "Depth below surface",
        rules=(("environment.depth.belowSurface", First(Num(2), Num(0, FOOT), Num(4, FATHOM))),),
    ),
    "DPT": Sentence(
        "Depth and transducer offset",
        rules=(
            ("environment.depth.belowTransducer", Num(0)),
            ("environment.depth.surfaceToTransducer", TransducerOffset(1, +1)),
            ("environment.depth.belowSurface", OffsetDepth(0, 1, +1)),
            ("environment.depth.transducerToKeel", TransducerOffset(1, -1)),
            ("environment.depth.belowKeel", OffsetDepth(0, 1, -1)),
        ),
        notes="offset > 0: transducer to waterline; offset < 0: transducer to keel",
    ),
    "MTW": Sentence(
        "Water temperature",
        rules=(("environment.water.temperature", Num(0, 1.0, CELSIUS_ZERO)),),
    ),
    "MWV": Sentence(
        "Wind speed and angle",
        rules=(
            (
                Choice(
                    1,
                    {"R": "environment.wind.angleApparent", "T": "environment.wind.angleTrueWater"},
                ),
                WindAngle(0),
            ),
            (
                Choice(
                    1, {"R": "environment.wind.speedApparent", "T": "environment.wind.speedTrue"}
                ),
                Units(2, 3, SPEED_UNITS),
            ),
        ),
        status=(4, "A"),
    ),
    "MWD": Sentence(
        "Wind direction and speed (relative to north)",
        rules=(
            ("environment.wind.directionTrue", When(1, Angle(0))),
            ("environment.wind.directionMagnetic", When(3, Angle(2))),
            ("environment.wind.speedTrue", First(Num(6), Num(4, KNOT))),
        ),
        notes="m/s field preferred over knots, as Signal K",
    ),
    "VHW": Sentence(
        "Water speed and heading",
        rules=(
            ("navigation.headingTrue", Angle(0)),
            ("navigation.headingMagnetic", Angle(2)),
            ("navigation.speedThroughWater", First(Num(4, KNOT), Num(6, KMH))),
        ),
    ),
    "VLW": Sentence(
        "Distance travelled through water",
        rules=(
            ("navigation.log", Num(0, NAUTICAL_MILE)),
            ("navigation.trip.log", Num(2, NAUTICAL_MILE)),
        ),
        notes="nautical miles → metres (Signal K's hook passes miles through; the spec says m)",
    ),
    "VWR": Sentence(
        "Relative (apparent) wind speed and angle",
        rules=(
            ("environment.wind.angleApparent", Signed(0, 1, "L", DEG)),
            ("environment.wind.speedApparent", First(Num(2, KNOT), Num(4), Num(6, KMH))),
        ),
    ),
    "VWT": Sentence(
        "True wind speed and angle",
        rules=(
            ("environment.wind.angleTrueWater", Signed(0, 1, "L", DEG)),
            ("environment.wind.speedTrue", First(Num(4), Num(2, KNOT), Num(6, KMH))),
        ),
    ),
    "XDR": Sentence(
        "Transducer measurements",
        expand=xdr_measurements,
        notes="by transducer name (XDR_NAMES), else sensors.xdr.<name>.<quantity>",
    ),
    "ZDA": Sentence(
        "Time and date",
        time=SentenceTime(tod=0, ymd=(3, 2, 1)),
        notes="navigation.datetime (ISO 8601); sets the decoder's clock",
    ),
    "XTE": Sentence(
        "Cross-track error",
        rules=(
            ("navigation.courseRhumbline.crossTrackError", SignedUnits(2, 3, 4, DISTANCE_UNITS)),
        ),
        status=(0, "A"),
        notes="steer left is positive, as Signal K",
    ),
    "RMB": Sentence(
        "Recommended minimum navigation information (destination)",
        rules=(
            ("navigation.courseRhumbline.crossTrackError", Signed(1, 2, "R", NAUTICAL_MILE)),
            ("navigation.courseRhumbline.previousPoint.ID", Text(3)),
            ("navigation.courseRhumbline.nextPoint.ID", Text(4)),
            ("navigation.courseRhumbline.nextPoint.position", Position(5, 6, 7, 8)),
            ("navigation.courseRhumbline.nextPoint.distance", Num(9, NAUTICAL_MILE)),
            ("navigation.courseRhumbline.nextPoint.bearingTrue", Angle(10)),
            ("navigation.courseRhumbline.nextPoint.velocityMadeGood", Num(11, KNOT)),
        ),
        status=(0, "A"),
        notes="negative VMG is kept (Signal K clamps it to 0)",
    ),
    "APB": Sentence(
        "Autopilot sentence B",
        rules=(
            ("navigation.courseRhumbline.crossTrackError", SignedUnits(2, 3, 4, DISTANCE_UNITS)),
            (_by_reference(8, "navigation.courseRhumbline.bearingTrack{}"), Angle(7)),
            (
                _by_reference(8, "navigation.courseRhumbline.bearingOriginToDestination{}"),
                Angle(7),
            ),
            (_by_reference(11, "navigation.courseRhumbline.nextPoint.bearing{}"), Angle(10)),
            ("navigation.courseRhumbline.nextPoint.ID", Text(9)),
            (_by_reference(13, "steering.autopilot.target.heading{}"), Angle(12)),
        ),
        status=(0, "A"),
        notes="arrival notifications are not emitted",
    ),
    "ROT": Sentence(
        "Rate of turn",
        rules=(("navigation.rateOfTurn", Num(0, DEG / 60.0)),),
        status=(1, "A"),
    ),
    "RSA": Sentence(
        "Rudder sensor angle",
        rules=(("steering.rudderAngle", Angle(0)),),
        status=(1, "A"),
        notes="starboard (or single) rudder only, as Signal K",
    ),
    "THS": Sentence(
        "True heading and status",
        rules=(("navigation.headingTrue", Angle(0)),),
        status=(1, "AEMS"),
        notes="mode V (not valid) refused as void_status; in Signal K's repository, after 3.20.1",
    ),
    "DBK": Sentence(
        "Depth below keel",
        rules=(("environment.depth.belowKeel", First(Num(2), Num(0, FOOT), Num(4, FATHOM))),),
        notes="metres field, else feet, else fathoms (Signal K reads metres only)",
    ),
    "MTA": Sentence(
        "Air temperature",
        rules=(("environment.outside.temperature", Num(0, 1.0, CELSIUS_ZERO)),),
        status=(1, "C"),
        notes="a unit other than C is refused as void_status, as Signal K drops it",
    ),
    "MDA": Sentence(
        "Meteorological composite",
        rules=(
            ("environment.outside.pressure", First(Num(2, BAR), Num(0, INHG))),
            ("environment.outside.temperature", Num(4, 1.0, CELSIUS_ZERO)),
            ("environment.water.temperature", Num(6, 1.0, CELSIUS_ZERO)),
            ("environment.outside.humidity", Num(8, 0.01)),
            ("environment.outside.humidityAbsolute", Num(9, 0.01)),
            ("environment.outside.dewPointTemperature", Num(10, 1.0, CELSIUS_ZERO)),
            ("environment.wind.directionTrue", Angle(12)),
            ("environment.wind.directionMagnetic", Angle(14)),
            ("environment.wind.speedOverGround", First(Num(18), Num(16, KNOT))),
        ),
        notes="SI fields preferred (bar over inHg, m/s over knots), as Signal K",
    ),
    "VPW": Sentence(
        "Speed parallel to wind",
        rules=(("performance.velocityMadeGood", First(Num(2), Num(0, KNOT))),),
        notes="m/s field preferred; negative is downwind",
    ),
    "VDR": Sentence(
        "Set and drift",
        interpret=vdr_current,
        produces=("environment.current",),
        notes="one object {setTrue, setMagnetic, drift}, as Signal K",
    ),
    "HSC": Sentence(
        "Heading steering command",
        rules=(
            (_by_reference(1, "steering.autopilot.target.heading{}"), Angle(0)),
            (_by_reference(3, "steering.autopilot.target.heading{}"), Angle(2)),
        ),
    ),
    "BOD": Sentence(
        "Bearing, origin to destination",
        rules=(
            (_by_reference(1, "navigation.courseRhumbline.bearingTrack{}"), Angle(0)),
            (_by_reference(3, "navigation.courseRhumbline.bearingTrack{}"), Angle(2)),
            ("navigation.courseRhumbline.nextPoint.ID", Text(4)),
            ("navigation.courseRhumbline.previousPoint.ID", Text(5)),
        ),
    ),
    "BWC": Sentence(
        "Bearing and distance to waypoint, great circle",
        rules=(
            ("navigation.courseGreatCircle.nextPoint.position", Position(1, 2, 3, 4)),
            ("navigation.courseGreatCircle.nextPoint.distance", Units(9, 10, DISTANCE_UNITS)),
            (Choice(6, {"T": "navigation.courseGreatCircle.bearingTrackTrue"}), Angle(5)),
            (Choice(8, {"M": "navigation.courseGreatCircle.bearingTrackMagnetic"}), Angle(7)),
        ),
        time=SentenceTime(tod=0),
    ),
    "BWR": Sentence(
        "Bearing and distance to waypoint, rhumb line",
        rules=(
            ("navigation.courseRhumbline.nextPoint.position", Position(1, 2, 3, 4)),
            ("navigation.courseRhumbline.nextPoint.distance", Units(9, 10, DISTANCE_UNITS)),
            (_by_reference(6, "navigation.courseRhumbline.bearingTrack{}"), Angle(5)),
            (_by_reference(8, "navigation.courseRhumbline.bearingTrack{}"), Angle(7)),
        ),
        time=SentenceTime(tod=0),
    ),
    "RPM": Sentence(
        "Revolutions",
        interpret=rpm_revolutions,
        produces=(
            "propulsion.engine_{number}.revolutions",
            "propulsion.shaft_{number}.revolutions",
        ),
        notes="rpm → Hz; the path names the engine or shaft (0-99), as Signal K",
    ),
    "GSV": Sentence(
        "GNSS satellites in view",
        interpret=gsv_satellites,
        produces=("navigation.gnss.satellitesInView",),
        notes="one object per complete sequence, per talker",
    ),
    "DSC": Sentence(
        "Digital selective calling",
        interpret=dsc.dsc_call,
        produces=dsc.PATHS,
        notes="to the context of the vessel the call is about (urn:mrn:imo:mmsi:NNN)",
    ),
    "DSE": Sentence(
        "Expanded DSC: position to 1/10000 minute",
        interpret=dsc.dse_expansion,
        produces=("navigation.position",),
        notes="refines the preceding DSC position of the same station, in its context",
    ),
    "ALK": Sentence(
        "Seatalk1 datagram ($STALK)",
        interpret=seatalk.stalk,
        produces=seatalk.PATHS,
        clock=True,
        notes="datagrams in ingest/seatalk.py",
    ),
    "PSMDST": Sentence(
        "Seatalk1 datagram (ShipModul Miniplex)",
        interpret=seatalk.psmdst,
        produces=seatalk.PATHS,
        clock=True,
        notes="as ALK, after an optional R (received) field; C (sent) is not read",
    ),
    "PNKEP": Sentence(
        "NKE performance data",
        rules=(
            (
                Choice(0, {"01": "performance.targetSpeed"}),
                First(Units(1, 2, {"N": KNOT}), Units(3, 4, {"K": KMH})),
            ),
            (Choice(0, {"02": "performance.tackMagnetic"}), Angle(1)),
            (Choice(0, {"03": "performance.targetAngle"}), Angle(1)),
        ),
        notes="01 target speed (knots, else km/h), 02 course on next tack, 03 optimal VMG angle",
    ),
    "PBVE": Sentence(
        "CruzPro gauges",
        interpret=cruzpro_gauge,
        produces=(
            "propulsion.0.revolutions",
            "propulsion.0.runTime",
            "propulsion.0.oilPressure",
            "propulsion.0.coolantTemperature",
        ),
    ),
}

__all__ = [
    "GNSS_SYSTEMS",
    "SENTENCES",
    "XDR_NAMES",
    "XDR_TYPES",
    "cruzpro_gauge",
    "gsv_satellites",
    "rpm_revolutions",
    "vdr_current",
    "xdr_measurements",
]
