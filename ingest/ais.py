"""AIS (``!AIVDM``/``!AIVDO``): fragment reassembly, then pyais, then a Signal K table.

Long messages (type 5, some 19/24) span two sentences; on a busy receiver fragments of
different messages interleave, so they are keyed by channel and sequence id, and the
buffer is bounded so a receiver that drops second halves cannot grow memory without end.
AIS encodes "not available" as in-range-looking numbers (lat 91, lon 181, heading 511,
SOG 102.3 kn, COG 360); those are dropped here, never stored as if measured.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from isomer_data.ingest.normalize import DEG, KNOT, Value

# Signal K's wording for the navigational status (the reference VDM hook's table).
NAV_STATE = {
    0: "motoring",
    1: "anchored",
    2: "not under command",
    3: "restricted manouverability",
    4: "constrained by draft",
    5: "moored",
    6: "aground",
    7: "fishing",
    8: "sailing",
    9: "hazardous material high speed",
    10: "hazardous material wing in ground",
    14: "ais-sart",
}

_SHIP_TYPE_DECADES = {
    2: "Wing In Ground",
    4: "High Speed Craft",
    6: "Passenger",
    7: "Cargo",
    8: "Tanker",
    9: "Other",
}
_SHIP_TYPE_SINGLE = {
    30: "Fishing",
    31: "Towing",
    32: "Towing (large)",
    33: "Dredging",
    34: "Diving",
    35: "Military",
    36: "Sailing",
    37: "Pleasure",
    50: "Pilot",
    51: "SAR",
    52: "Tug",
    53: "Port Tender",
    54: "Anti-Pollution",
    55: "Law Enforcement",
    58: "Medical Transport",
    59: "Noncombatant",
}


def ship_type_name(code: int) -> str | None:
    return _SHIP_TYPE_SINGLE.get(code) or _SHIP_TYPE_DECADES.get(code // 10)


def _num(attr: str, scale: float, missing: float) -> Callable[[dict], Value | None]:
    def get(msg: dict) -> Value | None:
        value = msg.get(attr)
        if value is None or value == missing:
            return None
        return float(value) * scale

    get.__qualname__ = f"num({attr!r}, scale={scale:g}, missing={missing:g})"
    return get


def _position(msg: dict) -> Value | None:
    lat, lon = msg.get("lat"), msg.get("lon")
    if lat is None or lon is None or lat == 91.0 or lon == 181.0:
        return None
    return {"longitude": float(lon), "latitude": float(lat)}


def _text(attr: str) -> Callable[[dict], Value | None]:
    def get(msg: dict) -> Value | None:
        value = msg.get(attr)
        if not value:
            return None
        value = str(value).replace("@", " ").strip()
        return value or None

    return get


def _state(msg: dict) -> Value | None:
    status = msg.get("status")
    return None if status is None else NAV_STATE.get(int(status))


def _length(msg: dict) -> Value | None:
    total = (msg.get("to_bow") or 0) + (msg.get("to_stern") or 0)
    return {"overall": float(total)} if total else None


def _beam(msg: dict) -> Value | None:
    total = (msg.get("to_port") or 0) + (msg.get("to_starboard") or 0)
    return float(total) if total else None


def _draft(msg: dict) -> Value | None:
    draught = msg.get("draught")
    return {"current": float(draught)} if draught else None


def _from_bow(msg: dict) -> Value | None:
    value = msg.get("to_bow")
    return float(value) if value else None


def _ship_type(msg: dict) -> Value | None:
    code = msg.get("ship_type")
    if code is None or int(code) == 0:
        return None
    name = ship_type_name(int(code))
    return {"id": int(code), "name": name} if name else None


def _imo(msg: dict) -> Value | None:
    imo = msg.get("imo")
    return f"IMO {imo}" if imo else None


def _const(value: str) -> Callable[[dict], Value | None]:
    return lambda msg: value


AisRule = tuple[str, Callable[[dict], Value | None]]

_POSITION_REPORT: tuple[AisRule, ...] = (
    ("navigation.position", _position),
    ("navigation.speedOverGround", _num("speed", KNOT, 102.3)),
    ("navigation.courseOverGroundTrue", _num("course", DEG, 360.0)),
    ("navigation.headingTrue", _num("heading", DEG, 511)),
)
_STATIC: tuple[AisRule, ...] = (
    ("name", _text("shipname")),
    ("design.aisShipType", _ship_type),
    ("design.length", _length),
    ("design.beam", _beam),
    ("sensors.ais.fromBow", _from_bow),
)

# One row per message type, like the NMEA table: adding a message type is adding a row.
AIS_MESSAGES: dict[int, tuple[AisRule, ...]] = {
    1: (*_POSITION_REPORT, ("navigation.state", _state), ("sensors.ais.class", _const("A"))),
    2: (*_POSITION_REPORT, ("navigation.state", _state), ("sensors.ais.class", _const("A"))),
    3: (*_POSITION_REPORT, ("navigation.state", _state), ("sensors.ais.class", _const("A"))),
    5: (
        *_STATIC,
        ("communication.callsignVhf", _text("callsign")),
        ("registrations.imo", _imo),
        ("design.draft", _draft),
        ("navigation.destination.commonName", _text("destination")),
        ("sensors.ais.class", _const("A")),
    ),
    18: (*_POSITION_REPORT, ("sensors.ais.class", _const("B"))),
    19: (*_POSITION_REPORT, *_STATIC, ("sensors.ais.class", _const("B"))),
    24: (
        *_STATIC,
        ("communication.callsignVhf", _text("callsign")),
        ("sensors.ais.class", _const("B")),
    ),
}


def ais_values(msg: dict[str, Any]) -> list[tuple[str, Value]]:
    """Walk the row for this message type; unknown types give nothing."""
    rules = AIS_MESSAGES.get(msg.get("msg_type", -1), ())
    out = []
    for path, get in rules:
        value = get(msg)
        if value is not None:
            out.append((path, value))
    return out


class FragmentBuffer:
    """Collects multi-sentence AIS messages until complete.

    Parameters
    ----------
    max_pending : int
        Incomplete messages kept at once; the oldest is dropped (and reported as lost)
        beyond that.
    """

    def __init__(self, max_pending: int = 64) -> None:
        self.max_pending = max_pending
        self.pending: OrderedDict[tuple[str, str, str], list[str]] = OrderedDict()
        self.lost = 0

    def add(self, sentence: str, parts: list[str]) -> list[str] | None:
        """Add one sentence (``parts`` = its fields); return all fragments once complete."""
        count, number = int(parts[1]), int(parts[2])
        if count == 1:
            return [sentence]
        key = (parts[0][3:6], parts[4], parts[3])  # VDM/VDO, channel, sequence id
        if number == 1:
            if key in self.pending:
                self.lost += 1
            self.pending[key] = [sentence]
            self.pending.move_to_end(key)
            while len(self.pending) > self.max_pending:
                self.pending.popitem(last=False)
                self.lost += 1
            return None
        fragments = self.pending.get(key)
        if fragments is None or len(fragments) != number - 1:
            if fragments is not None:
                del self.pending[key]
            self.lost += 1
            return None
        fragments.append(sentence)
        if number < count:
            return None
        del self.pending[key]
        return fragments
