"""The generic engine that walks the sentence table, and the building blocks of its rows.

Each extractor reads a few comma-separated fields (indices count from the first field
after the address, as in Signal K's hooks) and returns an SI value or ``None`` for an
empty field. They are small classes rather than closures so a row can be printed, compared
and documented, and so the batch decoder can reuse their parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from isomer_data.ingest import report as reasons

# Exact conversion factors: the knot and nautical mile are defined in metres.
KNOT = 1852.0 / 3600.0
KMH = 1000.0 / 3600.0
NAUTICAL_MILE = 1852.0
KILOMETRE = 1000.0
FOOT = 0.3048
FATHOM = 1.8288
DEG = math.pi / 180.0
CELSIUS_ZERO = 273.15
BAR = 100000.0

Value = float | str | dict


class MalformedField(ValueError):
    """A field that should be a number is not; the whole sentence is refused."""


class Extractor:
    __slots__ = ()

    def __call__(self, parts: list[str]) -> Value | None:  # pragma: no cover - interface
        raise NotImplementedError


class Num(Extractor):
    """``float(field) * scale + offset``; the workhorse for plain numeric fields."""

    __slots__ = ("index", "scale", "offset")

    def __init__(self, index: int, scale: float = 1.0, offset: float = 0.0) -> None:
        self.index, self.scale, self.offset = index, scale, offset

    def __call__(self, parts: list[str]) -> float | None:
        text = parts[self.index] if self.index < len(parts) else ""
        if not text:
            return None
        return float(text) * self.scale + self.offset

    def __repr__(self) -> str:
        return f"Num({self.index}, scale={self.scale:g}, offset={self.offset:g})"


def Angle(index: int) -> Num:  # noqa: N802 - reads as a row constructor in the table
    """Degrees → radians."""
    return Num(index, DEG)


class Units(Extractor):
    """A number whose unit is given by a letter in another field (``N``, ``M``, ``K``…)."""

    __slots__ = ("index", "unit_index", "scales")

    def __init__(self, index: int, unit_index: int, scales: Mapping[str, float]) -> None:
        self.index, self.unit_index, self.scales = index, unit_index, dict(scales)

    def __call__(self, parts: list[str]) -> float | None:
        text = parts[self.index] if self.index < len(parts) else ""
        if not text:
            return None
        unit = parts[self.unit_index].upper() if self.unit_index < len(parts) else ""
        scale = self.scales.get(unit)
        if scale is None:
            return None
        return float(text) * scale


class First(Extractor):
    """The first extractor that yields a value, e.g. metres, else feet, else fathoms."""

    __slots__ = ("options",)

    def __init__(self, *options: Extractor) -> None:
        self.options = options

    def __call__(self, parts: list[str]) -> Value | None:
        for option in self.options:
            value = option(parts)
            if value is not None:
                return value
        return None


class Signed(Extractor):
    """A magnitude with a side letter; ``negative`` letters flip the sign (L, W, S)."""

    __slots__ = ("index", "side_index", "negative", "scale")

    def __init__(self, index: int, side_index: int, negative: str, scale: float = 1.0) -> None:
        self.index, self.side_index, self.negative, self.scale = index, side_index, negative, scale

    def __call__(self, parts: list[str]) -> float | None:
        text = parts[self.index] if self.index < len(parts) else ""
        if not text:
            return None
        side = parts[self.side_index].upper() if self.side_index < len(parts) else ""
        value = float(text) * self.scale
        return -value if side == self.negative else value


class SignedUnits(Extractor):
    """Cross-track error: magnitude, steer letter (L positive, as Signal K), unit letter."""

    __slots__ = ("index", "side_index", "unit_index", "scales")

    def __init__(self, index: int, side_index: int, unit_index: int, scales: Mapping[str, float]):
        self.index, self.side_index, self.unit_index = index, side_index, unit_index
        self.scales = dict(scales)

    def __call__(self, parts: list[str]) -> float | None:
        text = parts[self.index] if self.index < len(parts) else ""
        if not text:
            return None
        unit = parts[self.unit_index].upper() if self.unit_index < len(parts) else ""
        scale = self.scales.get(unit)
        if scale is None:
            return None
        side = parts[self.side_index].upper() if self.side_index < len(parts) else ""
        value = float(text) * scale
        return value if side == "L" else -value


class WindAngle(Extractor):
    """0–360° relative to the bow → −π..π (starboard positive), as Signal K's MWV."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __call__(self, parts: list[str]) -> float | None:
        text = parts[self.index] if self.index < len(parts) else ""
        if not text:
            return None
        angle = float(text) % 360.0
        if angle > 180.0:
            angle -= 360.0
        return angle * DEG


def _coordinate(text: str, hemisphere: str, negative: str) -> float:
    """``dddmm.mmmm`` → decimal degrees; NaN (later refused) for minutes ≥ 60 or a sign.

    Computed from the number rather than by splitting the text, so the batch decoder can
    do the same arithmetic on whole columns and get bit-identical results.
    """
    raw = float(text)
    if not math.isfinite(raw):
        return math.nan
    degrees = math.floor(raw / 100.0)
    minutes = raw - degrees * 100.0
    if minutes >= 60.0 or raw < 0.0:
        return math.nan
    value = degrees + minutes / 60.0
    return -value if hemisphere == negative else value


class Position(Extractor):
    """``ddmm.mmmm,N,dddmm.mmmm,E`` → ``{"latitude", "longitude"}`` in decimal degrees."""

    __slots__ = ("lat", "ns", "lon", "ew")

    def __init__(self, lat: int, ns: int, lon: int, ew: int) -> None:
        self.lat, self.ns, self.lon, self.ew = lat, ns, lon, ew

    def __call__(self, parts: list[str]) -> dict | None:
        if len(parts) <= self.ew:
            return None
        lat, lon = parts[self.lat], parts[self.lon]
        if not lat or not lon:
            return None
        return {
            "longitude": _coordinate(lon, parts[self.ew].upper(), "W"),
            "latitude": _coordinate(lat, parts[self.ns].upper(), "S"),
        }


class Text(Extractor):
    """A non-empty string field (waypoint IDs)."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __call__(self, parts: list[str]) -> str | None:
        text = parts[self.index].strip() if self.index < len(parts) else ""
        return text or None


class Lookup(Extractor):
    """A code field mapped to Signal K's words (GGA fix quality)."""

    __slots__ = ("index", "words")

    def __init__(self, index: int, words: Mapping[str, str]) -> None:
        self.index, self.words = index, dict(words)

    def __call__(self, parts: list[str]) -> str | None:
        text = parts[self.index] if self.index < len(parts) else ""
        return self.words.get(text)


class TransducerOffset(Extractor):
    """DPT offset split by sign: ``side=+1`` surface→transducer, ``-1`` transducer→keel."""

    __slots__ = ("index", "side")

    def __init__(self, index: int, side: int) -> None:
        self.index, self.side = index, side

    def __call__(self, parts: list[str]) -> float | None:
        text = parts[self.index] if self.index < len(parts) else ""
        if not text:
            return None
        offset = float(text) * self.side
        return offset if offset > 0 else None


class OffsetDepth(Extractor):
    """DPT depth + offset, only on the side the offset's sign names (Signal K's DPT hook)."""

    __slots__ = ("depth", "offset", "side")

    def __init__(self, depth: int, offset: int, side: int) -> None:
        self.depth, self.offset, self.side = depth, offset, side

    def __call__(self, parts: list[str]) -> float | None:
        if len(parts) <= self.offset or not parts[self.depth] or not parts[self.offset]:
            return None
        offset = float(parts[self.offset])
        if offset * self.side <= 0:
            return None
        return float(parts[self.depth]) + offset


class CorrectedHeading(Extractor):
    """HDG: sensor heading + deviation (+ variation, required, for true), each E+/W−."""

    __slots__ = ("index", "deviation", "variation")

    def __init__(
        self, index: int, deviation: tuple[int, int], variation: tuple[int, int] | None = None
    ) -> None:
        self.index, self.deviation, self.variation = index, deviation, variation

    def __call__(self, parts: list[str]) -> float | None:
        text = parts[self.index] if self.index < len(parts) else ""
        if not text:
            return None
        degrees = float(text)
        for pair, required in ((self.deviation, False), (self.variation, True)):
            if pair is None:
                continue
            value_index, side_index = pair
            if value_index >= len(parts) or not parts[value_index]:
                if required:
                    return None
                continue
            correction = float(parts[value_index])
            degrees += -correction if parts[side_index].upper() == "W" else correction
        return degrees * DEG


@dataclass(frozen=True)
class Choice:
    """A path picked by a letter field, e.g. MWV ``R`` → apparent, ``T`` → true."""

    index: int
    paths: Mapping[str, str]

    def resolve(self, parts: list[str]) -> str | None:
        letter = parts[self.index].upper() if self.index < len(parts) else ""
        return self.paths.get(letter)


@dataclass(frozen=True)
class SentenceTime:
    """Where a sentence keeps its time: ``tod`` index, and the date as ``ddmmyy`` or Y/M/D."""

    tod: int
    ddmmyy: int | None = None
    ymd: tuple[int, int, int] | None = None


Rule = tuple["str | Choice", Extractor]


@dataclass(frozen=True)
class Sentence:
    """One row of the table: everything needed to turn a sentence type into observations.

    ``status`` is ``(index, letters)``: the sentence is void unless that field is one of the
    letters (RMC ``A``, GGA fix quality not ``0``). ``expand`` handles the one sentence
    whose shape is data (XDR's repeated quadruples).
    """

    title: str
    rules: tuple[Rule, ...] = ()
    status: tuple[int, str] | None = None
    time: SentenceTime | None = None
    expand: Callable[[list[str]], list[tuple[str, Value]]] | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _valid_position(value: Any) -> bool:
    lat, lon = value["latitude"], value["longitude"]
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


def _non_negative(value: Any) -> bool:
    return value >= 0.0


def _full_circle(value: Any) -> bool:
    return 0.0 <= value <= 2.0 * math.pi + 1e-9


def _half_circle(value: Any) -> bool:
    return -math.pi - 1e-9 <= value <= math.pi + 1e-9


def _above_absolute_zero(value: Any) -> bool:
    return value > 0.0


_SPEEDS = (
    "navigation.speedOverGround",
    "navigation.speedThroughWater",
    "environment.wind.speedApparent",
    "environment.wind.speedTrue",
    "navigation.courseRhumbline.nextPoint.velocityMadeGood",
)
_DEPTHS = (
    "environment.depth.belowTransducer",
    "environment.depth.belowSurface",
    "environment.depth.surfaceToTransducer",
    "environment.depth.transducerToKeel",
)
_BEARINGS = (
    "navigation.courseOverGroundTrue",
    "navigation.courseOverGroundMagnetic",
    "navigation.headingTrue",
    "navigation.headingMagnetic",
    "navigation.headingCompass",
    "environment.wind.directionTrue",
    "environment.wind.directionMagnetic",
)

# Physically impossible values per path: dropped and counted, never stored.
CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "navigation.position": (_valid_position, reasons.IMPOSSIBLE_POSITION),
    "navigation.courseRhumbline.nextPoint.position": (_valid_position, reasons.IMPOSSIBLE_POSITION),
    **{p: (_non_negative, reasons.NEGATIVE_SPEED) for p in _SPEEDS},
    **{p: (_non_negative, reasons.NEGATIVE_DEPTH) for p in _DEPTHS},
    **{p: (_full_circle, reasons.IMPOSSIBLE_ANGLE) for p in _BEARINGS},
    "environment.wind.angleApparent": (_half_circle, reasons.IMPOSSIBLE_ANGLE),
    "environment.wind.angleTrueWater": (_half_circle, reasons.IMPOSSIBLE_ANGLE),
    "environment.water.temperature": (_above_absolute_zero, reasons.IMPOSSIBLE_TEMPERATURE),
    "environment.outside.temperature": (_above_absolute_zero, reasons.IMPOSSIBLE_TEMPERATURE),
}


def check(path: str, value: Value) -> str | None:
    """The reason a value is impossible, or ``None`` when it may be stored."""
    if type(value) is float:
        if value != value or value in (math.inf, -math.inf):
            return reasons.NOT_A_NUMBER
    elif type(value) is dict and "latitude" in value:
        lat, lon = value["latitude"], value["longitude"]
        if lat != lat or lon != lon:
            return reasons.IMPOSSIBLE_POSITION
    rule = CHECKS.get(path)
    if rule is not None and not rule[0](value):
        return rule[1]
    return None


def extract(row: Sentence, parts: list[str]) -> list[tuple[str, Value]]:
    """Walk one row over one sentence's fields: the plain reading of the table.

    The decoders run the compiled form of each row (:mod:`isomer_data.ingest.codegen`); this generic
    walk is what the compiled code must agree with, and what a reader should follow to
    understand a row.

    Raises
    ------
    MalformedField
        When a numeric field does not parse; half a sentence is worse than none.
    """
    out: list[tuple[str, Value]] = []
    try:
        for path, extractor in row.rules:
            value = extractor(parts)
            if value is None:
                continue
            if type(path) is not str:
                path = path.resolve(parts)
                if path is None:
                    continue
            out.append((path, value))
        if row.expand is not None:
            out.extend(row.expand(parts))
    except (ValueError, IndexError) as error:
        raise MalformedField(str(error)) from None
    return out


_DAY_PREFIX: dict[int, str] = {}


def iso_time(posix: float) -> str:
    """``navigation.datetime`` text: ISO 8601 UTC with milliseconds and ``Z``, as Signal K."""
    millis = round(posix * 1000.0)
    seconds, ms = divmod(millis, 1000)
    days, rem = divmod(seconds, 86400)
    prefix = _DAY_PREFIX.get(days)
    if prefix is None:
        year, month, day = _civil_from_days(days)
        prefix = f"{year:04d}-{month:02d}-{day:02d}T"
        if len(_DAY_PREFIX) < 4096:
            _DAY_PREFIX[days] = prefix
    return f"{prefix}{rem // 3600:02d}:{rem // 60 % 60:02d}:{rem % 60:02d}.{ms:03d}Z"


def _civil_from_days(days: int) -> tuple[int, int, int]:
    days += 719468
    era = (days if days >= 0 else days - 146096) // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    year = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return year + (month <= 2), month, day


class When(Extractor):
    """Only when another field is present (HDG's compass heading needs a deviation)."""

    __slots__ = ("index", "inner")

    def __init__(self, index: int, inner: Extractor) -> None:
        self.index, self.inner = index, inner

    def __call__(self, parts: list[str]) -> Value | None:
        if self.index >= len(parts) or not parts[self.index]:
            return None
        return self.inner(parts)
