"""Payload readers compiled per PGN from canboat's database, proven equal to its codec.

canboat's codec (the ``nmea2000`` package) decodes every field of a payload and calls back
into Python once per field; the mapping needs only a few fields of each PGN. For a mapped
PGN whose needed fields are numbers, lookups, dates, times, durations and MMSIs at fixed
places (no strings, nothing from a repeating set), :func:`reader` writes one small Python
function: one ``struct`` call for the byte-aligned fields, shifts and masks for the others,
then each field's scale, its "no data" values and its lookup labels.

Nothing in the function is typed in by hand: layouts (bit offset, length) and resolutions
come from the database, and what the codec does with them is *asked of the codec* when the
function is built. For every field the builder decodes probe payloads through the codec:
the all-ones and the top-bit patterns tell a signed field from an unsigned one; a binary
search on each side finds the range of raw values the codec reports (its reserved
"unknown"/"error" values at the top and, for a few fields such as latitude, a range limit
at the bottom); the value at 0 and 1 gives the offset and tells integers from floats;
every label of a lookup (up to 8 bits) is read off the codec's own decode. Then a seeded
set of random raw values per field is decoded both ways; a field whose answers differ in
a single bit makes the PGN keep the codec. ``tests/ingest/test_n2k_compiled.py`` checks
every compiled PGN against the codec on thousands of random and edge payloads.

The same function then gives the Signal K pairs of the PGN's mapping rows: plain rows (a
number, a position, a wrapped angle, a sum, under equality and comparison conditions) are
written out as code, any other row runs :func:`~isomer_data.ingest.n2k.mapping.apply` for
that row alone, in the table's order, so the pairs are the mapping's by construction.

A reader returns ``(fields, pairs)``: ``{field id: (value, raw)}`` for the needed fields,
like the codec (for DATE and TIME fields ``(None, raw)``: the mapping and the decoder's
clock read only the raw days and seconds), and the pairs (None for 129283, whose path
hangs on the stream's last 129284). It returns None when the payload is shorter than the
fields it needs: the caller falls back to the codec.
"""

from __future__ import annotations

import math
import random
import struct
from functools import cache
from typing import Any

from isomer_data.ingest.n2k.mapping import (
    AIS_PGNS,
    COMPILED,
    CONST,
    LAST_CALCULATION,
    LISTS,
    MAPPING,
    NUM,
    POS,
    SUM,
    WRAP,
    apply,
)

NUMERIC = frozenset({"NUMBER", "DURATION", "MMSI", "DATE", "TIME"})
DATED = frozenset({"DATE", "TIME"})
ALIGNED = {(8, False): "B", (16, False): "H", (32, False): "I", (64, False): "Q"}
ALIGNED.update({(n, True): c.lower() for (n, _), c in list(ALIGNED.items())})
PROBES = 48  # random raw values checked per field when a reader is built
# Fields the decoder itself reads beside the mapping's rows.
EXTRA = {126992: ("date", "time"), 129029: ("date", "time"), 129033: ("date", "time")}
EXTRA.update({pgn: ("userId",) for pgn in AIS_PGNS})
EXTRA[129284] = ("calculationType",)


class NotCompiled(Exception):
    """A PGN (or one of its fields) the codec keeps: why, for the record."""


def needed_fields(pgn: int) -> set[str]:
    """Ids of the fields the mapping rows and the decoder read for ``pgn``."""
    out: set[str] = set(EXTRA.get(pgn, ()))
    for rule in MAPPING[pgn]:
        if rule.kind in LISTS:
            raise NotCompiled("repeating set")
        spec = rule.value
        for item in () if rule.kind == CONST else (spec,) if isinstance(spec, str) else spec:
            out.add(item[1] if isinstance(item, tuple) else item)
        out.update(cond[0] for cond in rule.when)
        for field_id, _ in rule.keys.values():
            out.add(field_id)
        if "{instance}" in rule.path or any(
            "{instance}" in str(v)
            for _, table in rule.keys.values()
            if table
            for v in table.values()
        ):
            out.add("instance")
    out.discard(LAST_CALCULATION)
    return out


def _codec_decode():
    from isomer_data.ingest.n2k.decoder import _codec

    return _codec().decode


class _Field:
    """One field's layout and what the codec makes of its raw values."""

    def __init__(self, pgn: int, info: Any, layout_bytes: int, decode) -> None:
        self.id = info.id
        self.type = info.field_type
        self.offset = info.bit_offset
        self.bits = info.bit_length
        self.resolution = info.resolution
        if self.offset is None or not self.bits or self.bits > 64:
            raise NotCompiled(f"{self.id}: variable length")
        if self.type not in NUMERIC and self.type != "LOOKUP":
            raise NotCompiled(f"{self.id}: {self.type}")
        if self.type == "LOOKUP" and self.bits > 8:
            raise NotCompiled(f"{self.id}: lookup of {self.bits} bits")
        self.pgn = pgn
        self.size = layout_bytes
        self.decode = decode
        self.first = self.offset // 8
        self.last = (self.offset + self.bits + 7) // 8  # one past the last byte read

    # -- probing the codec ---------------------------------------------------------------

    def codec(self, raw: int) -> tuple:
        """What the codec reports for this field when its bits hold ``raw`` (others 0)."""
        raw &= (1 << self.bits) - 1
        data = (raw << self.offset).to_bytes(self.size, "little")
        return self.decode(self.pgn, data, 0, 255, 6).get(self.id)

    def learn(self) -> None:
        if self.type == "LOOKUP":
            self.table = tuple(self.codec(raw) for raw in range(1 << self.bits))
            return
        n = self.bits
        top = self.codec((1 << n) - 1)
        self.signed = top is not None and top[1] is not None and top[1] < 0
        low = -(1 << (n - 1)) if self.signed else 0
        high = (1 << (n - 1)) - 1 if self.signed else (1 << n) - 1
        valid = self._valid
        self.zero_missing = not valid(0)
        # the largest raw the codec reports (its reserved values are above it)
        lo, hi = 1, high
        if not valid(lo):
            raise NotCompiled(f"{self.id}: 1 is no data")
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if valid(mid) else (lo, mid - 1)
        self.high = lo
        self.low = 0
        if self.signed:  # the smallest negative raw it reports (a range limit, if any)
            lo, hi = low, -1
            if not valid(hi):
                raise NotCompiled(f"{self.id}: -1 is no data")
            while lo < hi:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if valid(mid) else (mid + 1, hi)
            self.low = lo
        one = self.codec(1)
        self.integer = type(one[1]) is int
        if self.integer and self.resolution != int(self.resolution):
            raise NotCompiled(f"{self.id}: integer with resolution {self.resolution}")
        self.factor = int(self.resolution) if self.integer else self.resolution
        zero = self.codec(0) if not self.zero_missing else None
        self.constant = 0 if zero is None else zero[1]
        if self.integer and self.constant != 0:
            raise NotCompiled(f"{self.id}: integer with an offset")
        rng = random.Random(f"{self.pgn}.{self.id}")
        probes = {1, 2, 3, 7, 100, self.high, self.high - 1, self.low, self.low + 1}
        probes.update(rng.randint(self.low, self.high) for _ in range(PROBES))
        for raw in probes:
            if (raw == 0 and self.zero_missing) or not self.low <= raw <= self.high:
                continue
            want = self.codec(raw)
            got = self.value(raw)
            if want is None or want[1] != got or type(want[1]) is not type(got):
                raise NotCompiled(f"{self.id}: raw {raw} gives {want}, not {got}")
            if self.type not in DATED and want[0] != want[1]:
                raise NotCompiled(f"{self.id}: value and raw differ ({want})")

    def _valid(self, raw: int) -> bool:
        got = self.codec(raw)
        return got is not None and got[1] is not None

    def value(self, raw: int):
        """The compiled formula in Python (what :meth:`expression` writes as source)."""
        if self.integer:
            return raw * self.factor if self.factor != 1 else raw
        if self.constant:
            return raw * self.resolution + self.constant
        return raw * self.resolution

    # -- writing source ------------------------------------------------------------------

    def expression(self, r: str) -> str:
        if self.integer:
            return f"{r} * {self.factor}" if self.factor != 1 else r
        if self.constant:
            return f"{r} * {self.resolution!r} + {self.constant!r}"
        return f"{r} * {self.resolution!r}"

    def source(self, r: str) -> list[str]:
        """Lines that turn raw ``r`` (read, sign-extended) into ``out[id]`` and a local.

        The local is ``t_<id>`` (the codec's (label, raw) tuple) for a lookup, ``v_<id>``
        (the value, None for no data) for a number.
        """
        key = repr(self.id)
        if self.type == "LOOKUP":
            return [f"out[{key}] = t_{self.id} = T_{self.id}[{r}]"]
        tests = []
        if self.signed and self.low > -(1 << (self.bits - 1)):
            tests.append(f"{r} >= {self.low}")
        top = (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1
        if self.high < top:
            tests.append(f"{r} <= {self.high}")
        if self.zero_missing:
            tests.append(f"{r} != 0")
        test = " and ".join(tests)
        if self.type in DATED:
            value = f"(None, {self.expression(r)})"
            return [
                f"out[{key}] = {value} if {test} else NONE" if tests else f"out[{key}] = {value}"
            ]
        value = self.expression(r)
        local = f"v_{self.id}"
        line = f"{local} = {value} if {test} else None" if tests else f"{local} = {value}"
        return [line, f"out[{key}] = ({local}, {local})"]


def _layout_bytes(info) -> int:
    end = 0
    for f in info.fields:
        if f.bit_offset is None or not f.bit_length:
            break
        end = max(end, f.bit_offset + f.bit_length)
    return (end + 7) // 8


def _bits(offset: int, bits: int) -> str:
    """Source reading ``bits`` unsigned bits at bit ``offset`` of ``data``."""
    first, last = offset // 8, (offset + bits + 7) // 8
    shift = offset - first * 8
    if last - first == 1:
        read = f"data[{first}]"
    else:
        read = f"int.from_bytes(data[{first}:{last}], 'little')"
    read = f"({read} >> {shift})" if shift else read
    return f"{read} & {(1 << bits) - 1}" if bits % 8 or shift else read


def build(pgn: int):
    """The reader of ``pgn`` as (function, source text); raises :class:`NotCompiled`."""
    from nmea2000 import backend

    variants = backend.DATABASE.pgn_variants(pgn)
    if len(variants) != 1:
        raise NotCompiled(f"{len(variants)} variants")
    info = variants[0]
    # a repeating set's fields, when the set is empty (its count 0), are decoded by the
    # codec at the top as if they were fixed; else they go into "##list##" and no row
    # reads them there: a reader gives them only under that count
    guards = {}
    for start, length, count in info.repeating_sets:
        if count is None:
            raise NotCompiled("a repeating set without a count")
        for index in range(start, start + length):
            guards[index] = info.fields[count]
    first_repeating = min((start for start, _, _ in info.repeating_sets), default=len(info.fields))
    # a field the database does not have is never in the codec's answer either
    needed = needed_fields(pgn) & {f.id for f in info.fields}
    decode = _codec_decode()
    size = _layout_bytes(info)
    fields = []
    for index, f in enumerate(info.fields):
        if f.id not in needed:
            continue
        if index >= first_repeating and index not in guards:
            raise NotCompiled(f"{f.id}: after a repeating set")
        field = _Field(pgn, f, size, decode)
        field.guard = guards.get(index)
        if field.guard is not None and (field.guard.bit_length or 99) > 8:
            raise NotCompiled(f"{f.id}: a repeating set counted in more than 8 bits")
        fields.append(field)
    for f in fields:
        f.learn()
    flat = {}  # count field id → the counts (raw) at which the codec decodes the set flat
    for f in fields:
        if f.guard is not None and f.guard.id not in flat:
            count = _Field(pgn, f.guard, size, decode)
            flat[count.id] = frozenset(
                raw for raw in range(1 << count.bits) if count.codec(raw)[0] in (0, None)
            )
    fields.sort(key=lambda f: f.offset)
    fixed = [f for f in fields if f.guard is None]
    need = max((f.last for f in fixed), default=0)
    # one struct for the byte-aligned fields, shifts and masks for the others
    fmt, at, aligned = "<", 0, []
    for f in fixed:
        char = None if f.type == "LOOKUP" else ALIGNED.get((f.bits, f.signed))
        if char is not None and f.offset % 8 == 0:
            fmt += "x" * (f.first - at) + char
            at = f.last
            aligned.append(f)
    body = [f"def read_{pgn}(data):", f"    if len(data) < {need}:", "        return None"]
    if aligned:
        names = ", ".join(f"r{k}" for k in range(len(aligned)))
        body.append(f"    {names}{',' if len(aligned) == 1 else ''} = S.unpack_from(data)")
    body.append("    out = {}")
    k = 0
    for f in fields:
        indent = "    "
        if f.guard is not None:  # there only when the payload reaches it and the set is flat
            count = _bits(f.guard.bit_offset, f.guard.bit_length)
            body.append(f"    if len(data) >= {f.last} and {count} in G_{f.guard.id}:")
            indent = "        "
        if f in aligned:
            r = f"r{k}"
            k += 1
        else:
            r = "r"
            body.append(f"{indent}r = {_bits(f.offset, f.bits)}")
            if f.type != "LOOKUP" and f.signed:
                body.append(f"{indent}if r > {(1 << (f.bits - 1)) - 1}: r -= {1 << f.bits}")
        body += [indent + line for line in f.source(r)]
        if f.guard is not None and f.type not in DATED:
            local = f"t_{f.id} = NONE" if f.type == "LOOKUP" else f"v_{f.id} = None"
            body += ["    else:", f"        {local}"]
    scope: dict[str, Any] = {"S": struct.Struct(fmt), "NONE": (None, None)}
    scope.update({f"G_{name}": counts for name, counts in flat.items()})
    for f in fields:
        if f.type == "LOOKUP":
            scope[f"T_{f.id}"] = f.table
    pairs = _pairs_source(pgn, {f.id: f for f in fields}, scope)
    if pairs is None:
        body.append("    return out, None")
    else:
        body += ["    pairs = []", *("    " + line for line in pairs), "    return out, pairs"]
    text = "\n".join(body) + "\n"
    exec(compile(text, f"<n2k reader {pgn}>", "exec"), scope)  # noqa: S102 - source built above from the database
    function = scope[f"read_{pgn}"]
    function.need = need  # the bytes it needs: a shorter payload goes to the codec
    return function, text


def _pairs_source(pgn: int, fields: dict[str, _Field], scope: dict) -> list[str] | None:
    """Source appending the rows' (path, value) pairs, in :func:`mapping.apply`'s order.

    Plain rows (a number, a position, a wrapped angle or a sum, under equality and
    comparison conditions) are written out; any other row runs :func:`mapping.apply` on
    ``out`` for that row alone, so both give the same pairs by construction. None when the
    pairs hang on the decoder's state (129283's calculation type).
    """
    rules = MAPPING[pgn]
    if any(field_id == LAST_CALCULATION for r in rules for field_id, _ in r.keys.values()):
        return None
    scope["apply"] = apply
    scope["PI"], scope["TAU"] = math.pi, 2 * math.pi
    lines: list[str] = []
    for i, (rule, row) in enumerate(zip(rules, COMPILED[pgn], strict=True)):
        tests = [_test(cond, fields) for cond in rule.when]
        if None in tests or rule.keys:
            scope[f"C{i}"] = (row,)
            lines.append(f"pairs += apply(C{i}, out)")
            continue
        if False in tests:  # a condition on a field the PGN does not have: never true
            continue
        value = _value(rule, fields)
        if value is None:
            scope[f"C{i}"] = (row,)
            lines.append(f"pairs += apply(C{i}, out)")
            continue
        present, expression = value
        test = " and ".join(dict.fromkeys([*present, *tests])) or "True"
        lines += [f"if {test}:", f"    pairs.append(({rule.path!r}, {expression}))"]
    return lines


def _test(cond: tuple, fields: dict[str, _Field]):
    """Source of one ``when`` condition, False when never true, None when not plain."""
    name, op, arg = cond
    f = fields.get(name)
    if f is None:
        return False
    if f.type == "LOOKUP":
        if op == "==" and isinstance(arg, str):
            return f"t_{name}[0] == {arg!r}"
        return None
    if f.type in DATED:
        return None
    local = f"v_{name}"
    if op == "present":
        return f"{local} is not None"
    if op in (">", "<") and isinstance(arg, int | float):
        return f"{local} is not None and {local} {op} {arg!r}"
    return None


def _value(rule, fields: dict[str, _Field]):
    """(tests that the fields have values, source of the value), or None when not plain."""
    spec = rule.value
    names = [spec] if isinstance(spec, str) else list(spec)
    if any(not isinstance(n, str) for n in names):
        return None
    got = [fields.get(n) for n in names]
    if any(f is None or f.type == "LOOKUP" or f.type in DATED for f in got):
        return None
    present = [f"v_{n} is not None" for n in names]
    x = [f"float(v_{n})" if f.integer else f"v_{n}" for n, f in zip(names, got, strict=True)]
    if rule.kind == NUM:
        return present, x[0]
    if rule.kind == POS:
        return present, f'{{"latitude": {x[0]}, "longitude": {x[1]}}}'
    if rule.kind == WRAP:
        return present, f"({x[0]} if {x[0]} <= PI else {x[0]} - TAU)"
    if rule.kind == SUM:
        return present, f"{x[0]} + {x[1]}"
    return None


@cache
def reader(pgn: int):
    """The compiled reader of ``pgn``, or None when the codec keeps it (see :data:`KEPT`)."""
    if pgn not in MAPPING:
        return None
    try:
        function, _ = build(pgn)
    except NotCompiled as why:
        KEPT[pgn] = str(why)
        return None
    except Exception as error:  # noqa: BLE001 - a database the builder cannot read: the codec decodes
        KEPT[pgn] = f"not built: {error!r}"
        return None
    return function


KEPT: dict[int, str] = {}  # PGN → why the codec keeps it (filled as readers are asked for)
