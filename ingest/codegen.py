"""Compiling table rows into straight-line Python, so the table costs nothing per line.

Walking a row generically costs a method call and a path lookup per field, and on a busy
NMEA stream that overhead is larger than the parsing itself. Each row of
:data:`isomer_data.ingest.sentences.SENTENCES` is therefore turned once, at import, into one function
with the common extractors and impossible-value checks inlined; anything uncommon is
still called through the extractor object, so the table stays the only definition.
:func:`isomer_data.ingest.normalize.extract` keeps the plain, generic reading of a row and the tests
hold both to the same output.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from isomer_data.ingest import report as reasons
from isomer_data.ingest.normalize import (
    CHECKS,
    Choice,
    CorrectedHeading,
    Extractor,
    First,
    Num,
    OffsetDepth,
    Position,
    Sentence,
    Signed,
    SignedUnits,
    TransducerOffset,
    Units,
    When,
    WindAngle,
    _above_absolute_zero,
    _coordinate,
    _full_circle,
    _half_circle,
    _non_negative,
    check,
)
from isomer_data.ingest.observation import Observation

RowDecoder = Callable[[list, float, str, str, str, Callable[[str, str], None]], list[Observation]]

# Extractors whose result is always a float (or None): their checks can be inlined.
_FLOAT_EXTRACTORS = (
    Num,
    Units,
    Signed,
    SignedUnits,
    WindAngle,
    TransducerOffset,
    OffsetDepth,
    CorrectedHeading,
)
_INLINE_CHECKS = {
    _non_negative: "v >= 0.0",
    _full_circle: f"0.0 <= v <= {2.0 * math.pi + 1e-9!r}",
    _half_circle: f"{-math.pi - 1e-9!r} <= v <= {math.pi + 1e-9!r}",
    _above_absolute_zero: "v > 0.0",
}


def _is_float(extractor: Extractor) -> bool:
    if isinstance(extractor, First):
        return all(_is_float(option) for option in extractor.options)
    if isinstance(extractor, When):
        return _is_float(extractor.inner)
    return isinstance(extractor, _FLOAT_EXTRACTORS)


def _max_index(obj: object) -> int:
    best = -1
    for name in getattr(type(obj), "__slots__", ()):
        value = getattr(obj, name)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            best = max(best, value)
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, Extractor):
                    best = max(best, _max_index(item))
                elif isinstance(item, int):
                    best = max(best, item)
        elif isinstance(value, Extractor):
            best = max(best, _max_index(value))
    return best


def _inline(extractor: Extractor, bind: Callable[[object], str]) -> str:
    """A Python expression for the extractor over padded fields ``f``."""
    if isinstance(extractor, Num):
        i = extractor.index
        return f"(float(f[{i}]) * {extractor.scale!r} + {extractor.offset!r} if f[{i}] else None)"
    if isinstance(extractor, Position):
        e = extractor
        return (
            f'({{"longitude": coordinate(f[{e.lon}], f[{e.ew}].upper(), "W"), '
            f'"latitude": coordinate(f[{e.lat}], f[{e.ns}].upper(), "S")}} '
            f"if f[{e.lat}] and f[{e.lon}] else None)"
        )
    return f"{bind(extractor)}(f)"


def compile_row(kind: str, row: Sentence) -> RowDecoder:
    """Generate ``decode(f, time, vessel, source, line, reject) -> list[Observation]``.

    ``f`` are the fields after the address; the function raises ``ValueError`` or
    ``IndexError`` on malformed numbers (the caller refuses the whole sentence) and calls
    ``reject(reason, line)`` for each impossible value it drops.
    """
    namespace: dict[str, object] = {
        "Obs": Observation,
        "coordinate": _coordinate,
        "check": check,
        "NAN": reasons.NOT_A_NUMBER,
    }

    def bind(obj: object) -> str:
        name = f"k{len(namespace)}"
        namespace[name] = obj
        return name

    width = 1 + max(
        [_max_index(extractor) for _, extractor in row.rules]
        + [c.index for c, _ in row.rules if isinstance(c, Choice)]
        + [-1]
    )
    lines = ["def decode(f, time, vessel, source, line, reject):", "    out = []"]
    if width:
        lines.append(f"    if len(f) < {width}:")
        lines.append(f"        f = f + [''] * ({width} - len(f))")
    for path, extractor in row.rules:
        if isinstance(path, str) and isinstance(extractor, Position):
            # Positions are on most lines: coordinates, range check and dict inline.
            e = extractor
            reason = bind(reasons.IMPOSSIBLE_POSITION)
            lines.append(f"    if f[{e.lat}] and f[{e.lon}]:")
            lines.append(f'        la = coordinate(f[{e.lat}], f[{e.ns}].upper(), "S")')
            lines.append(f'        lo = coordinate(f[{e.lon}], f[{e.ew}].upper(), "W")')
            lines.append("        if -90.0 <= la <= 90.0 and -180.0 <= lo <= 180.0:")
            lines.append(
                f'            out.append(Obs(time, vessel, {path!r}, {{"longitude": lo, "latitude": la}}, source))'
            )
            lines.append(f"        else: reject({reason}, line)")
            continue
        lines.append(f"    v = {_inline(extractor, bind)}")
        lines.append("    if v is not None:")
        if isinstance(path, Choice):
            lines.append(f"        p = {bind(dict(path.paths))}.get(f[{path.index}].upper())")
            lines.append("        r = None if p is None else check(p, v)")
            lines.append("        if p is None: pass")
            lines.append("        elif r is None: out.append(Obs(time, vessel, p, v, source))")
            lines.append("        else: reject(r, line)")
            continue
        rule = CHECKS.get(path)
        if _is_float(extractor) and (rule is None or rule[0] in _INLINE_CHECKS):
            condition = "v - v == 0.0"
            reason = "NAN"
            if rule is not None:
                condition += f" and {_INLINE_CHECKS[rule[0]]}"
                reason = f"NAN if v - v != 0.0 else {bind(rule[1])}"
            lines.append(
                f"        if {condition}: out.append(Obs(time, vessel, {path!r}, v, source))"
            )
            lines.append(f"        else: reject({reason}, line)")
        else:
            lines.append(f"        r = check({path!r}, v)")
            lines.append(
                f"        if r is None: out.append(Obs(time, vessel, {path!r}, v, source))"
            )
            lines.append("        else: reject(r, line)")
    if row.expand is not None:
        lines.append(f"    for p, v in {bind(row.expand)}(f):")
        lines.append("        r = check(p, v)")
        lines.append("        if r is None: out.append(Obs(time, vessel, p, v, source))")
        lines.append("        else: reject(r, line)")
    lines.append("    return out")
    source = "\n".join(lines)
    exec(compile(source, f"<sentence row {kind}>", "exec"), namespace)  # noqa: S102 - our own table
    decode = namespace["decode"]
    decode.__doc__ = f"{kind}: {row.title} (generated from the sentence table)\n\n{source}"
    return decode  # type: ignore[return-value]
