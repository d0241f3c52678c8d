"""Test helper: NMEA 2000 messages encoded from known values, written in every log format.

Payloads come from the ``nmea2000`` package's encoder (canboat's database), fast packets
are split into CAN frames here, so the tests do not read frames back with the code that
made them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from isomer_data.ingest.n2k.formats import can_id

FAST = {
    127237, 127489, 127497, 127506, 127507, 127513, 128275, 129029, 129038, 129039, 129040,
    129041, 129284, 129285, 129540, 129793, 129794, 129798, 129809, 129810, 130577,
}  # fmt: skip


def payload(pgn_id: str, fields: dict, sets=None) -> bytes:
    """The PGN payload canboat's database encodes for these field values (SI units).

    BINARY fields the caller leaves out are given as zero bits: nmea2000 2026.10.3 writes
    an omitted BINARY field with the wrong width, shifting every field after it (seen
    with 129038's communicationState), while its decoder reads canboat's layout.
    """
    from nmea2000 import _canboat, backend

    fields = dict(fields)
    for f in backend.DATABASE.pgn_info(pgn_id).fields:
        if f.field_type == "BINARY" and f.id not in fields:
            fields[f.id] = _canboat.Raw(0)
    return backend.DATABASE.encode(pgn_id, fields, sets=sets)


def fragments(data: bytes, counter: int = 0) -> list[bytes]:
    """A fast-packet payload as CAN frame payloads (frame 0: length + 6 bytes, then 7)."""
    out = [bytes([(counter << 5) | 0, len(data)]) + data[:6]]
    rest, index = data[6:], 1
    while rest:
        chunk = rest[:7]
        out.append(bytes([(counter << 5) | index]) + chunk + b"\xff" * (7 - len(chunk)))
        rest, index = rest[7:], index + 1
    return [f.ljust(8, b"\xff") for f in out]


def frames(pgn: int, data: bytes, counter: int = 0) -> list[bytes]:
    return fragments(data, counter) if pgn in FAST else [data.ljust(8, b"\xff")]


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def tod(t: float, sep: str = ":") -> str:
    return datetime.fromtimestamp(t, UTC).strftime(f"%H{sep}%M{sep}%S.%f")[:-3]


def canboat(t, prio, pgn, src, dst, data) -> list[str]:
    return [f"{iso(t)},{prio},{pgn},{src},{dst},{len(data)}," + ",".join(f"{b:02x}" for b in data)]


def canboat_frames(t, prio, pgn, src, dst, data) -> list[str]:
    return [
        f"{iso(t)},{prio},{pgn},{src},{dst},{len(f)}," + ",".join(f"{b:02x}" for b in f)
        for f in frames(pgn, data)
    ]


def actisense(t, prio, pgn, src, dst, data) -> list[str]:
    return [f"A{tod(t, '')} {src:02X}{dst:02X}{prio:X} {pgn:05X} {data.hex().upper()}"]


def ydraw(t, prio, pgn, src, dst, data) -> list[str]:
    ident = can_id(prio, pgn, src, dst)
    return [f"{tod(t)} R {ident:08X} " + " ".join(f"{b:02X}" for b in f) for f in frames(pgn, data)]


def candump_log(t, prio, pgn, src, dst, data) -> list[str]:
    ident = can_id(prio, pgn, src, dst)
    return [f"({t:.6f}) can0 {ident:08X}#{f.hex().upper()}" for f in frames(pgn, data)]


def candump_plain(t, prio, pgn, src, dst, data) -> list[str]:
    ident = can_id(prio, pgn, src, dst)
    return [
        f"  can0  {ident:08X}   [{len(f)}]  " + " ".join(f"{b:02X}" for b in f)
        for f in frames(pgn, data)
    ]


WRITERS = {
    "canboat": canboat,
    "canboat_frames": canboat_frames,
    "actisense": actisense,
    "ydraw": ydraw,
    "candump_log": candump_log,
    "candump_plain": candump_plain,
}
