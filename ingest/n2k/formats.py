"""NMEA 2000 log and gateway line formats, told apart by their content.

Each parser turns one line into a :class:`Raw` record, or raises :class:`FormatError`
with a reason code; nothing here knows PGN layouts. Formats:

* ``canboat`` — canboat's plain text, what canboat's tools and Signal K record:
  ``2014-08-15T19:00:00.042Z,3,129029,160,255,43,87,a9,…`` (time, priority, PGN, source,
  destination, length, bytes). Complete PGN payloads, except a fast-packet PGN logged as
  8-byte CAN frames (candump2analyzer), which goes through reassembly.
* ``actisense`` — Actisense N2K ASCII: ``A173321.107 23FF7 1F513 012F3070…`` (time of
  day, source/destination/priority, PGN, payload in hex). Complete payloads.
* ``ydraw`` — Yacht Devices RAW: ``17:33:21.107 R 19F51323 01 2F 30 70 00 2F FF FF`` (time
  of day, direction, 29-bit CAN id, up to 8 bytes). CAN frames.
* ``candump`` — Linux can-utils: ``(1502979132.106111) can0 19F51323#012F3070…`` (``-l``),
  ``can0  19F51323   [8]  01 2F 30 …`` (default) and ``<0x19f51323> [8] 01 2F …``. CAN
  frames.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from isomer_data.ingest import report as reasons

CANBOAT, ACTISENSE, YDRAW, CANDUMP = "canboat", "actisense", "ydraw", "candump"
FORMATS = (CANBOAT, ACTISENSE, YDRAW, CANDUMP)

MAX_PAYLOAD = 223  # the largest fast-packet payload (31 frames)


class FormatError(ValueError):
    """A line that is not any NMEA 2000 format (``reason`` is the report code)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Raw(NamedTuple):
    """One line's content: a CAN frame (``frame``) or a complete PGN payload."""

    frame: bool
    time: float | None  # POSIX seconds, when the line carries a full time
    tod: float | None  # seconds since midnight UTC, when it carries only a time of day
    prio: int
    pgn: int
    src: int
    dst: int
    data: bytes


_new_raw = tuple.__new__  # a Raw without NamedTuple's Python-level __new__ (hot path)


NOT_N2K = reasons.NOT_N2K
MALFORMED = reasons.N2K_MALFORMED_FRAME


def split_can_id(can_id: int) -> tuple[int, int, int, int]:
    """(priority, PGN, source, destination) of a 29-bit NMEA 2000 CAN identifier."""
    prio = (can_id >> 26) & 0x7
    dp = (can_id >> 24) & 0x3
    pf = (can_id >> 16) & 0xFF
    ps = (can_id >> 8) & 0xFF
    src = can_id & 0xFF
    if pf < 240:  # PDU1: addressed, PS is the destination
        return prio, (dp << 16) | (pf << 8), src, ps
    return prio, (dp << 16) | (pf << 8) | ps, src, 255


def can_id(prio: int, pgn: int, src: int, dst: int = 255) -> int:
    """The 29-bit CAN identifier of a frame (the inverse of :func:`split_can_id`)."""
    pf = (pgn >> 8) & 0xFF
    if pf < 240:
        pgn = (pgn & 0x3FF00) | (dst & 0xFF)
    return ((prio & 0x7) << 26) | ((pgn & 0x3FFFF) << 8) | (src & 0xFF)


def _tod(text: str) -> float:
    """``hh:mm:ss.fff`` or ``hhmmss.fff`` as seconds since midnight."""
    if ":" in text:
        h, m, s = text.split(":")
    else:
        h, m, s = text[:2], text[2:4], text[4:]
    value = int(h) * 3600 + int(m) * 60 + float(s)
    if not 0 <= value < 86401:
        raise FormatError(MALFORMED)
    return value


def _hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise FormatError(MALFORMED) from None


def _frame(time: float | None, tod: float | None, ident: str, data: bytes) -> Raw:
    if len(data) > 8 or len(ident) > 8:
        raise FormatError(MALFORMED)
    try:
        prio, pgn, src, dst = split_can_id(int(ident, 16))
    except ValueError:
        raise FormatError(MALFORMED) from None
    return Raw(True, time, tod, prio, pgn, src, dst, data)


def _iso(text: str) -> float:
    # canboat writes 2014-08-15T19:00:00.042Z, older tools 2014-08-15-19:00:00.042 (UTC).
    if len(text) > 10 and text[10] == "-":
        text = text[:10] + "T" + text[11:]
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


_SECONDS: dict[str, float] = {}


def _iso_fast(text: str) -> float:
    """:func:`_iso` with the whole seconds cached: a log repeats them for many lines."""
    if len(text) >= 20 and text[-1] == "Z" and text[19] == ".":
        head = text[:19]
        base = _SECONDS.get(head)
        if base is None:
            if len(_SECONDS) > 4096:
                _SECONDS.clear()
            base = _SECONDS[head] = _iso(head + "Z")
        return base + float("0" + text[19:-1])
    return _iso(text)


def parse_canboat(line: str) -> Raw:
    parts = line.split(",", 6)
    if len(parts) < 7:
        raise FormatError(MALFORMED)
    try:
        time = _iso_fast(parts[0])
        prio, pgn, src, dst, length = (
            int(parts[1]),
            int(parts[2]),
            int(parts[3]),
            int(parts[4]),
            int(parts[5]),
        )
    except ValueError:
        raise FormatError(MALFORMED) from None
    data = _hex(parts[6].replace(",", " "))
    if length != len(data) or length > MAX_PAYLOAD or not 0 <= src <= 255:
        raise FormatError(MALFORMED)
    return _new_raw(Raw, (False, time, None, prio, pgn, src, dst, data))


def parse_actisense(line: str) -> Raw:
    parts = line.split()
    if len(parts) != 4 or len(parts[1]) != 5:
        raise FormatError(MALFORMED)
    tod = _tod(parts[0][1:])
    try:
        src, dst, prio = int(parts[1][:2], 16), int(parts[1][2:4], 16), int(parts[1][4], 16)
        pgn = int(parts[2], 16)
    except ValueError:
        raise FormatError(MALFORMED) from None
    data = _hex(parts[3])
    if len(data) > MAX_PAYLOAD:
        raise FormatError(MALFORMED)
    return Raw(False, None, tod, prio & 7, pgn, src, dst, data)


def parse_ydraw(line: str) -> Raw:
    parts = line.split()
    if len(parts) < 3 or parts[1] not in ("R", "T"):
        raise FormatError(MALFORMED)
    return _frame(None, _tod(parts[0]), parts[2], _hex("".join(parts[3:])))


def parse_candump(line: str) -> Raw:
    parts = line.split()
    if line[:1] == "(":  # candump -l: (seconds) iface ID#DATA
        if len(parts) < 3 or "#" not in parts[2]:
            raise FormatError(MALFORMED)
        try:
            time = float(parts[0].strip("()"))
        except ValueError:
            raise FormatError(MALFORMED) from None
        ident, _, data = parts[2].partition("#")
        return _frame(time, None, ident, _hex(data))
    if line[:3] == "<0x":  # <0xID> [n] bytes
        ident, rest = parts[0][3:-1], parts[1:]
    else:  # iface ID [n] bytes
        if len(parts) < 3:
            raise FormatError(NOT_N2K)
        ident, rest = parts[1], parts[2:]
    if not rest or rest[0][:1] != "[" or rest[0][-1:] != "]":
        raise FormatError(NOT_N2K)
    data = _hex("".join(rest[1:]))
    try:
        if int(rest[0][1:-1]) != len(data):
            raise FormatError(MALFORMED)
    except ValueError:
        raise FormatError(MALFORMED) from None
    return _frame(None, None, ident, data)


def kind_of(line: str) -> str | None:
    """Which format a line looks like (by its shape, not its validity), or None."""
    first = line[:1]
    if first.isdigit():
        if len(line) > 20 and line[4] == "-" and "," in line[:40]:
            return CANBOAT
        if len(line) > 12 and line[2] == ":" and line[5] == ":":
            return YDRAW
        return None
    if first == "A" and line[1:2].isdigit():
        return ACTISENSE
    if first == "(" or line[:3] == "<0x":
        return CANDUMP
    stripped = line.split(None, 3)
    if len(stripped) >= 3 and stripped[2][:1] == "[":
        return CANDUMP
    return None


PARSERS = {
    CANBOAT: parse_canboat,
    ACTISENSE: parse_actisense,
    YDRAW: parse_ydraw,
    CANDUMP: parse_candump,
}


def parse(line: str) -> Raw:
    """One line of any format; :class:`FormatError` when it is none of them."""
    line = line.strip()
    kind = kind_of(line)
    if kind is None:
        raise FormatError(NOT_N2K)
    return PARSERS[kind](line)


def sniff(lines: list[str], sample: int = 20) -> str | None:
    """The format of a log, from its first non-blank lines: most of them must parse."""
    seen: dict[str, int] = {}
    total = 0
    for line in lines:
        if isinstance(line, bytes):
            line = line.decode("ascii", "replace")
        line = line.strip()
        if not line or line[0] == "#":
            continue
        total += 1
        try:
            kind = kind_of(line)
            if kind is not None:
                PARSERS[kind](line)
                seen[kind] = seen.get(kind, 0) + 1
        except FormatError:
            pass
        if total >= sample:
            break
    if not seen:
        return None
    kind, count = max(seen.items(), key=lambda kv: kv[1])
    return kind if count * 2 > total else None
