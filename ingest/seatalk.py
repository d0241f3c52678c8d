"""Seatalk1 datagrams carried in NMEA 0183: ``$STALK`` and ShipModul's ``$PSMDST``.

Raymarine's Seatalk1 bus speaks binary datagrams; gateways forward each one as a sentence
of hex bytes (``$STALK,84,B6,10,00,00,00,00,00,00*14``). Byte 0 is the datagram type, the
low nibble of byte 1 the count of data bytes beyond the third. One row per datagram type
in :data:`DATAGRAMS`, following the hooks of Signal K's reference parser
(``hooks/seatalk/0x*.ts`` of ``@signalk/nmea0183-signalk``) and Thomas Knauf's Seatalk
reference; deviations are listed in docs/signalk-mapping.md. Field indices below are byte
indices, as the hooks' ``parts``.

A byte that is not hex, or a datagram shorter than its length nibble says, refuses the
sentence as ``malformed_field``; a datagram type without a row is counted as valid but
not mapped (``ALK 23``).

The GPS's date (56) and time (54) together are a full instant, like RMC's date and time:
they set the decoder's clock (:attr:`~isomer_data.ingest.normalize.Stream.fix`), so the
other sentences of a log whose only date is on the Seatalk bus are dated by it, before
and after (:mod:`isomer_data.ingest.dating`).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from typing import Any

from isomer_data.ingest.clock import DAY, days_from_civil
from isomer_data.ingest.normalize import (
    CELSIUS_ZERO,
    DEG,
    FOOT,
    KNOT,
    NAUTICAL_MILE,
    MalformedField,
    NotMapped,
    Reading,
    Stream,
    iso_time,
)

Decode = Callable[[list[int], dict[str, Any]], list[Reading]]
_HEX = frozenset("0123456789abcdefABCDEF")


def _word(low: int, high: int) -> int:
    """Seatalk sends 16-bit values least significant byte first."""
    return low + 256 * high


def _signed(byte: int) -> int:
    return byte - 256 if byte > 127 else byte


def _compass(u: int, vw: int) -> float:
    """Heading in degrees: (U & 3)·90 + (VW & 0x3F)·2 + the number of bits set in U & 0xC.

    Signal K's released hook counts the odd bit of U instead of the bits of U & 0xC; its
    current tests (and Knauf's reference) count the bits, as here.
    """
    return (u & 0x3) * 90.0 + (vw & 0x3F) * 2.0 + bin(u & 0xC).count("1")


def _depth(b: list[int], memory: dict) -> list[Reading]:
    # 00 02 YZ XX XX: depth below transducer XXXX/10 feet (flags in Y, Z).
    feet = (b[3] + ((b[4] & 0x7F) << 8)) / 10.0
    return [Reading("environment.depth.belowTransducer", feet * FOOT)]


def _wind_angle(b: list[int], memory: dict) -> list[Reading]:
    # 10 01 XX YY: apparent wind angle XXYY/2 degrees right of the bow.
    angle = (256 * b[2] + b[3]) / 2.0
    if angle > 180.0:
        angle -= 360.0
    return [Reading("environment.wind.angleApparent", angle * DEG)]


def _wind_speed(b: list[int], memory: dict) -> list[Reading]:
    # 11 01 XX 0Y: apparent wind speed (XX & 0x7F) + Y/10 knots (XX & 0x80: display unit).
    knots = (b[2] & 0x7F) + b[3] / 10.0
    return [Reading("environment.wind.speedApparent", knots * KNOT)]


def _water_speed(b: list[int], memory: dict) -> list[Reading]:
    # 20 01 XX XX: speed through water XXXX/10 knots.
    return [Reading("navigation.speedThroughWater", _word(b[2], b[3]) / 10.0 * KNOT)]


def _trip(b: list[int], memory: dict) -> list[Reading]:
    # 21 02 XX XX 0X: trip mileage XXXXX/100 nautical miles.
    miles = (_word(b[2], b[3]) + (b[4] & 0x0F) * 65536) / 100.0
    return [Reading("navigation.trip.log", miles * NAUTICAL_MILE)]


def _log(b: list[int], memory: dict) -> list[Reading]:
    # 22 02 XX XX 00: total mileage XXXX/10 nautical miles.
    return [Reading("navigation.log", _word(b[2], b[3]) / 10.0 * NAUTICAL_MILE)]


def _trip_and_log(b: list[int], memory: dict) -> list[Reading]:
    # 25 Z4 XX YY UU VV AW: total (XX + YY·256 + Z·65536)/10 NM, trip (UU + VV·256 + W·65536)/100 NM.
    total = (_word(b[2], b[3]) + (b[1] >> 4) * 65536) / 10.0
    trip = (_word(b[4], b[5]) + (b[6] & 0x0F) * 65536) / 100.0
    return [
        Reading("navigation.trip.log", trip * NAUTICAL_MILE),
        Reading("navigation.log", total * NAUTICAL_MILE),
    ]


def _water_speeds(b: list[int], memory: dict) -> list[Reading]:
    # 26 04 XX XX YY YY DE: XXXX/100 kn current speed if D & 4; YYYY/100 kn average if not D & 8.
    flags = b[6] >> 4
    out = []
    if flags & 4:
        out.append(Reading("navigation.speedThroughWater", _word(b[2], b[3]) / 100.0 * KNOT))
    if not flags & 8:
        average = _word(b[4], b[5]) / 100.0 * KNOT
        out.append(Reading("navigation.averageSpeedThroughWater", average))
    return out


def _water_temperature(b: list[int], memory: dict) -> list[Reading]:
    # 27 01 XX XX: water temperature (XXXX − 100)/10 °C.
    celsius = (_word(b[2], b[3]) - 100) / 10.0
    return [Reading("environment.water.temperature", celsius + CELSIUS_ZERO)]


def _position_half(key: str, negative_when_set: bool) -> Decode:
    def decode(b: list[int], memory: dict) -> list[Reading]:
        # 50/51 Z2 XX YY YY: XX degrees, (YYYY & 0x7FFF)/100 minutes, YYYY & 0x8000 the side.
        word = _word(b[3], b[4])
        minutes = (word & 0x7FFF) / 100.0
        degrees = b[2] + minutes / 60.0 if minutes < 60.0 else math.nan  # refused below
        memory[key] = -degrees if bool(word & 0x8000) == negative_when_set else degrees
        latitude, longitude = memory.get("seatalk.latitude"), memory.get("seatalk.longitude")
        if latitude is None or longitude is None:
            return []
        return [Reading("navigation.position", {"longitude": longitude, "latitude": latitude})]

    return decode


def _ground_speed(b: list[int], memory: dict) -> list[Reading]:
    # 52 01 XX XX: speed over ground XXXX/10 knots.
    return [Reading("navigation.speedOverGround", _word(b[2], b[3]) / 10.0 * KNOT)]


def _course(b: list[int], memory: dict) -> list[Reading]:
    # 53 U0 VW: magnetic course (U & 3)·90 + (VW & 0x3F)·2 + (U & 0xC)/8 degrees.
    u = b[1] >> 4
    degrees = (u & 0x3) * 90.0 + (b[2] & 0x3F) * 2.0 + (u & 0xC) / 8.0
    return [Reading("navigation.courseOverGroundMagnetic", degrees * DEG)]


# Around midnight the GPS's date (56, sent less often) and time (54) may straddle it.
MIDNIGHT_WINDOW = 3600.0


def _datetime(memory: dict) -> list[Reading]:
    """The date and time last seen, once both are known, as Signal K's 54 and 56 hooks.

    Both datagrams give it, and it is a full instant for the decoder's clock
    (:attr:`Stream.fix`, set by :func:`datagram`). Near midnight one of the two may still be
    of the other day (00:00:01 with yesterday's date, today's date with 23:59:59): when the
    time of day is within :data:`MIDNIGHT_WINDOW` of midnight and the same time one day
    later or earlier lies within that window of the previous instant, that day is taken,
    so the clock neither jumps a day nor runs back one. A date change anywhere else (a GPS
    that corrects its date after start-up) is taken as sent.
    """
    date, time = memory.get("seatalk.date"), memory.get("seatalk.time")
    if date is None or time is None:
        return []
    tod = time.hour * 3600.0 + time.minute * 60.0 + time.second
    instant = days_from_civil(date.year, date.month, date.day) * DAY + tod
    previous = memory.get("seatalk.instant")
    if previous is not None and not MIDNIGHT_WINDOW <= tod <= DAY - MIDNIGHT_WINDOW:
        for other in (instant - DAY, instant + DAY):
            if abs(other - previous) <= MIDNIGHT_WINDOW:
                instant = other
                break
    memory["seatalk.instant"] = instant
    return [Reading("navigation.datetime", iso_time(instant))]


def _time(b: list[int], memory: dict) -> list[Reading]:
    # 54 T1 RS HH: HH hours, minutes (RS & 0xFC)/4, seconds ((RS & 0x0F)·16 + T) & 0x3F.
    hour, minute = b[3], (b[2] & 0xFC) >> 2
    second = (((b[2] & 0x0F) << 4) + (b[1] >> 4)) & 0x3F
    try:
        memory["seatalk.time"] = _dt.time(hour, minute, second)
    except ValueError as error:  # hour 24 or more, second 60 or more
        raise MalformedField(str(error)) from error
    return _datetime(memory)


def _date(b: list[int], memory: dict) -> list[Reading]:
    # 56 M1 DD YY: day DD, month M, year 2000 + YY.
    try:
        memory["seatalk.date"] = _dt.date(2000 + b[3], b[1] >> 4, b[2])
    except ValueError as error:  # Signal K's hook lets Date roll 31 Feb into March; refused
        raise MalformedField(str(error)) from error
    return _datetime(memory)


def _satellites(b: list[int], memory: dict) -> list[Reading]:
    # 57 S0 DD: S satellites, DD horizontal dilution (0x94 when S is 1).
    count = b[1] >> 4
    dilution = 0x94 if count == 1 else b[2]
    return [
        Reading("navigation.gnss.satellites", float(count)),
        Reading("navigation.gnss.horizontalDilution", float(dilution)),
    ]


def _waypoint(b: list[int], memory: dict) -> list[Reading]:
    # 82 05 XX xx YY yy ZZ zz: four 6-bit characters of the target waypoint's name.
    x, y, z = b[2], b[4], b[6]
    codes = (
        (x & 0x3F) + 0x30,
        (y & 0x0F) * 4 + (x & 0xC0) // 64 + 0x30,
        (z & 0x03) * 16 + (y & 0xF0) // 16 + 0x30,
        (z & 0xFC) // 4 + 0x30,
    )
    name = "".join(map(chr, codes)).strip("0")  # "0" pads unused positions
    return [Reading("navigation.courseRhumbline.nextPoint.ID", name)] if name else []


AUTOPILOT_MODES = ((0x8, "route"), (0x4, "wind"), (0x2, "auto"))


def _autopilot(b: list[int], memory: dict) -> list[Reading]:
    # 84 U6 VW XY 0Z 0M RR SS TT: heading, autopilot course (V & 0xC)/4·90 + XY/2, mode Z,
    # rudder RR degrees (starboard positive).
    u, vw, z = b[1] >> 4, b[2], b[4] & 0x0F
    course = ((vw >> 4) & 0xC) / 4 * 90.0 + b[3] / 2.0
    mode = next((name for bit, name in AUTOPILOT_MODES if z & bit), "standby")
    return [
        Reading("navigation.headingMagnetic", _compass(u, vw) * DEG),
        Reading("steering.autopilot.target.headingMagnetic", course * DEG),
        Reading("steering.rudderAngle", _signed(b[6]) * DEG),
        Reading("steering.autopilot.state", mode),
    ]


def _navigation(b: list[int], memory: dict) -> list[Reading]:
    # 85 X6 XX VU ZW ZZ YF 00 yf: cross-track error, bearing and distance to the waypoint;
    # F says which are present. Nibbles are sent low-nibble-last (as Signal K's current hook).
    x, u, v = b[1] >> 4, b[3] & 0x0F, b[3] >> 4
    z_high, w, y, present = b[4] >> 4, b[4] & 0x0F, b[6] >> 4, b[6] & 0x0F
    out = []
    if present & 0x1:
        miles = ((b[2] << 4) | x) / 100.0
        steer_right = bool(y & 0x4)  # negative cross-track error, as Signal K
        out.append(
            Reading(
                "navigation.courseRhumbline.crossTrackError",
                (-miles if steer_right else miles) * NAUTICAL_MILE,
            )
        )
    if present & 0x2:
        degrees = (u & 0x3) * 90.0 + ((w << 4) | v) / 2.0
        reference = "True" if u & 0x8 else "Magnetic"
        out.append(
            Reading(f"navigation.courseRhumbline.nextPoint.bearing{reference}", degrees * DEG)
        )
    if present & 0x4:
        raw = (b[5] << 4) | z_high
        miles = raw / 100.0 if y & 0x1 else raw / 10.0
        out.append(Reading("navigation.courseRhumbline.nextPoint.distance", miles * NAUTICAL_MILE))
    return out


def _variation(b: list[int], memory: dict) -> list[Reading]:
    # 99 00 XX: compass variation, XX signed, positive west (Signal K: east positive).
    return [Reading("navigation.magneticVariation", -_signed(b[2]) * DEG)]


def _compass_and_rudder(b: list[int], memory: dict) -> list[Reading]:
    # 9C U1 VW RR: heading as in 84, rudder RR degrees.
    return [
        Reading("navigation.headingMagnetic", _compass(b[1] >> 4, b[2]) * DEG),
        Reading("steering.rudderAngle", _signed(b[3]) * DEG),
    ]


# Datagram type → (decoder, the paths it can give).
DATAGRAMS: dict[int, tuple[Decode, tuple[str, ...]]] = {
    0x00: (_depth, ("environment.depth.belowTransducer",)),
    0x10: (_wind_angle, ("environment.wind.angleApparent",)),
    0x11: (_wind_speed, ("environment.wind.speedApparent",)),
    0x20: (_water_speed, ("navigation.speedThroughWater",)),
    0x21: (_trip, ("navigation.trip.log",)),
    0x22: (_log, ("navigation.log",)),
    0x25: (_trip_and_log, ("navigation.trip.log", "navigation.log")),
    0x26: (
        _water_speeds,
        ("navigation.speedThroughWater", "navigation.averageSpeedThroughWater"),
    ),
    0x27: (_water_temperature, ("environment.water.temperature",)),
    0x50: (_position_half("seatalk.latitude", True), ("navigation.position",)),
    0x51: (_position_half("seatalk.longitude", False), ("navigation.position",)),
    0x52: (_ground_speed, ("navigation.speedOverGround",)),
    0x53: (_course, ("navigation.courseOverGroundMagnetic",)),
    0x54: (_time, ("navigation.datetime",)),
    0x56: (_date, ("navigation.datetime",)),
    0x57: (_satellites, ("navigation.gnss.satellites", "navigation.gnss.horizontalDilution")),
    0x82: (_waypoint, ("navigation.courseRhumbline.nextPoint.ID",)),
    0x84: (
        _autopilot,
        (
            "navigation.headingMagnetic",
            "steering.autopilot.target.headingMagnetic",
            "steering.rudderAngle",
            "steering.autopilot.state",
        ),
    ),
    0x85: (
        _navigation,
        (
            "navigation.courseRhumbline.crossTrackError",
            "navigation.courseRhumbline.nextPoint.bearingTrue",
            "navigation.courseRhumbline.nextPoint.bearingMagnetic",
            "navigation.courseRhumbline.nextPoint.distance",
        ),
    ),
    0x99: (_variation, ("navigation.magneticVariation",)),
    0x9C: (_compass_and_rudder, ("navigation.headingMagnetic", "steering.rudderAngle")),
}

# The datagrams that complete a date and time: a dated source for the decoder's clock.
CLOCK_DATAGRAMS = frozenset((0x54, 0x56))

PATHS: tuple[str, ...] = tuple(dict.fromkeys(p for _, paths in DATAGRAMS.values() for p in paths))


def datagram(fields: list[str], stream: Stream, label: str = "ALK") -> list[Reading]:
    """One Seatalk datagram (hex bytes, type first) → readings.

    Raises
    ------
    MalformedField
        A byte that is not one or two hex digits, or fewer bytes than the datagram's
        length nibble announces.
    NotMapped
        A well-formed datagram of a type without a row.
    """
    for text in fields:
        if not 1 <= len(text) <= 2 or not _HEX.issuperset(text):
            raise MalformedField(f"not a hex byte: {text[:8]!r}")
    data = [int(text, 16) for text in fields]
    if not data:
        raise MalformedField("no datagram")
    row = DATAGRAMS.get(data[0])
    if row is None:
        raise NotMapped(f"{label} {data[0]:02X}")
    if len(data) < 2 or len(data) < 3 + (data[1] & 0x0F):
        raise MalformedField("datagram shorter than its length nibble")
    readings = row[0](data, stream.memory)
    if data[0] in CLOCK_DATAGRAMS and readings:
        stream.fix = stream.memory["seatalk.instant"]
    return readings


def stalk(fields: list[str], stream: Stream) -> list[Reading]:
    """``$STALK,<type>,<bytes>…``: the datagram is the whole sentence."""
    return datagram(fields, stream, "ALK")


def psmdst(fields: list[str], stream: Stream) -> list[Reading]:
    """``$PSMDST,[R|C,]<type>,<bytes>…``: ShipModul Miniplex; newer firmware says whether
    it received (``R``) or sent (``C``) the datagram. Sent ones echo what the multiplexer
    put on the bus from other inputs, so only received ones are read, as Signal K."""
    if fields and fields[0].upper() == "R":
        fields = fields[1:]
    elif fields and fields[0].upper() == "C":
        raise NotMapped("PSMDST sent")
    return datagram(fields, stream, "PSMDST")


__all__ = ["CLOCK_DATAGRAMS", "DATAGRAMS", "PATHS", "datagram", "psmdst", "stalk"]
