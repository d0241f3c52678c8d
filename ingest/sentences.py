"""The NMEA 0183 → Signal K table: the one place where a sentence is mapped to paths.

One row per sentence type, following the reference mapping of @signalk/nmea0183-signalk
(its ``hooks/*.js``); deviations are noted in the row and in docs/signalk-mapping.md.
Adding a sentence is adding a row: the engine in :mod:`isomer_data.ingest.normalize` walks it, the
batch decoder in :mod:`isomer_data.ingest.fastpath` reuses it, and the docs table is checked against
it. Field indices count from the first field after the address (``$GPRMC`` is not a
field), like the ``parts`` array of the Signal K hooks.
"""

from __future__ import annotations

from isomer_data.ingest.normalize import (
    BAR,
    CELSIUS_ZERO,
    DEG,
    FATHOM,
    FOOT,
    KILOMETRE,
    KMH,
    KNOT,
    NAUTICAL_MILE,
    Angle,
    Choice,
    CorrectedHeading,
    First,
    Lookup,
    Num,
    OffsetDepth,
    Position,
    Sentence,
    SentenceTime,
    Signed,
    SignedUnits,
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


# XDR: transducer name → Signal K path, for the names instruments commonly send.
XDR_NAMES: dict[str, str] = {
    "AIRTEMP": "environment.outside.temperature",
    "ENV_OUTAIR_T": "environment.outside.temperature",
    "TEMPAIR": "environment.outside.temperature",
    "WATERTEMP": "environment.water.temperature",
    "ENV_WATER_T": "environment.water.temperature",
    "BARO": "environment.outside.pressure",
    "ENV_ATMOS_P": "environment.outside.pressure",
    "HUMIDITY": "environment.outside.relativeHumidity",
    "ENV_OUTSIDE_H": "environment.outside.relativeHumidity",
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
}

__all__ = ["SENTENCES", "XDR_NAMES", "XDR_TYPES", "xdr_measurements"]
