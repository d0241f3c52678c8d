"""The engine that walks the sentence table, and the building blocks of its rows.

Each extractor reads a few comma-separated fields (indices count from the first field
after the address, as in Signal K's hooks) and has exactly two evaluations, written side
by side so they cannot drift apart:

* ``extractor(fields)`` — one sentence, the live path: an SI value, or ``None`` for an
  empty field. ``fields`` is padded with ``""`` to the row's :attr:`Sentence.width`, so a
  field missing at the end of a short sentence reads as empty.
* ``extractor.columns(fields)`` — every sentence of one type in a log at once, the bulk
  path in :mod:`isomer_data.ingest.fastpath`: the same arithmetic on numpy columns (NaN or
  ``None`` where the per-line value is ``None``). Rows it cannot reproduce exactly it hands
  back with ``fields.per_line(mask)``, and the per-line evaluation decides them.

Impossible values are data too: :data:`LIMITS` gives each Signal K path a :class:`Range`
and the reason a value outside it is refused; both evaluations apply the same ranges.
Extractors are small classes rather than closures so a row can be printed, compared and
documented.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from isomer_data.ingest import report as reasons
from isomer_data.ingest.observation import Observation
from isomer_data.ingest.validation import MAX_ABS

if TYPE_CHECKING:  # numpy is imported by the column evaluations only, off the live path
    import numpy as np
    from isomer_data.ingest.fastpath import Fields

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
# Conventional inch of mercury (13595.1 kg/m³ at standard gravity) and pound per square
# inch, in pascals.
INHG = 0.0254 * 13595.1 * 9.80665
PSI = 0.45359237 * 9.80665 / 0.0254**2

Value = float | str | dict

NUMBER, TEXT, POSITION = "number", "text", "position"


class MalformedField(ValueError):
    """A field that should be a number is not; the whole sentence is refused."""


class NotMapped(Exception):  # noqa: N818 - a verdict, not a failure
    """A valid sentence whose content the table does not map (a Seatalk datagram type
    without a decoder): counted under "valid but not mapped" as ``label``, never refused."""

    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.label = label


@dataclass(frozen=True)
class Range:
    """The values a quantity can physically take, and why anything else is refused.

    Bounds are inclusive; NaN is never inside. A value outside is dropped and counted
    under ``reason``, never stored.
    """

    low: float
    high: float
    reason: str

    def admits(self, value: float) -> bool:
        return self.low <= value <= self.high and -MAX_ABS <= value <= MAX_ABS

    def admits_columns(self, values: np.ndarray) -> np.ndarray:
        """:meth:`admits` for a float column (NaN, ±inf and huge values go per line)."""
        import numpy as np

        return (np.abs(values) <= MAX_ABS) & (values >= self.low) & (values <= self.high)


_TURN = 2.0 * math.pi + 1e-9  # headings of exactly 360.0° are common; rounding allowed for
ANY = Range(-math.inf, math.inf, reasons.NOT_A_NUMBER)
LATITUDE = Range(-90.0, 90.0, reasons.IMPOSSIBLE_POSITION)
LONGITUDE = Range(-180.0, 180.0, reasons.IMPOSSIBLE_POSITION)
_SPEED = Range(0.0, math.inf, reasons.NEGATIVE_SPEED)
_DEPTH = Range(0.0, math.inf, reasons.NEGATIVE_DEPTH)
_BEARING = Range(0.0, _TURN, reasons.IMPOSSIBLE_ANGLE)
_RELATIVE = Range(-math.pi - 1e-9, math.pi + 1e-9, reasons.IMPOSSIBLE_ANGLE)
# Above absolute zero: the smallest positive float, so 0 K itself is refused.
_KELVIN = Range(math.nextafter(0.0, 1.0), math.inf, reasons.IMPOSSIBLE_TEMPERATURE)

# Physically impossible values per path. Every number must also be finite and within
# ±MAX_ABS (NaN, ±inf and larger are refused as ``not_a_number``); positions are held to LATITUDE and LONGITUDE.
LIMITS: dict[str, Range] = {
    **dict.fromkeys(
        (
            "navigation.speedOverGround",
            "navigation.speedThroughWater",
            "environment.wind.speedApparent",
            "environment.wind.speedTrue",
            "navigation.courseRhumbline.nextPoint.velocityMadeGood",
            "navigation.averageSpeedThroughWater",
            "environment.wind.speedOverGround",
            "performance.targetSpeed",
        ),
        _SPEED,
    ),
    **dict.fromkeys(
        (
            "environment.depth.belowTransducer",
            "environment.depth.belowSurface",
            "environment.depth.surfaceToTransducer",
            "environment.depth.transducerToKeel",
        ),
        _DEPTH,
    ),
    **dict.fromkeys(
        (
            "navigation.courseOverGroundTrue",
            "navigation.courseOverGroundMagnetic",
            "navigation.headingTrue",
            "navigation.headingMagnetic",
            "navigation.headingCompass",
            "environment.wind.directionTrue",
            "environment.wind.directionMagnetic",
            "navigation.courseGreatCircle.bearingTrackTrue",
            "navigation.courseGreatCircle.bearingTrackMagnetic",
            "performance.tackMagnetic",
            "performance.targetAngle",
        ),
        _BEARING,
    ),
    "environment.current.setTrue": _BEARING,
    "environment.current.setMagnetic": _BEARING,
    "environment.current.drift": _SPEED,
    "environment.wind.angleApparent": _RELATIVE,
    "environment.wind.angleTrueWater": _RELATIVE,
    "environment.water.temperature": _KELVIN,
    "environment.outside.temperature": _KELVIN,
    "environment.outside.dewPointTemperature": _KELVIN,
}


def limit(path: str) -> Range:
    """The range a number stored under ``path`` must lie in (any finite number if unlisted)."""
    return LIMITS.get(path, ANY)


def check(path: str, value: Value) -> str | None:
    """The reason a value is impossible, or ``None`` when it may be stored.

    For values that do not come from a table row (AIS messages, XDR's quadruples); rows
    apply the same :data:`LIMITS` inline.
    """
    if type(value) is float and value - value != 0.0:
        return reasons.NOT_A_NUMBER
    if type(value) is dict:
        if "latitude" in value:
            if LATITUDE.admits(value["latitude"]) and LONGITUDE.admits(value["longitude"]):
                return None
            return reasons.IMPOSSIBLE_POSITION
        # An object of numbers (environment.current): each member as the path it names.
        for key, member in value.items():
            if type(member) is float:
                reason = check(f"{path}.{key}", member)
                if reason is None and not -MAX_ABS <= member <= MAX_ABS:
                    reason = reasons.NOT_A_NUMBER
                if reason is not None:
                    return reason
        return None
    rule = LIMITS.get(path)
    if rule is not None and not rule.admits(value):
        return rule.reason
    return None


def _missing(values: np.ndarray) -> np.ndarray:
    """Where a column has no value: NaN for numbers, ``None`` for text."""
    import numpy as np

    return np.equal(values, None) if values.dtype == object else np.isnan(values)


def _scale_column(f: Fields, unit_index: int, scales: Mapping[str, float]) -> np.ndarray:
    import numpy as np

    scale = np.full(len(f), np.nan)
    for letter, factor in scales.items():
        scale[f.upper_is(unit_index, letter)] = factor
    return scale


class Extractor:
    """One value from a sentence's fields, in both evaluations (see the module docstring).

    ``kind`` says what :meth:`columns` returns: ``"number"`` a float column (NaN for
    none), ``"text"`` an object column (``None`` for none), ``"position"`` a pair of
    latitude and longitude columns.
    """

    __slots__ = ()
    kind = NUMBER

    def __call__(self, f: list[str]) -> Value | None:  # pragma: no cover - interface
        raise NotImplementedError

    def columns(self, f: Fields) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def indices(self) -> list[int]:
        """Every field index this extractor reads (for the row's width)."""
        out: list[int] = []
        for name in type(self).__slots__:
            value = getattr(self, name)
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                if isinstance(item, Extractor):
                    out.extend(item.indices())
                elif isinstance(item, int) and not isinstance(item, bool):
                    out.append(item)
                elif isinstance(item, tuple):  # CorrectedHeading's (value, side) pairs
                    out.extend(i for i in item if isinstance(i, int))
        return out

    def __repr__(self) -> str:
        args = ", ".join(repr(getattr(self, name)) for name in type(self).__slots__)
        return f"{type(self).__name__}({args})"


class Num(Extractor):
    """``float(field) * scale + offset``; the workhorse for plain numeric fields."""

    __slots__ = ("index", "scale", "offset")

    def __init__(self, index: int, scale: float = 1.0, offset: float = 0.0) -> None:
        self.index, self.scale, self.offset = index, scale, offset

    def __call__(self, f: list[str]) -> float | None:
        text = f[self.index]
        return float(text) * self.scale + self.offset if text else None

    def columns(self, f: Fields) -> np.ndarray:
        return f.num(self.index) * self.scale + self.offset

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

    def __call__(self, f: list[str]) -> float | None:
        text = f[self.index]
        if not text:
            return None
        scale = self.scales.get(f[self.unit_index].upper())
        return None if scale is None else float(text) * scale

    def columns(self, f: Fields) -> np.ndarray:
        return f.num(self.index) * _scale_column(f, self.unit_index, self.scales)


class First(Extractor):
    """The first extractor that yields a value, e.g. metres, else feet, else fathoms."""

    __slots__ = ("options",)

    def __init__(self, *options: Extractor) -> None:
        self.options = options
        if options[0].kind == POSITION:
            raise TypeError("First() chooses between numbers or texts, not positions")

    @property
    def kind(self) -> str:
        return self.options[0].kind

    def __call__(self, f: list[str]) -> Value | None:
        for option in self.options:
            value = option(f)
            if value is not None:
                return value
        return None

    def columns(self, f: Fields) -> np.ndarray:
        import numpy as np

        result = self.options[0].columns(f)
        for option in self.options[1:]:
            result = np.where(_missing(result), option.columns(f), result)
        return result


class When(Extractor):
    """Only when another field is present (HDG's compass heading needs a deviation)."""

    __slots__ = ("index", "inner")

    def __init__(self, index: int, inner: Extractor) -> None:
        self.index, self.inner = index, inner
        if inner.kind == POSITION:
            raise TypeError("When() guards a number or a text, not a position")

    @property
    def kind(self) -> str:
        return self.inner.kind

    def __call__(self, f: list[str]) -> Value | None:
        return self.inner(f) if f[self.index] else None

    def columns(self, f: Fields) -> np.ndarray:
        import numpy as np

        none = np.nan if self.kind == NUMBER else None
        return np.where(f.empty(self.index), none, self.inner.columns(f))


class Signed(Extractor):
    """A magnitude with a side letter; ``negative`` letters flip the sign (L, W, S)."""

    __slots__ = ("index", "side_index", "negative", "scale")

    def __init__(self, index: int, side_index: int, negative: str, scale: float = 1.0) -> None:
        self.index, self.side_index, self.negative, self.scale = index, side_index, negative, scale

    def __call__(self, f: list[str]) -> float | None:
        text = f[self.index]
        if not text:
            return None
        value = float(text) * self.scale
        return -value if f[self.side_index].upper() == self.negative else value

    def columns(self, f: Fields) -> np.ndarray:
        import numpy as np

        value = f.num(self.index) * self.scale
        return np.where(f.upper_is(self.side_index, self.negative), -value, value)


class SignedUnits(Extractor):
    """Cross-track error: magnitude, steer letter (L positive, as Signal K), unit letter."""

    __slots__ = ("index", "side_index", "unit_index", "scales")

    def __init__(self, index: int, side_index: int, unit_index: int, scales: Mapping[str, float]):
        self.index, self.side_index, self.unit_index = index, side_index, unit_index
        self.scales = dict(scales)

    def __call__(self, f: list[str]) -> float | None:
        text = f[self.index]
        if not text:
            return None
        scale = self.scales.get(f[self.unit_index].upper())
        if scale is None:
            return None
        value = float(text) * scale
        return value if f[self.side_index].upper() == "L" else -value

    def columns(self, f: Fields) -> np.ndarray:
        import numpy as np

        value = f.num(self.index) * _scale_column(f, self.unit_index, self.scales)
        return np.where(f.upper_is(self.side_index, "L"), value, -value)


class WindAngle(Extractor):
    """0–360° relative to the bow → −π..π (starboard positive), as Signal K's MWV."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __call__(self, f: list[str]) -> float | None:
        text = f[self.index]
        if not text:
            return None
        angle = float(text) % 360.0
        if angle > 180.0:
            angle -= 360.0
        return angle * DEG

    def columns(self, f: Fields) -> np.ndarray:
        import numpy as np

        angle = np.remainder(f.num(self.index), 360.0)
        return np.where(angle > 180.0, angle - 360.0, angle) * DEG


def _coordinate(text: str, hemisphere: str, negative: str) -> float:
    """``dddmm.mmmm`` → decimal degrees; NaN (later refused) for minutes ≥ 60 or a sign.

    Computed from the number rather than by splitting the text, so the column evaluation
    does the same arithmetic on whole columns and gets bit-identical results.
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
    """``ddmm.mmmm,N,dddmm.mmmm,E`` → ``{"latitude", "longitude"}`` in decimal degrees.

    Held to :data:`LATITUDE` and :data:`LONGITUDE` whatever the path.
    """

    __slots__ = ("lat", "ns", "lon", "ew")
    kind = POSITION

    def __init__(self, lat: int, ns: int, lon: int, ew: int) -> None:
        self.lat, self.ns, self.lon, self.ew = lat, ns, lon, ew

    def __call__(self, f: list[str]) -> dict | None:
        lat, lon = f[self.lat], f[self.lon]
        if not lat or not lon:
            return None
        return {
            "longitude": _coordinate(lon, f[self.ew].upper(), "W"),
            "latitude": _coordinate(lat, f[self.ns].upper(), "S"),
        }

    def columns(self, f: Fields) -> tuple[np.ndarray, np.ndarray]:
        """(latitude, longitude), NaN where either field is empty."""
        import numpy as np

        lat_raw, lon_raw = f.num(self.lat), f.num(self.lon)
        present = ~(np.isnan(lat_raw) | np.isnan(lon_raw))
        coords = []
        for raw, hemisphere, negative in ((lat_raw, self.ns, "S"), (lon_raw, self.ew, "W")):
            degrees = np.floor(raw / 100.0)
            minutes = raw - degrees * 100.0
            value = degrees + minutes / 60.0
            f.per_line(present & ((minutes >= 60.0) | (raw < 0.0)))  # NaN per line: refused
            value = np.where(present, value, np.nan)
            coords.append(np.where(f.upper_is(hemisphere, negative), -value, value))
        return coords[0], coords[1]


class Text(Extractor):
    """A non-empty string field (waypoint IDs)."""

    __slots__ = ("index",)
    kind = TEXT

    def __init__(self, index: int) -> None:
        self.index = index

    def __call__(self, f: list[str]) -> str | None:
        return f[self.index].strip() or None

    def columns(self, f: Fields) -> np.ndarray:
        import numpy as np

        return np.array([t.strip() or None for t in f.text(self.index).tolist()], dtype=object)


class Lookup(Extractor):
    """A code field mapped to Signal K's words (GGA fix quality)."""

    __slots__ = ("index", "words")
    kind = TEXT

    def __init__(self, index: int, words: Mapping[str, str]) -> None:
        self.index, self.words = index, dict(words)

    def __call__(self, f: list[str]) -> str | None:
        return self.words.get(f[self.index])

    def columns(self, f: Fields) -> np.ndarray:
        import numpy as np

        words = self.words
        return np.array([words.get(t) for t in f.text(self.index).tolist()], dtype=object)


class TransducerOffset(Extractor):
    """DPT offset split by sign: ``side=+1`` surface→transducer, ``-1`` transducer→keel."""

    __slots__ = ("index", "side")

    def __init__(self, index: int, side: int) -> None:
        self.index, self.side = index, side

    def indices(self) -> list[int]:
        return [self.index]  # ``side`` is a sign, not a field

    def __call__(self, f: list[str]) -> float | None:
        text = f[self.index]
        if not text:
            return None
        offset = float(text) * self.side
        return offset if offset > 0 else None

    def columns(self, f: Fields) -> np.ndarray:
        import numpy as np

        offset = f.num(self.index) * self.side
        return np.where(offset > 0, offset, np.nan)


class OffsetDepth(Extractor):
    """DPT depth + offset, only on the side the offset's sign names (Signal K's DPT hook)."""

    __slots__ = ("depth", "offset", "side")

    def __init__(self, depth: int, offset: int, side: int) -> None:
        self.depth, self.offset, self.side = depth, offset, side

    def indices(self) -> list[int]:
        return [self.depth, self.offset]

    def __call__(self, f: list[str]) -> float | None:
        if not f[self.depth] or not f[self.offset]:
            return None
        offset = float(f[self.offset])
        if offset * self.side <= 0:
            return None
        return float(f[self.depth]) + offset

    def columns(self, f: Fields) -> np.ndarray:
        import numpy as np

        offset = f.num(self.offset)
        return np.where(offset * self.side > 0, f.num(self.depth) + offset, np.nan)


class CorrectedHeading(Extractor):
    """HDG: sensor heading + deviation (+ variation, required, for true), each E+/W−."""

    __slots__ = ("index", "deviation", "variation")

    def __init__(
        self, index: int, deviation: tuple[int, int], variation: tuple[int, int] | None = None
    ) -> None:
        self.index, self.deviation, self.variation = index, deviation, variation

    def _corrections(self) -> tuple[tuple[tuple[int, int], bool], ...]:
        pairs = ((self.deviation, False), (self.variation, True))
        return tuple((pair, required) for pair, required in pairs if pair is not None)

    def __call__(self, f: list[str]) -> float | None:
        text = f[self.index]
        if not text:
            return None
        degrees = float(text)
        for (value_index, side_index), required in self._corrections():
            if not f[value_index]:
                if required:
                    return None
                continue
            correction = float(f[value_index])
            degrees += -correction if f[side_index].upper() == "W" else correction
        return degrees * DEG

    def columns(self, f: Fields) -> np.ndarray:
        import numpy as np

        degrees = f.num(self.index)
        for (value_index, side_index), required in self._corrections():
            correction = f.num(value_index)
            signed = np.where(f.upper_is(side_index, "W"), -correction, correction)
            missing = np.isnan(correction)
            degrees = np.where(missing, np.nan if required else degrees, degrees + signed)
        return degrees * DEG


@dataclass(frozen=True)
class Choice:
    """A path picked by a letter field, e.g. MWV ``R`` → apparent, ``T`` → true."""

    index: int
    paths: Mapping[str, str]

    def resolve(self, f: list[str]) -> str | None:
        return self.paths.get(f[self.index].upper())


@dataclass(frozen=True)
class SentenceTime:
    """Where a sentence keeps its time: ``tod`` index, and the date as ``ddmmyy`` or Y/M/D."""

    tod: int
    ddmmyy: int | None = None
    ymd: tuple[int, int, int] | None = None


Rule = tuple["str | Choice", Extractor]


class Reading(NamedTuple):
    """One value a row with its own logic (:attr:`Sentence.interpret`) found.

    ``vessel`` is the context when it is not the stream's own vessel (a DSC call names
    the vessel it is about).
    """

    path: str
    value: Value
    vessel: str | None = None


@dataclass
class Stream:
    """What a row with its own logic sees of its stream besides one sentence's fields.

    ``memory`` is the stream's scratch space, owned by the decoder and kept between
    sentences: a GSV sequence in progress, the Seatalk latitude waiting for its
    longitude. Each interpreter keeps its entries bounded. ``fix`` is set by an
    interpreter of a row with ``clock`` to the full date and time (POSIX seconds) the
    sentence just completed (Seatalk date 56 + time 54): the decoder sets its clock
    from it as from RMC's, and resets it before each such sentence.
    """

    talker: str = ""
    memory: dict[str, Any] = field(default_factory=dict)
    fix: float | None = None


def _target(path: str) -> tuple[str, float, float, str]:
    rule = limit(path)
    return path, rule.low, rule.high, rule.reason


Reject = Callable[[str, str], None]


@dataclass(frozen=True)
class Sentence:
    """One row of the table: everything needed to turn a sentence type into observations.

    ``status`` is ``(index, letters)``: the sentence is void unless that field is one of the
    letters (RMC ``A``, GGA fix quality not ``0``). ``expand`` handles the one sentence
    whose shape is data (XDR's repeated quadruples). ``interpret`` is for the sentences a
    row of extractors cannot express: values spread over several sentences (GSV), packed
    in hex or letters (Seatalk datagrams, CruzPro), paths named by a field (RPM), values
    about another vessel (DSC); it returns :class:`Reading` s, and ``produces`` lists the
    paths it can give, for the docs. Rows with either are decoded per line only.
    ``clock`` marks an ``interpret`` row that can complete a date and time over several
    sentences (:attr:`Stream.fix`), so the decoders and the look-ahead of
    :mod:`isomer_data.ingest.dating` treat it as a dated sentence, as RMC and ZDA.
    ``width`` (derived) is one more than the highest field index the rules read.
    """

    title: str
    rules: tuple[Rule, ...] = ()
    status: tuple[int, str] | None = None
    time: SentenceTime | None = None
    expand: Callable[[list[str]], list[tuple[str, Value]]] | None = None
    interpret: Callable[[list[str], Stream], list[Reading]] | None = None
    produces: tuple[str, ...] = ()
    clock: bool = False
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    width: int = field(init=False, compare=False)
    _plan: tuple = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        width = 0
        plan = []
        for path, extractor in self.rules:
            width = max([width, *(i + 1 for i in extractor.indices())])
            if isinstance(path, Choice):
                width = max(width, path.index + 1)
                targets: Any = {letter: _target(p) for letter, p in path.paths.items()}
                plan.append((path.index, targets, extractor.__call__))
            else:
                plan.append((-1, _target(path), extractor.__call__))
        object.__setattr__(self, "width", width)
        object.__setattr__(self, "_plan", tuple(plan))

    def decode(
        self,
        fields: list[str],
        time: float,
        vessel: str,
        source: str,
        line: str,
        reject: Reject,
        stream: Stream | None = None,
    ) -> list[Observation]:
        """Walk the row over one sentence's fields (after the address): the per-line path.

        Each impossible value is dropped and ``reject(reason, line)`` called for it.
        ``stream`` is what :attr:`interpret` rows see of the stream (a fresh one if none).

        Raises
        ------
        ValueError, IndexError
            A numeric field that does not parse; the caller refuses the whole sentence,
            since half a sentence is worse than none.
        NotMapped
            From an :attr:`interpret` row: valid, but nothing in it is mapped.
        """
        f = fields
        if len(f) < self.width:
            f = f + [""] * (self.width - len(f))
        out = []
        append = out.append
        for choice, target, call in self._plan:
            value = call(f)
            if value is None:
                continue
            if choice >= 0:
                target = target.get(f[choice].upper())
                if target is None:
                    continue
            path, low, high, reason = target
            if type(value) is float:
                if low <= value <= high and -MAX_ABS <= value <= MAX_ABS:
                    append(Observation(time, vessel, path, value, source))
                else:
                    # NaN, ±inf and magnitudes no instrument reports (BSON and every client
                    # must hold them): not a number; otherwise the quantity's own reason.
                    huge = not -MAX_ABS <= value <= MAX_ABS
                    reject(reasons.NOT_A_NUMBER if huge else reason, line)
            elif type(value) is dict:
                lat, lon = value["latitude"], value["longitude"]
                if LATITUDE.low <= lat <= LATITUDE.high and LONGITUDE.low <= lon <= LONGITUDE.high:
                    append(Observation(time, vessel, path, value, source))
                else:
                    reject(LATITUDE.reason, line)
            else:
                append(Observation(time, vessel, path, value, source))
        if self.expand is not None:
            for path, value in self.expand(fields):
                reason = check(path, value)
                if reason is None:
                    out.append(Observation(time, vessel, path, value, source))
                else:
                    reject(reason, line)
        if self.interpret is not None:
            for path, value, other in self.interpret(fields, stream or Stream()):
                reason = check(path, value)
                if reason is None and type(value) is float and not -MAX_ABS <= value <= MAX_ABS:
                    reason = reasons.NOT_A_NUMBER  # as the rules: no instrument reports it
                if reason is None:
                    out.append(Observation(time, other or vessel, path, value, source))
                else:
                    reject(reason, line)
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
