"""Batch decoding of whole log files, column by column, for bulk import.

The per-line :class:`~isomer_data.ingest.decode.Decoder` pays Python overhead per field and per
observation; a file of millions of sentences does not need that. Here the clean lines of
the common sentence types are split, checked and converted as Arrow/numpy columns, one
column per table field, and the result stays columnar (:class:`ObservationColumns`),
which is also the shape bucketed storage wants. Everything irregular — AIS, XDR, wrapped
lines (TAG blocks, prefixes), bad checksums, void fixes, odd numbers, impossible values —
is handed, in order, to the per-line decoder, whose clock is kept in step, so both paths
give identical observations and identical reports. The table in :mod:`isomer_data.ingest.sentences`
stays the only mapping, and each extractor in :mod:`isomer_data.ingest.normalize` carries its own
column-wise evaluation beside its per-line one: this module splits, checks time and
status, applies the same :data:`~isomer_data.ingest.normalize.LIMITS`, and assembles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from isomer_data.ingest import report as reasons
from isomer_data.ingest.ais import NAV_STATE, ship_type_name
from isomer_data.ingest.clock import (
    GIVEN,
    GPS,
    TIME_SOURCES,
    nearest_time_of_day,
    parse_ddmmyy,
    ymd,
)
from isomer_data.ingest.decode import KNOWN_UNMAPPED, Decoder
from isomer_data.ingest.normalize import (
    DEG,
    KNOT,
    LATITUDE,
    LONGITUDE,
    NUMBER,
    POSITION,
    Choice,
    Sentence,
    limit,
)
from isomer_data.ingest.observation import SELF, Observation
from isomer_data.ingest.report import IngestReport
from isomer_data.ingest.sentences import SENTENCES

DECIMAL = r"^(-?(\d+\.?\d*|\.\d+))?$"
TIME_OF_DAY = r"^\d{6}(\.\d+)?$"
DDMMYY = r"^\d{6}$"
_HEX = np.full(256, -1, dtype=np.int16)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"abcdef"):
    _HEX[_c] = 10 + _i
# Time sources as int8 codes into TIME_SOURCES; -1 is "not known".
_SOURCE_CODE = {name: k for k, name in enumerate(TIME_SOURCES)}
_GPS = _SOURCE_CODE[GPS]
_RULE_CODE = {None: -1, **_SOURCE_CODE}


# Seatalk date (56) and time (54) datagrams, which set the clock together (ingest/seatalk.py):
# the clock loop hands them to the per-line decoder in order, as the other dated sentences.
_CLOCK_DATAGRAM = r"(ALK|PSMDST),([RrCc],)?5[46],"


def _source_code(name: str | None) -> int:
    return -1 if name is None else _SOURCE_CODE[name]


def _source_name(code: int) -> str | None:
    return None if code < 0 else TIME_SOURCES[code]


class ObservationColumns:
    """Observations as parallel columns, in the order the per-line decoder emits them.

    Strings that repeat (path, vessel, source) are integer codes into small name lists,
    the way bucketed storage and Arrow dictionaries want them. ``number`` holds plain
    numeric values (NaN otherwise), ``latitude``/``longitude`` positions (NaN otherwise)
    and ``text`` any other value (strings, dicts; None otherwise). ``time_source`` codes
    index ``time_sources`` (:data:`~isomer_data.ingest.clock.TIME_SOURCES`), -1 if unknown.
    """

    time_sources = TIME_SOURCES

    __slots__ = (
        "time",
        "time_source",
        "vessel",
        "vessels",
        "path",
        "paths",
        "number",
        "latitude",
        "longitude",
        "text",
        "source",
        "sources",
    )

    def __init__(self, n: int, vessels: list[str], paths: list[str], sources: list[str]) -> None:
        self.time = np.full(n, np.nan)
        self.time_source = np.full(n, -1, dtype=np.int8)
        self.vessel = np.zeros(n, dtype=np.int32)
        self.path = np.zeros(n, dtype=np.int32)
        self.source = np.zeros(n, dtype=np.int32)
        self.number = np.full(n, np.nan)
        self.latitude = np.full(n, np.nan)
        self.longitude = np.full(n, np.nan)
        self.text = np.full(n, None, dtype=object)
        self.vessels, self.paths, self.sources = vessels, paths, sources

    def __len__(self) -> int:
        return len(self.time)

    def to_observations(self) -> list[Observation]:
        """Materialise :class:`Observation` objects (costs more than the decoding)."""
        vessels, paths, sources = self.vessels, self.paths, self.sources
        out = []
        for t, vessel, path, x, lat, lon, text, source, dated in zip(
            self.time.tolist(),
            self.vessel.tolist(),
            self.path.tolist(),
            self.number.tolist(),
            self.latitude.tolist(),
            self.longitude.tolist(),
            self.text.tolist(),
            self.source.tolist(),
            self.time_source.tolist(),
            strict=True,
        ):
            if text is not None:
                value = text
            elif lat == lat:
                value = {"longitude": lon, "latitude": lat}
            else:
                value = x
            out.append(
                Observation(
                    t, vessels[vessel], paths[path], value, sources[source], _source_name(dated)
                )
            )
        return out


class _Names:
    """Interning strings to codes while assembling columns."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.codes: dict[str, int] = {}

    def code(self, name: str) -> int:
        code = self.codes.get(name)
        if code is None:
            code = self.codes[name] = len(self.names)
            self.names.append(name)
        return code

    def codes_of(self, names: np.ndarray) -> np.ndarray:
        return np.array([self.code(x) for x in names.tolist()], dtype=np.int32)

    def codes_of_list(self, names: list[str]) -> list[int]:
        get, code = self.codes.get, self.code
        out = []
        for name in names:
            c = get(name)
            out.append(code(name) if c is None else c)
        return out


class Fields:
    """Column access over the split fields of one sentence type's rows.

    What :meth:`isomer_data.ingest.normalize.Extractor.columns` reads: ``num(j)``, ``text(j)``,
    ``empty(j)``, ``upper_is(j, letter)`` for field ``j``, and ``per_line(mask)`` to hand
    rows whose result it cannot reproduce exactly to the per-line evaluation.
    """

    def __init__(self, values: pa.Array, starts: np.ndarray, counts: np.ndarray) -> None:
        # A trailing "" stands in for fields a short sentence lacks, as the row code pads.
        self.values = pa.concat_arrays([values, pa.array([""], pa.string())])
        self.starts, self.counts, self.missing = starts, counts, len(values)
        self._columns: dict[int, pa.Array] = {}
        self._text: dict[int, np.ndarray] = {}
        self._num: dict[int, np.ndarray] = {}
        self._empty: dict[int, np.ndarray] = {}
        self.irregular = np.zeros(len(starts), dtype=bool)

    def __len__(self) -> int:
        return len(self.starts)

    def per_line(self, mask: np.ndarray) -> None:
        """Hand these rows to the per-line decoder (its answer is the reference)."""
        self.irregular |= mask

    def index(self, j: int) -> np.ndarray:
        return np.where(j + 1 < self.counts, self.starts + (j + 1), self.missing)

    def column(self, j: int) -> pa.Array:
        col = self._columns.get(j)
        if col is None:
            col = self._columns[j] = self.values.take(pa.array(self.index(j)))
        return col

    def distinct(self, j: int) -> tuple[list[str], np.ndarray]:
        """Field ``j``'s distinct texts and, per row, the index of its own among them."""
        encoded = pc.dictionary_encode(self.column(j))
        return encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False)

    def text(self, j: int) -> np.ndarray:
        if j not in self._text:
            self._text[j] = self.column(j).to_numpy(zero_copy_only=False)
        return self._text[j]

    def num(self, j: int) -> np.ndarray:
        """Floats, NaN for empty; rows Python's ``float`` would read differently are irregular.

        Arrow's parser accepts a subset of Python's syntax with identical values, so a
        column that casts cleanly needs no per-string check; NaN or infinity written in the
        text, and any column with a field Arrow refuses, are settled per line. So are
        magnitudes of 1e300 and more: below that no extractor's arithmetic (scales up to a
        nautical mile, sums of three fields) can overflow, so NaN in a computed column
        always means "no value", never inf - inf.
        """
        if j not in self._num:
            col = self.column(j)
            empty = pc.equal(col, "")
            null = pa.scalar(None, pa.string())
            try:
                values = pc.cast(pc.if_else(empty, null, col), pa.float64())
            except pa.ArrowInvalid:
                ok = pc.match_substring_regex(col, DECIMAL)
                self.irregular |= ~ok.to_numpy(zero_copy_only=False)
                values = pc.cast(pc.if_else(pc.and_(ok, pc.invert(empty)), col, null), pa.float64())
            values = values.to_numpy(zero_copy_only=False)
            written = ~empty.to_numpy(zero_copy_only=False)
            self.irregular |= written & ~(np.abs(values) < 1e300)  # NaN, ±inf, huge
            self._num[j] = values
        return self._num[j]

    def empty(self, j: int) -> np.ndarray:
        if j not in self._empty:
            self._empty[j] = pc.equal(self.column(j), "").to_numpy(zero_copy_only=False)
        return self._empty[j]

    def upper_is(self, j: int, letter: str) -> np.ndarray:
        """Whether field ``j`` upper-cased is ``letter`` (compared in Arrow, no str objects)."""
        col = self.column(j)
        same = pc.or_(pc.equal(col, letter), pc.equal(col, letter.lower()))
        return same.to_numpy(zero_copy_only=False)


def _vectorizable(row: Sentence) -> bool:
    """Rows without a data-shaped part (XDR) or logic of their own (GSV, Seatalk, DSC…),
    with letter-chosen paths on numbers only."""
    if row.expand is not None or row.interpret is not None:
        return False
    return all(
        path.__class__ is str or (isinstance(path, Choice) and ex.kind == NUMBER)
        for path, ex in row.rules
    )


# Talker sentences only: batches are keyed by the three letters after the talker, so a
# proprietary address (PNKEP) would be mistaken for a talker sentence ($GPPNK).
VECTOR_KINDS = {kind for kind, row in SENTENCES.items() if len(kind) == 3 and _vectorizable(row)}


class _PathChoice:
    """Per-row paths as indices into a few targets (MWV's apparent/true)."""

    __slots__ = ("targets", "which")

    def __init__(self, targets: tuple[str, ...], which: np.ndarray) -> None:
        self.targets, self.which = targets, which

    def __getitem__(self, keep: np.ndarray) -> _PathChoice:
        return _PathChoice(self.targets, self.which[keep])


class _Chunk:
    __slots__ = ("lines", "pos", "path", "number", "lat", "lon", "text")

    def __init__(self, lines, pos, path, number=None, lat=None, lon=None, text=None):
        self.lines, self.pos, self.path = lines, pos, path
        self.number, self.lat, self.lon, self.text = number, lat, lon, text


def _decode_kind(
    row: Sentence, rows: np.ndarray, values: pa.Array, starts: np.ndarray, counts: np.ndarray
):
    """Evaluate a row type on its lines; returns (regular mask, void mask, time info, chunks).

    Void rows (status field not one of the row's letters) are refused whatever their other
    fields hold, so they are neither regular nor handed to the per-line decoder.
    """
    f = Fields(values, starts, counts)
    void = np.zeros(len(rows), dtype=bool)
    if row.status is not None:
        # Void exactly as the per-line decoder decides it (missing, empty, or not among
        # the letters, ``in`` being a substring test): settled here, before anything else.
        index, letters = row.status
        distinct, which = f.distinct(index)
        voids = np.array([not t or t not in letters for t in distinct], dtype=bool)
        void = voids[which] if len(distinct) else void
    time_info = None
    if row.time is not None:
        tod_text = f.column(row.time.tod)
        good = pc.match_substring_regex(tod_text, TIME_OF_DAY).to_numpy(zero_copy_only=False)
        f.irregular |= ~good
        safe = pc.if_else(good, tod_text, "000000")
        hours = pc.cast(pc.utf8_slice_codeunits(safe, 0, 2), pa.int64()).to_numpy()
        minutes = pc.cast(pc.utf8_slice_codeunits(safe, 2, 4), pa.int64()).to_numpy()
        seconds = pc.cast(pc.utf8_slice_codeunits(safe, 4), pa.float64()).to_numpy()
        f.irregular |= (hours > 23) | (minutes > 59) | (seconds >= 61.0)
        tod = (hours * 3600 + minutes * 60) + seconds
        midnight = None
        if row.time.ddmmyy is not None:
            dates, which = np.unique(f.text(row.time.ddmmyy).astype(str), return_inverse=True)
            parsed = np.empty(len(dates))
            for k, text in enumerate(dates.tolist()):
                try:
                    parsed[k] = parse_ddmmyy(text)
                except ValueError:
                    parsed[k] = np.nan
            midnight = parsed[which]
            f.irregular |= np.isnan(midnight)
        elif row.time.ymd is not None:
            y, m, d = row.time.ymd
            midnight = np.empty(len(rows))
            for i, (yy, mm, dd) in enumerate(
                zip(f.text(y).tolist(), f.text(m).tolist(), f.text(d).tolist(), strict=True)
            ):
                try:
                    midnight[i] = ymd(yy, mm, dd)
                except ValueError:
                    midnight[i] = np.nan
                    f.irregular[i] = True
        time_info = (tod, midnight)
    chunks = []
    for pos, (path, ex) in enumerate(row.rules):
        if ex.kind == POSITION:
            lat, lon = ex.columns(f)
            present = ~(np.isnan(lat) | np.isnan(lon))
            admitted = LATITUDE.admits_columns(lat) & LONGITUDE.admits_columns(lon)
            f.per_line(present & ~admitted)
            chunks.append((pos, path, present, None, lat, lon, None))
            continue
        if ex.kind != NUMBER:
            text = ex.columns(f)
            chunks.append((pos, path, np.not_equal(text, None), None, None, None, text))
            continue
        value = ex.columns(f)
        present = ~np.isnan(value)
        if isinstance(path, Choice):
            targets = tuple(path.paths.values())
            which = np.full(len(rows), -1, dtype=np.int64)
            for k, letter in enumerate(path.paths):
                which[f.upper_is(path.index, letter)] = k
            present &= which >= 0
            for k, target in enumerate(targets):
                f.per_line(present & (which == k) & ~limit(target).admits_columns(value))
            chunks.append((pos, _PathChoice(targets, which), present, value, None, None, None))
            continue
        f.per_line(present & ~limit(path).admits_columns(value))
        chunks.append((pos, path, present, value, None, None, None))
    return ~f.irregular & ~void, void, time_info, chunks


def _six_bit(data: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """AIS payload characters → a (rows × 6·length) bit matrix."""
    return _armoured_bits(data[starts[:, None] + np.arange(length)])


def _armoured_bits(characters: np.ndarray) -> np.ndarray:
    """As bytes of 0 and 1 (:func:`_bits` widens only the columns a field reads)."""
    chars = characters.astype(np.int16) - 48
    chars = np.where(chars > 40, chars - 8, chars).astype(np.uint8)  # 0–63 when armoured
    rows, length = characters.shape
    shifts = np.arange(5, -1, -1, dtype=np.uint8)
    return ((chars[:, :, None] >> shifts) & 1).reshape(rows, 6 * length)


def _bits(matrix: np.ndarray, start: int, width: int, signed: bool = False) -> np.ndarray:
    weights = 1 << np.arange(width - 1, -1, -1, dtype=np.int64)
    value = matrix[:, start : start + width] @ weights
    if signed:
        value = np.where(value >= 1 << (width - 1), value - (1 << width), value)
    return value


def _urn_codes(vessels: _Names, mmsi: np.ndarray) -> np.ndarray:
    """Vessel codes of ``urn:mrn:imo:mmsi:NNN``, interned in the order of the names."""
    unique, inverse = np.unique(mmsi, return_inverse=True)
    urns = [f"urn:mrn:imo:mmsi:{m}" for m in unique.tolist()]
    codes = np.empty(len(urns), dtype=np.int32)
    for k in sorted(range(len(urns)), key=urns.__getitem__):
        codes[k] = vessels.code(urns[k])
    return codes[inverse.reshape(-1)]


def _lat_lon(raw: np.ndarray) -> np.ndarray:
    # pyais: ((10 * v + 3) // 6) / 1e6 for v != 0, i.e. round(v / 600000, 6), bit for bit.
    return np.floor_divide(10 * raw + 3, 6) / 1e6


# Field offsets of the position reports decoded as columns: (speed, lon, lat, course, heading).
_AIS_LAYOUT = {
    1: (50, 61, 89, 116, 128),
    2: (50, 61, 89, 116, 128),
    3: (50, 61, 89, 116, 128),
    18: (46, 57, 85, 112, 124),
}


def _ais_columns(data: np.ndarray, payload_start: np.ndarray, source: str):
    """Single-sentence AIS position reports (types 1–3, 18) as columns.

    Returns (regular mask, MMSIs, chunks, message types); irregular rows (impossible
    values, not a position report) go to pyais through the per-line decoder.
    """
    bits = _six_bit(data, payload_start, 28)
    kind = _bits(bits, 0, 6)
    mmsi = _bits(bits, 8, 30)
    regular = np.isin(kind, (1, 2, 3, 18))
    n = len(payload_start)
    speed_raw, lon_raw, lat_raw, course_raw, heading_raw = (np.zeros(n, np.int64) for _ in range(5))
    for code in (1, 18):
        rows = np.isin(kind, (1, 2, 3)) if code == 1 else kind == 18
        s, lo, la, c, h = _AIS_LAYOUT[code]
        sub = bits[rows]
        speed_raw[rows] = _bits(sub, s, 10)
        lon_raw[rows] = _bits(sub, lo, 28, True)
        lat_raw[rows] = _bits(sub, la, 27, True)
        course_raw[rows] = _bits(sub, c, 12)
        heading_raw[rows] = _bits(sub, h, 9)
    lat, lon = _lat_lon(lat_raw), _lat_lon(lon_raw)
    has_position = ~((lat == 91.0) | (lon == 181.0))
    regular &= ~has_position | ((lat >= -90) & (lat <= 90) & (lon >= -180) & (lon <= 180))
    speed = speed_raw / 10.0
    course = course_raw / 10.0
    regular &= (course == 360.0) | (course * DEG <= 2.0 * np.pi + 1e-9)
    regular &= (heading_raw == 511) | (heading_raw * DEG <= 2.0 * np.pi + 1e-9)
    class_a = kind <= 3
    status = _bits(bits, 38, 4)
    states = np.empty(17, dtype=object)  # a 4-bit field: a table of its 16 values
    states[:16] = [NAV_STATE.get(v) for v in range(16)]
    state = states[status]
    state[~class_a] = None
    ais_class = np.where(class_a, "A", "B").astype(object)
    report = np.isin(kind, (1, 2, 3, 18))
    heading = heading_raw.astype(float) * DEG
    chunks = [
        (0, "navigation.position", report & has_position, None, lat, lon, None),
        (
            1,
            "navigation.speedOverGround",
            report & (speed_raw != 1023),
            speed * KNOT,
            None,
            None,
            None,
        ),
        (
            2,
            "navigation.courseOverGroundTrue",
            report & (course_raw != 3600),
            course * DEG,
            None,
            None,
            None,
        ),
        (3, "navigation.headingTrue", report & (heading_raw != 511), heading, None, None, None),
        (4, "navigation.state", report & (np.not_equal(state, None)), None, None, None, state),
        (5, "sensors.ais.class", report, None, None, None, ais_class),
    ]
    static = _ais24_columns(bits, kind, mmsi)
    regular |= static[0]
    for pos, path, present, number, lat, lon, text in static[1]:
        chunks.append((pos, path, present, number, lat, lon, text))
    return regular, mmsi, chunks, kind


SIXBIT = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?"


def _ais_text(bits: np.ndarray, start: int, chars: int) -> list[str | None]:
    """6-bit text as pyais reads it, then cleaned as :mod:`isomer_data.ingest.ais` does."""
    codes = np.stack([_bits(bits, start + 6 * k, 6) for k in range(chars)], axis=1)
    out: list[str | None] = []
    for row in codes.tolist():
        text = "".join(SIXBIT[c] for c in row).rstrip("@").strip()
        text = text.replace("@", " ").strip()
        out.append(text or None)
    return out


def _clean_fragment_pairs(lines, idx, data, body_start, body_end, is_nmea):
    """``[(first line, second line, payload)]`` for type-5-shaped ``!AIVDM`` pairs, or []."""
    fragments = []
    for i in np.setdiff1d(np.arange(len(lines)), idx, assume_unique=True).tolist():
        if "VDM" in lines[i] or "VDO" in lines[i]:
            return []  # a fragment the per-line decoder will see: keep its buffer exact
    single = (data[body_start + 6] == ord("1")) & (data[body_start + 7] == ord(","))
    ais = np.nonzero(~is_nmea & ~single)[0]
    for j in ais.tolist():
        body = bytes(data[body_start[j] : body_end[j]]).decode("ascii")
        parts = body.split(",")
        if len(parts) < 7 or parts[0][2:] not in ("VDM", "VDO") or parts[1] == "1":
            continue
        fragments.append((int(idx[j]), parts))
    pairs = []
    for k in range(0, len(fragments), 2):
        if k + 1 >= len(fragments):
            return []
        (i, a), (j, b) = fragments[k], fragments[k + 1]
        if (
            a[1] != "2"
            or b[1] != "2"
            or a[2] != "1"
            or b[2] != "2"
            or (a[0][2:], a[4], a[3]) != (b[0][2:], b[4], b[3])
        ):
            return []
        if a[0] == "AIVDM" == b[0] and a[6] == "0" and b[6] == "2" and len(a[5]) + len(b[5]) == 71:
            pairs.append((i, j, a[5] + b[5]))
    return pairs


def _ais5_columns(bits: np.ndarray):
    """Type 5 in the order of its row in isomer_data.ingest.ais (static part, then voyage data)."""
    n = len(bits)
    mmsi = _bits(bits, 8, 30)
    imo = _bits(bits, 40, 30)
    ship_codes = _bits(bits, 232, 8).tolist()
    ship_type = np.array(
        [
            {"id": c, "name": ship_type_name(c)} if c and ship_type_name(c) else None
            for c in ship_codes
        ]
        + [None],
        dtype=object,
    )[:-1]
    bow, stern = _bits(bits, 240, 9), _bits(bits, 249, 9)
    width = (_bits(bits, 258, 6) + _bits(bits, 264, 6)).astype(float)
    total = bow + stern
    length = np.array(
        [{"overall": float(t)} if t else None for t in total.tolist()] + [None], dtype=object
    )[:-1]
    draught = _bits(bits, 294, 8) / 10.0
    draft = np.array(
        [{"current": d} if d else None for d in draught.tolist()] + [None], dtype=object
    )[:-1]
    registration = np.array(
        [f"IMO {v}" if v else None for v in imo.tolist()] + [None], dtype=object
    )[:-1]
    name = np.array(_ais_text(bits, 112, 20) + [None], dtype=object)[:-1]
    callsign = np.array(_ais_text(bits, 70, 7) + [None], dtype=object)[:-1]
    destination = np.array(_ais_text(bits, 302, 20) + [None], dtype=object)[:-1]
    chunks = [
        (0, "name", np.not_equal(name, None), None, None, None, name),
        (1, "design.aisShipType", np.not_equal(ship_type, None), None, None, None, ship_type),
        (2, "design.length", np.not_equal(length, None), None, None, None, length),
        (3, "design.beam", width > 0, width, None, None, None),
        (4, "sensors.ais.fromBow", bow > 0, bow.astype(float), None, None, None),
        (5, "communication.callsignVhf", np.not_equal(callsign, None), None, None, None, callsign),
        (6, "registrations.imo", np.not_equal(registration, None), None, None, None, registration),
        (7, "design.draft", np.not_equal(draft, None), None, None, None, draft),
        (
            8,
            "navigation.destination.commonName",
            np.not_equal(destination, None),
            None,
            None,
            None,
            destination,
        ),
        (
            9,
            "sensors.ais.class",
            np.ones(n, dtype=bool),
            None,
            None,
            None,
            np.full(n, "A", dtype=object),
        ),
    ]
    return mmsi, chunks


def _ais24_columns(bits: np.ndarray, kind: np.ndarray, mmsi: np.ndarray):
    """Class B static data (type 24, parts A and B) in the order of its row in isomer_data.ingest.ais."""
    n = len(kind)
    part = _bits(bits, 38, 2)
    unique, inverse = np.unique(mmsi, return_inverse=True)
    auxiliary = np.array([str(m).startswith("98") for m in unique.tolist()], dtype=bool)
    auxiliary = auxiliary[inverse.reshape(-1)]
    is_a = (kind == 24) & (part == 0)
    is_b = (kind == 24) & (part == 1) & ~auxiliary
    rows_a, rows_b = np.nonzero(is_a)[0], np.nonzero(is_b)[0]
    name = np.full(n, None, dtype=object)
    name[rows_a] = _ais_text(bits[rows_a], 40, 20) if len(rows_a) else []
    callsign = np.full(n, None, dtype=object)
    ship_type = np.full(n, None, dtype=object)
    length = np.full(n, None, dtype=object)
    beam = np.full(n, np.nan)
    from_bow = np.full(n, np.nan)
    if len(rows_b):
        b = bits[rows_b]
        callsign[rows_b] = _ais_text(b, 90, 7)
        codes = _bits(b, 40, 8).tolist()
        types = []
        for code in codes:
            label = ship_type_name(code) if code else None
            types.append({"id": code, "name": label} if label else None)
        ship_type[rows_b] = np.array(types + [None], dtype=object)[:-1]
        bow, stern = _bits(b, 132, 9), _bits(b, 141, 9)
        port, starboard = _bits(b, 150, 6), _bits(b, 156, 6)
        total = bow + stern
        length[rows_b] = np.array(
            [{"overall": float(t)} if t else None for t in total.tolist()] + [None], dtype=object
        )[:-1]
        width = (port + starboard).astype(float)
        beam[rows_b] = np.where(width > 0, width, np.nan)
        from_bow[rows_b] = np.where(bow > 0, bow.astype(float), np.nan)
    is_24 = is_a | is_b
    chunks = [
        (0, "name", np.not_equal(name, None), None, None, None, name),
        (1, "design.aisShipType", np.not_equal(ship_type, None), None, None, None, ship_type),
        (2, "design.length", np.not_equal(length, None), None, None, None, length),
        (3, "design.beam", ~np.isnan(beam), beam, None, None, None),
        (4, "sensors.ais.fromBow", ~np.isnan(from_bow), from_bow, None, None, None),
        (5, "communication.callsignVhf", np.not_equal(callsign, None), None, None, None, callsign),
        (6, "sensors.ais.class", is_24, None, None, None, np.full(n, "B", dtype=object)),
    ]
    return is_24, chunks


def _nearest(time_of_day: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """:func:`isomer_data.ingest.clock.nearest_time_of_day` on columns, with the same arithmetic."""
    value = np.floor(reference / 86400.0) * 86400.0 + time_of_day
    value = np.where(value - reference > 43200.0, value - 86400.0, value)
    return np.where(reference - value > 43200.0, value + 86400.0, value)


def _run_clock(
    events,
    start,
    stop,
    last,
    last_source,
    code,
    full_time,
    tod_time,
    line_time,
    clock_at,
    line_source,
    source_at,
    decoder,
    recorder,
    lines,
    slow_obs,
):
    """Advance the clock over events[start:stop] (dated and time-of-day sentences only).

    Returns the clock and the code of the rule that dated it after the segment; a dated
    sentence makes that rule GPS, a time of day keeps the rule of the clock it follows.

    Each time of day is resolved against the latest dated fix, then checked against the
    chained rule the per-line decoder applies (nearest to the previous instant); when the
    two agree everywhere — any log without a 12-hour gap — the columns are exact, else the
    segment is replayed one sentence at a time.
    """
    rows = events[start:stop]
    kinds = code[rows]
    full = full_time[rows]
    dated = kinds == 2
    positions = np.arange(len(rows))
    last_dated = np.maximum.accumulate(np.where(dated, positions, -1))
    reference = np.where(
        last_dated >= 0, full[np.maximum(last_dated, 0)], np.nan if last is None else last
    )
    tod = tod_time[rows]
    times = np.where(dated, full, _nearest(tod, reference))
    previous = np.concatenate([[np.nan if last is None else last], times[:-1]])
    chained = _nearest(tod, previous)
    exact = dated | (chained == times)
    if exact.all():
        sources = np.where(last_dated >= 0, _GPS, last_source).astype(np.int8)
        line_time[rows] = times
        clock_at[start:stop] = times
        line_source[rows] = sources
        source_at[start:stop] = sources
        return float(times[-1]), int(sources[-1])
    for e, i in zip(range(start, stop), rows.tolist(), strict=True):
        if code[i] == 2:
            last = float(full_time[i])
            last_source = _GPS
            line_time[i] = last
            line_source[i] = last_source
        elif last is not None:
            last = nearest_time_of_day(float(tod_time[i]), last)
            line_time[i] = last
            line_source[i] = last_source
        else:  # a time of day before any date: the per-line decoder decides
            code[i] = 0
            decoder.clock.last = None
            decoder.clock.source = None
            recorder.at = i
            slow_obs[i] = decoder.feed(lines[i])
            last = decoder.clock.last
            last_source = _source_code(decoder.clock.source)
        if last is not None:
            clock_at[e] = last
            source_at[e] = last_source
    return last, last_source


def decode_batch(
    lines: Iterable[str],
    vessel: str = SELF,
    source: str = "nmea0183",
    report: IngestReport | None = None,
    start: float | None = None,
    start_source: str = GIVEN,
) -> ObservationColumns:
    """Decode a whole log into columns; same observations and report as :class:`Decoder`.

    Parameters
    ----------
    lines : iterable of str
        The log's lines (a list is used as is).
    vessel, source, report, start, start_source
        As for :class:`~isomer_data.ingest.decode.Decoder`.

    Returns
    -------
    ObservationColumns
        In the per-line decoder's order; ``.to_observations()`` gives the objects.
    """
    lines = lines if isinstance(lines, list) else list(lines)
    report = report if report is not None else IngestReport()
    # Irregular rows (inf, NaN) are computed alongside and discarded; no warnings for them.
    with np.errstate(all="ignore"):
        return _decode_batch(lines, vessel, source, report, start, start_source)


def _decode_batch(
    lines: list[str],
    vessel: str,
    source: str,
    report: IngestReport,
    start: float | None,
    start_source: str,
):
    recorder = _Recorder()
    decoder = Decoder(
        vessel=vessel, source=source, report=recorder, start=start, start_source=start_source
    )
    start_code = _source_code(decoder.clock.source)
    n = len(lines)
    raw = pc.utf8_rtrim_whitespace(pa.array(lines, pa.string()))
    lengths = pc.binary_length(raw).to_numpy(zero_copy_only=False)
    ascii_ok = pc.string_is_ascii(raw).to_numpy(zero_copy_only=False)
    offsets = np.frombuffer(raw.buffers()[1], dtype=np.int32)[raw.offset : raw.offset + n + 1]
    offsets = offsets.astype(np.int64)
    data = (
        np.frombuffer(raw.buffers()[2], dtype=np.uint8)
        if raw.buffers()[2]
        else np.zeros(0, np.uint8)
    )
    data = np.concatenate([data, np.zeros(8, np.uint8)])  # so fixed-offset peeks never overrun
    first = data[offsets[:-1]]
    candidate = ascii_ok & (lengths >= 10) & ((first == ord("$")) | (first == ord("!")))
    # Checksums over the byte buffer: XOR-reduce each body, compare with its hex digits.
    idx = np.nonzero(candidate)[0]
    body_start = offsets[:-1][idx] + 1
    body_end = offsets[1:][idx] - 3
    ok = data[body_end] == ord("*")
    idx, body_start, body_end = idx[ok], body_start[ok], body_end[ok]
    bounds = np.empty(2 * len(idx), dtype=np.int64)
    bounds[0::2], bounds[1::2] = body_start, body_end
    xor = np.bitwise_xor.reduceat(data, bounds)[0::2] if len(bounds) else np.zeros(0, np.uint8)
    hi, lo = _HEX[data[body_end + 1]], _HEX[data[body_end + 2]]
    ok = (hi >= 0) & (lo >= 0) & (xor == hi * 16 + lo)
    idx, body_start, body_end = idx[ok], body_start[ok], body_end[ok]
    address = (
        (data[body_start + 2].astype(np.int64) << 16)
        | (data[body_start + 3].astype(np.int64) << 8)
        | data[body_start + 4]
    )
    talker = (data[body_start].astype(np.int64) << 8) | data[body_start + 1]
    comma = data[body_start + 5] == ord(",")
    is_nmea = data[body_start - 1] == ord("$")

    # 0 per line, 1 timeless, 2 dated, 3 time of day, 4 settled without observations (void,
    # unmapped or unknown sentences: counted in the report, the clock untouched)
    code = np.zeros(n, dtype=np.int8)
    full_time = np.full(n, np.nan)
    tod_time = np.full(n, np.nan)
    vessels, sources = _Names(), _Names()
    line_vessel = np.full(n, vessels.code(vessel), dtype=np.int32)
    line_source = np.full(n, -1, dtype=np.int32)
    chunks: list[_Chunk] = []
    accepted: list[tuple[str, np.ndarray]] = []

    def add_chunks(rows: np.ndarray, regular: np.ndarray, row_chunks) -> None:
        for pos, path, present, number, lat, lon, text in row_chunks:
            keep = regular & present
            which = rows[keep]
            chunks.append(
                _Chunk(
                    which,
                    np.full(len(which), pos, dtype=np.int64),
                    path if isinstance(path, str) else path[keep],
                    None if number is None else number[keep],
                    None if lat is None else lat[keep],
                    None if lon is None else lon[keep],
                    None if text is None else text[keep],
                )
            )

    # Talker sentences of the vectorised types, one batch per type.
    codes = {}
    for kind in VECTOR_KINDS:
        b = kind.encode()
        codes[(b[0] << 16) | (b[1] << 8) | b[2]] = kind
    # A five-character address (no comma inside it, or the per-line split reads another).
    plain = comma & (data[body_start] != ord("P"))
    for k in range(5):
        plain &= data[body_start + k] != ord(",")
    nmea = np.nonzero(is_nmea & plain)[0]
    bodies = None
    for value in np.unique(address[nmea]).tolist():
        kind = codes.get(value)
        if kind is None:
            name = bytes([value >> 16, (value >> 8) & 0xFF, value & 0xFF]).decode("ascii")
            if name in SENTENCES:
                continue  # a row evaluated per line (XDR)
            # Not in the table: counted as unmapped NMEA or refused as unknown, exactly
            # what the per-line decoder does, without visiting the lines one by one.
            rows = idx[nmea[address[nmea] == value]]
            code[rows] = 4
            if name in KNOWN_UNMAPPED:
                report.unmapped[name] += len(rows)
            else:
                for i in rows.tolist():
                    recorder.reject_at(i, reasons.UNKNOWN_SENTENCE, lines[i])
            continue
        member = nmea[address[nmea] == value]
        rows = idx[member]
        if bodies is None:
            bodies = pc.utf8_slice_codeunits(raw, 1, -3)
        split = pc.split_pattern(bodies.take(pa.array(rows)), ",")
        list_offsets = split.offsets.to_numpy()
        row = SENTENCES[kind]
        regular, void, time_info, row_chunks = _decode_kind(
            row, rows, split.values, list_offsets[:-1], np.diff(list_offsets)
        )
        code[rows[void]] = 4
        for i in rows[void].tolist():
            recorder.reject_at(i, reasons.VOID_FIX, lines[i])
        good = rows[regular]
        talkers, inverse = np.unique(talker[member][regular], return_inverse=True)
        names = np.array(
            [sources.code(f"{source}.{chr(t >> 8)}{chr(t & 0xFF)}") for t in talkers.tolist()],
            dtype=np.int32,
        )
        line_source[good] = names[inverse] if len(names) else names
        if time_info is None:
            code[good] = 1
        else:
            tod, midnight = time_info
            if midnight is None:
                code[good] = 3
                tod_time[good] = tod[regular]
            else:
                code[good] = 2
                full_time[good] = (midnight + tod)[regular]
        add_chunks(rows, regular, row_chunks)
        if row.time is not None and (row.time.ddmmyy is not None or row.time.ymd is not None):
            chunks.append(_Chunk(good, np.full(len(good), len(row.rules), dtype=np.int64), None))
        accepted.append((kind, good))

    # Single-sentence AIS position reports: `!AIVDM,1,1,,A,<28 chars>,0*hh`.
    vdm = (
        ~is_nmea
        & (address == ((ord("V") << 16) | (ord("D") << 8) | ord("M")))
        & (talker == ((ord("A") << 8) | ord("I")))
    )
    ais = np.nonzero(vdm)[0]
    if len(ais):
        prefix = np.stack([data[body_start[ais] + k] for k in range(5, 11)], axis=1)
        single = (prefix == np.frombuffer(b",1,1,,", np.uint8)).all(axis=1)
        channel = data[body_start[ais] + 11]
        tail = body_end[ais] - body_start[ais]
        shaped = single & ((channel == ord("A")) | (channel == ord("B"))) & (tail == 43)
        shaped &= data[body_start[ais] + 12] == ord(",")
        shaped &= (data[body_end[ais] - 2] == ord(",")) & (data[body_end[ais] - 1] == ord("0"))
        ais = ais[shaped]
    if len(ais):
        rows = idx[ais]
        regular, mmsi, row_chunks, kinds = _ais_columns(data, body_start[ais] + 13, source)
        good = rows[regular]
        code[good] = 1
        line_source[good] = sources.code(f"{source}.AI")
        line_vessel[good] = _urn_codes(vessels, mmsi[regular])
        add_chunks(rows, regular, row_chunks)
        for k in (1, 2, 3, 18, 24):
            accepted.append((f"VDM{k}", rows[regular & (kinds == k)]))

    # Two-sentence type 5 (static and voyage data), when every fragment in the file comes
    # in clean back-to-back pairs: then no fragment buffer state crosses a pair and taking
    # pairs out of the per-line stream cannot change what it reassembles or loses.
    pairs = _clean_fragment_pairs(lines, idx, data, body_start, body_end, is_nmea)
    if pairs:
        second = np.array([j for _, j, _ in pairs], dtype=np.int64)
        payload = np.frombuffer("".join(p for _, _, p in pairs).encode(), np.uint8).reshape(
            len(pairs), 71
        )
        bits = _armoured_bits(payload)
        kind = _bits(bits, 0, 6)
        regular = kind == 5
        mmsi, row_chunks = _ais5_columns(bits)
        firsts = np.array([i for i, _, _ in pairs], dtype=np.int64)[regular]
        good = second[regular]
        code[firsts] = 1
        code[good] = 1
        line_source[good] = sources.code(f"{source}.AI")
        line_vessel[good] = _urn_codes(vessels, mmsi[regular])
        add_chunks(second, regular, row_chunks)
        accepted.append(("VDM5", good))

    # The clock, in line order. Only dated and time-of-day sentences move it, so the loop
    # visits those and the per-line lines that might contain one; the rest read it after.
    time_kinds = tuple(f"{k}," for k, row in SENTENCES.items() if row.time is not None)
    slow = np.nonzero(code == 0)[0]
    moves: list[int] = []
    if len(slow):  # per-line lines that might carry a time: one regex over their column
        pattern = "|".join([*(re.escape(k) for k in time_kinds), _CLOCK_DATAGRAM])
        might = pc.match_substring_regex(raw.take(pa.array(slow)), pattern)
        moves = slow[might.to_numpy(zero_copy_only=False)].tolist()
    events = np.union1d(np.nonzero((code == 2) | (code == 3))[0], np.array(moves, dtype=np.int64))
    line_time = np.full(n, np.nan)
    line_src = np.full(n, -1, dtype=np.int8)
    slow_obs: dict[int, list[Observation]] = {}
    clock_at = np.full(len(events), np.nan)
    source_at = np.full(len(events), -1, dtype=np.int8)
    moving = np.isin(events, np.array(moves, dtype=np.int64))
    cuts = np.nonzero(moving)[0].tolist()
    last, last_source = start, start_code
    segment_start = 0
    for cut in [*cuts, len(events)]:
        if cut > segment_start:
            last, last_source = _run_clock(
                events,
                segment_start,
                cut,
                last,
                last_source,
                code,
                full_time,
                tod_time,
                line_time,
                clock_at,
                line_src,
                source_at,
                decoder,
                recorder,
                lines,
                slow_obs,
            )
        if cut < len(events):
            i = int(events[cut])
            code[i] = 0
            decoder.clock.last = last
            decoder.clock.source = _source_name(last_source)
            recorder.at = i
            slow_obs[i] = decoder.feed(lines[i])
            last = decoder.clock.last
            last_source = _source_code(decoder.clock.source)
            if last is not None:
                clock_at[cut] = last
                source_at[cut] = last_source
        segment_start = cut + 1
    rest = np.setdiff1d(np.nonzero(code != 2)[0], events, assume_unique=True)
    before = np.searchsorted(events, rest) - 1
    # Before the first event the clock is the start instant, if the caller gave one.
    if len(events):
        clock = np.where(
            before >= 0, clock_at[np.maximum(before, 0)], np.nan if start is None else start
        )
        clock_source = np.where(before >= 0, source_at[np.maximum(before, 0)], start_code)
    else:
        clock = np.full(len(rest), np.nan if start is None else start)
        clock_source = np.full(len(rest), start_code)
    line_time[rest] = clock
    line_src[rest] = clock_source
    untimed = rest[(code[rest] == 1) & np.isnan(clock)]
    code[untimed] = 0  # sentences before any time in the file: the decoder refuses them
    later = rest[code[rest] == 0]
    clock_later = np.where(np.isnan(line_time[later]), None, line_time[later]).tolist()
    # Per-line lines, in order, with the clock as it stood at each of them.
    # `$` lines whose checksum was verified above skip framing and checksum the second time.
    feed, clock, names = decoder.feed, decoder.clock, (*TIME_SOURCES, None)  # -1: None
    checked = decoder.feed_verified
    verified = np.zeros(n, dtype=bool)
    verified[idx[is_nmea]] = True
    for i, t, s, ok in zip(
        later.tolist(),
        clock_later,
        line_src[later].tolist(),
        verified[later].tolist(),
        strict=True,
    ):
        clock.last, clock.source, recorder.at = t, names[s], i
        line = lines[i]
        if ok:
            text = line.rstrip()  # as the per-line decoder frames it; Arrow trimmed alike
            out = checked(text[1:-3].split(","), line) if text[-3:-2] == "*" else feed(line)
        else:
            out = feed(line)
        if out:
            slow_obs[i] = out
    fast = code != 0
    report.lines += int(fast.sum())
    for kind, good in accepted:
        count = int(fast[good].sum())
        if count:
            report.accepted[kind] += count
    recorder.replay_into(report)
    return _assemble(
        chunks,
        fast,
        line_time,
        line_src,
        line_vessel,
        line_source,
        slow_obs,
        vessels,
        sources,
        report,
    )


class _Recorder(IngestReport):
    """Collects the per-line decoder's refusals with their line numbers.

    Lines that move the clock are decoded before the others, so refusals arrive out of
    order; replaying them sorted keeps the examples identical to the per-line decoder's.
    """

    def __init__(self) -> None:
        super().__init__(max_examples=0)
        self.at = 0
        self.refusals: list[tuple[int, int, str, str]] = []

    def reject(self, reason: str, line: str | bytes) -> None:
        self.refusals.append((self.at, len(self.refusals), reason, line))

    def reject_at(self, at: int, reason: str, line: str | bytes) -> None:
        """A refusal the batch decided itself for line ``at`` (counted as a line too)."""
        self.refusals.append((at, len(self.refusals), reason, line))

    def replay_into(self, report: IngestReport) -> None:
        report.lines += self.lines
        report.observations += self.observations
        report.accepted.update(self.accepted)
        report.unmapped.update(self.unmapped)
        report.rejected.update(self.rejected)
        report.dated.update(self.dated)
        for _, _, reason, line in sorted(self.refusals):
            report.reject(reason, line)


def _datetimes(times: np.ndarray) -> np.ndarray:
    """``iso_time`` for a column: round to ms half-to-even, as Python's ``round``."""
    millis = np.round(times * 1000.0).astype(np.int64)
    text = np.datetime_as_string(millis.astype("datetime64[ms]"), unit="ms")
    return np.char.add(text, "Z").astype(object)


def _assemble(
    chunks,
    fast,
    line_time,
    line_src,
    line_vessel,
    line_source,
    slow_obs,
    vessels,
    sources,
    report,
):
    """Scatter every chunk straight into its final row (line order, then field order)."""
    kept = []
    for chunk in chunks:
        keep = fast[chunk.lines]
        kept.append((chunk, keep, chunk.lines[keep]))
    flat = [(i, p, o) for i, obs in slow_obs.items() for p, o in enumerate(obs)]
    keys = [which * 64 + chunk.pos[keep] for chunk, keep, which in kept]
    keys.append(np.array([i * 64 + p for i, p, _ in flat], dtype=np.int64))
    keys = np.concatenate(keys)
    n = len(keys)
    destination = np.empty(n, dtype=np.int64)
    destination[np.argsort(keys, kind="stable")] = np.arange(n)
    paths = _Names()
    out = ObservationColumns(n, vessels.names, paths.names, sources.names)
    # What comes from the line (time, its rule, vessel, source): one gather for all chunks.
    dated = np.zeros(len(TIME_SOURCES), dtype=np.int64)
    if kept:
        every = np.concatenate([which for _, _, which in kept])
        dest = destination[: len(every)]
        out.time[dest] = line_time[every]
        rule = line_src[every]
        out.time_source[dest] = rule
        dated += np.bincount(rule[rule >= 0], minlength=len(TIME_SOURCES))
        out.vessel[dest] = line_vessel[every]
        out.source[dest] = line_source[every]
    start = 0
    for chunk, keep, which in kept:
        k = len(which)
        dest = destination[start : start + k]
        start += k
        if chunk.path is None:  # navigation.datetime from the resolved time
            out.path[dest] = paths.code("navigation.datetime")
            out.text[dest] = _datetimes(line_time[which])
            continue
        if isinstance(chunk.path, str):
            out.path[dest] = paths.code(chunk.path)
        else:
            choice = chunk.path[keep]
            codes = np.array([paths.code(t) for t in choice.targets], dtype=np.int32)
            out.path[dest] = codes[choice.which]
        if chunk.number is not None:
            out.number[dest] = chunk.number[keep]
        if chunk.lat is not None:
            out.latitude[dest] = chunk.lat[keep]
            out.longitude[dest] = chunk.lon[keep]
        if chunk.text is not None:
            out.text[dest] = chunk.text[keep]
    report.observations += start
    for k, count in enumerate(dated.tolist()):
        if count:
            report.dated[TIME_SOURCES[k]] += count
    if flat:
        dest = destination[start:]
        obs = [o for _, _, o in flat]
        out.time[dest] = [o.time for o in obs]
        rules = _RULE_CODE
        out.time_source[dest] = [rules[o.time_source] for o in obs]
        out.vessel[dest] = vessels.codes_of_list([o.vessel for o in obs])
        out.path[dest] = paths.codes_of_list([o.path for o in obs])
        out.source[dest] = sources.codes_of_list([o.source for o in obs])
        values = [o.value for o in obs]
        number = np.array([type(v) is float for v in values], dtype=bool)
        if number.all():
            out.number[dest] = values
        else:
            boxed = np.empty(len(values), dtype=object)
            boxed[:] = values
            out.number[dest[number]] = boxed[number].astype(float)
            out.text[dest[~number]] = boxed[~number]
    return out
