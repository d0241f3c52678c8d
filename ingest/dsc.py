"""DSC calls (``$CDDSC``) from a VHF radio: positions and distress alerts of other vessels.

A DSC sentence is about the vessel that sent the call, or, for a distress relay or
acknowledgement sent by another station, about the vessel in distress; its values go to
that vessel's context (``urn:mrn:imo:mmsi:NNN``), never to our own. This follows Signal
K's reference hook (``hooks/DSC.ts`` of ``@signalk/nmea0183-signalk``, as its current
tests describe it: relays and acknowledgements attributed to the casualty, the distress
category implied by format 12, malformed MMSIs and positions refused).

Fields (after the address)::

    0 format (12 distress alert, 16 all ships, 20 individual…)   1 sender MMSI + "0"
    2 category (00 routine, 08 safety, 10 urgency, 12 distress)  3 nature or telecommand
    4 second telecommand   5 position QDDMMDDDMM   6 time HHMM   7 casualty MMSI + "0"
    8 casualty's nature of distress   9 acknowledgement   10 expansion follows
"""

from __future__ import annotations

import math
import re

from isomer_data.ingest.normalize import NotMapped, Reading, Stream
from isomer_data.ingest.observation import mmsi_urn

MMSI = re.compile(r"\d{9,10}")  # nine digits, normally followed by a trailing zero
POSITION = re.compile(r"[0-3]\d{9}")
ENHANCED = re.compile(r"\d{8}")  # DSE: latitude and longitude, 1/10000 minute each
_REMEMBERED_STATIONS = 64  # DSC positions waiting for a DSE, per stream

NATURE_OF_DISTRESS = {
    "00": "fire",
    "01": "flooding",
    "02": "collision",
    "03": "grounding",
    "04": "listing",
    "05": "sinking",
    "06": "adrift",
    "07": "undesignated",
    "08": "abandon",
    "09": "piracy",
    "10": "mob",
    "12": "epirb",
}
UNASSIGNED = "unassigned"
PATHS = (
    "navigation.position",
    *(f"notifications.{n}" for n in NATURE_OF_DISTRESS.values()),
    "notifications.unassigned",
)


def position(text: str) -> dict[str, float]:
    """``QDDMMDDDMM``: quadrant (0 NE, 1 NW, 2 SE, 3 SW), then whole degrees and minutes.

    Minutes of 60 or more give NaN, refused later as ``impossible_position`` like any
    other position's.
    """
    lat_minutes, lon_minutes = int(text[3:5]), int(text[8:10])
    latitude = int(text[1:3]) + lat_minutes / 60.0 if lat_minutes < 60 else math.nan
    longitude = int(text[5:8]) + lon_minutes / 60.0 if lon_minutes < 60 else math.nan
    quadrant = int(text[0])
    if quadrant in (1, 3):
        longitude = -longitude
    if quadrant in (2, 3):
        latitude = -latitude
    return {"longitude": longitude, "latitude": latitude}


def dsc_call(fields: list[str], stream: Stream) -> list[Reading]:
    """A DSC call → the position and distress of the vessel it is about.

    Raises
    ------
    ValueError
        No format specifier, or a sender that is not an MMSI: the call names no vessel.
    NotMapped
        Routine, safety and urgency calls other than position reports (Signal K raises a
        "DSC Message Not Handled" notification for them; a notification about the
        parser is not an observation).
    """
    f = fields + [""] * (11 - len(fields))
    if not f[0].strip() or not MMSI.fullmatch(f[1]):
        raise ValueError("DSC call without a format or a sender MMSI")
    mmsi = f[1][:9]
    reported_by = None
    acknowledgement = False
    # A distress alert (format 12) leaves the category empty: it is implied.
    category = f[2] if f[2].strip() else ("12" if f[0] == "12" else "")
    if category == "00" and f[3] == "21":  # routine: ship position
        nature = None
    elif category == "12":
        if f[0] == "12":
            nature = NATURE_OF_DISTRESS.get(f[3], UNASSIGNED)
        else:
            # A relay or acknowledgement by another station: field 3 is that telecommand,
            # the casualty's MMSI and nature are in 7 and 8, the position is the casualty's.
            nature = NATURE_OF_DISTRESS.get(f[8], UNASSIGNED)
            reported_by = mmsi
            acknowledgement = f[3].endswith("10")
            if MMSI.fullmatch(f[7]):
                mmsi = f[7][:9]
    else:
        raise NotMapped("DSC call")
    vessel = mmsi_urn(mmsi)
    out = []
    # A following DSE from the same station refines this position; it carries the
    # station's address, which for a relay is the relaying station, not the casualty.
    sender = reported_by or mmsi
    remembered = stream.memory.setdefault("dsc", {})
    remembered.pop(sender, None)
    if POSITION.fullmatch(f[5]):
        fix = position(f[5])
        out.append(Reading("navigation.position", fix, vessel))
        if len(remembered) >= _REMEMBERED_STATIONS:
            del remembered[next(iter(remembered))]
        remembered[sender] = (vessel, fix)
    if nature is not None:
        if reported_by is None:
            message = f"DSC distress alert received. Nature of distress: {nature}"
        else:
            casualty = "an unknown vessel" if reported_by == mmsi else f"vessel {mmsi}"
            what, verb = (
                ("acknowledgement", "acknowledged") if acknowledgement else ("relay", "relayed")
            )
            message = (
                f"DSC distress {what} received for {casualty} ({verb} by {reported_by}). "
                f"Nature of distress: {nature}"
            )
        notification = {"state": "emergency", "method": ["visual", "sound"], "message": message}
        out.append(Reading(f"notifications.{nature}", notification, vessel))
    return out


def _refine(degrees: float, minutes: float) -> float:
    """DSC truncates to whole minutes toward zero: the fraction extends the magnitude."""
    return math.copysign(abs(degrees) + minutes / 60.0, degrees)


def dse_expansion(fields: list[str], stream: Stream) -> list[Reading]:
    """``$CDDSE,1,1,A,<MMSI>0,00,LLLLYYYY``: the preceding DSC position of that station,
    refined from whole minutes to ten-thousandths of a minute (code 00).

    Raises
    ------
    ValueError
        An address that is not an MMSI.
    NotMapped
        A multi-sentence group (rare; Signal K skips them too), no DSC position from that
        station before it, or no enhanced-position data.
    """
    f = fields + [""] * (6 - len(fields))
    if f[0] != "1" or f[1] != "1":
        raise NotMapped("DSE group")
    if not MMSI.fullmatch(f[3]):
        raise ValueError("DSE without an MMSI")
    previous = stream.memory.get("dsc", {}).get(f[3][:9])
    if previous is None:
        raise NotMapped("DSE without DSC")
    vessel, fix = previous
    for i in range(4, len(f) - 1, 2):
        if f[i] == "00" and ENHANCED.fullmatch(f[i + 1]):
            refined = {
                "longitude": _refine(fix["longitude"], int(f[i + 1][4:]) / 10000.0),
                "latitude": _refine(fix["latitude"], int(f[i + 1][:4]) / 10000.0),
            }
            return [Reading("navigation.position", refined, vessel)]
    raise NotMapped("DSE")


__all__ = ["NATURE_OF_DISTRESS", "PATHS", "dse_expansion", "dsc_call", "position"]
