"""The NMEA 2000 decoder: lines or CAN frames in, Signal K observations out, never raising.

Same interface as the NMEA 0183 :class:`isomer_data.ingest.decode.Decoder`: one instance
per stream, :meth:`Decoder.feed` takes a raw line (any format of
:mod:`isomer_data.ingest.n2k.formats`) or a python-can ``Message`` with the time it was
received, and returns a list of :class:`~isomer_data.ingest.observation.Observation`;
refusals are counted in :attr:`Decoder.report`. Stages: line format, fast-packet
reassembly (:class:`FastPackets`), payload decoding by canboat's PGN database (SI units),
then the PGN → path table of :mod:`isomer_data.ingest.n2k.mapping`. The decoding and the
table's plain rows run as one reader per PGN generated from the database
(:mod:`isomer_data.ingest.n2k.compiled`, held to the codec's answers by its tests); PGNs
with text or lists, and payloads shorter than a reader needs, go through the ``nmea2000``
package's compiled codec.

Source labels are ``"<source>.<address>"`` (Signal K's ``<connection>.<src>``), so two
GPSs at addresses 3 and 5 keep apart as ``n2k.3`` and ``n2k.5``.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from isomer_data.ingest import report as reasons
from isomer_data.ingest.clock import GPS, LOGGER, MTIME, RECEIVE_TIME, TIME_SOURCES
from isomer_data.ingest.n2k import compiled, formats
from isomer_data.ingest.n2k.formats import FormatError, Raw
from isomer_data.ingest.n2k.mapping import (
    AIS_PGNS,
    COMPILED,
    IMMUTABLE,
    LAST_CALCULATION,
    MAPPING,
    apply,
)
from isomer_data.ingest.observation import SELF, Observation, mmsi_urn
from isomer_data.ingest.report import IngestReport

# Reason codes of this decoder (IngestReport keys, like those of isomer_data.ingest.report).
NOT_N2K = formats.NOT_N2K
MALFORMED = formats.MALFORMED
UNKNOWN_PGN = reasons.N2K_UNKNOWN_PGN
FAST_PACKET_LOST = reasons.N2K_FAST_PACKET_LOST
DECODE_ERROR = reasons.N2K_DECODE_ERROR
NO_TIME = reasons.NO_TIME

DAY = 86400.0
HALF_DAY = 43200.0
MEMO_SIZE = 1024  # (PGN, source) whose last payload is kept (see Decoder.message)
# PGNs whose pairs hang on the payload alone (not on the stream's state, as 129283's do)
# and hold no mutable value (numbers, text, booleans only): kept with their payload.
PLAIN_PAIRS = frozenset(
    pgn
    for pgn, rules in MAPPING.items()
    if pgn != 129283 and all(rule.kind in IMMUTABLE for rule in rules)
)
DATED_PGNS = frozenset({126992, 129029, 129033})


def _field(id, name, description, unit, value, raw, q=None, t=None, k=None, *rest):  # noqa: A002
    """What the codec builds per field: ``(id, (value, raw))``, nothing else kept.

    The codec passes nine arguments: naming them all spares packing a tuple per field.
    """
    return id, (value, raw)


def _message(*, fields: list, **kwargs: Any) -> dict:
    return dict(fields)


@cache
def _codec():
    """canboat's compiled codec in SI units, building plain tuples (imported on first use)."""
    from nmea2000 import _canboat, backend

    return _canboat.MessageCodec(
        lambda pgn_id: backend._template(pgn_id, "si"), _field, _message, "si"
    )


@cache
def packet_type(pgn: int) -> str | None:
    """``"Single"``, ``"Fast"``, ``"ISO"`` or ``"Mixed"`` from canboat's database; None if unknown."""
    from nmea2000 import backend

    variants = backend.DATABASE.pgn_variants(pgn)
    return variants[0].packet_type if variants else None


@cache
def one_frame_length(pgn: int) -> int | None:
    """The payload length of a PGN whose whole fixed layout fits a fast packet's frame 0.

    None when it does not (more than 6 bytes, a repeating set, a field of variable length).
    """
    from nmea2000 import backend

    variants = backend.DATABASE.pgn_variants(pgn)
    if len(variants) != 1 or variants[0].repeating_sets:
        return None
    info = variants[0]
    if any(f.bit_offset is None or not f.bit_length for f in info.fields):
        return None
    size = compiled._layout_bytes(info)
    return size if size <= 6 else None


def fields_of(pgn: int, data: bytes, src: int = 0, dst: int = 255, prio: int = 6) -> dict:
    """Decode one complete payload: field id → (value in SI or label, raw wire value).

    A repeating set comes under ``"##list##"`` as a list of dicts of field id →
    ``(id, (value, raw))``.
    """
    return _codec().decode(pgn, data, src, dst, prio)


class FastPackets:
    """Joins fast-packet frames into payloads, per (source, PGN, sequence counter).

    A frame 0 carries the payload length and 6 bytes, each next frame 7 more. Frames out
    of order, a new frame 0 for a packet not finished, or too many packets in progress
    lose the packet: counted, never raised. ``max_pending`` bounds memory whatever a
    sender puts on the bus.
    """

    def __init__(self, max_pending: int = 256) -> None:
        self.max_pending = max_pending
        self.pending: dict[tuple[int, int, int], tuple[int, int, bytearray]] = {}
        self.lost = 0

    def expects(self, pgn: int, src: int, header: int) -> bool:
        """Whether a frame with this first byte continues a packet in progress."""
        got = self.pending.get((src, pgn, header >> 5))
        return got is not None and got[1] == header & 0x1F

    def push(self, pgn: int, src: int, data: bytes) -> bytes | None:
        if not data:
            self.lost += 1
            return None
        counter, index = data[0] >> 5, data[0] & 0x1F
        key = (src, pgn, counter)
        if index == 0:
            if len(data) < 2:
                self.lost += 1
                return None
            if key in self.pending:
                self.lost += 1  # the previous packet of this counter never finished
                del self.pending[key]
            size = data[1]
            buf = bytearray(data[2:8])
            if len(buf) >= size:
                return bytes(buf[:size])
            if len(self.pending) >= self.max_pending:
                self.pending.pop(next(iter(self.pending)))
                self.lost += 1
            self.pending[key] = (size, 1, buf)
            return None
        got = self.pending.get(key)
        if got is None or got[1] != index:
            if got is not None:
                del self.pending[key]
            self.lost += 1
            return None
        size, _, buf = got
        buf += data[1:8]
        if len(buf) >= size:
            del self.pending[key]
            return bytes(buf[:size])
        self.pending[key] = (size, index + 1, buf)
        return None


class Decoder:
    """Stateful NMEA 2000 decoder for one stream.

    Parameters
    ----------
    vessel : str
        Context of own-vessel data; AIS PGNs go to ``urn:mrn:imo:mmsi:NNN``.
    source : str
        Source label prefix (file stem, connection name); observations carry
        ``"<source>.<src address>"``.
    report : IngestReport, optional
        Pass one to accumulate several streams.
    base_time : float, optional
        POSIX seconds used to date lines that carry only a time of day (or none) until a
        PGN with a date (126992, 129029, 129033) arrives: the file's modification time
        for a log, the receive time for a live line.
    base_source : str
        The rule that found ``base_time`` (``clock.TIME_SOURCES``), ``"mtime"`` unless
        told. Each observation keeps the rule that dated it (``time_source``): the
        logger's full time stamp ``"logger"``, a time of day dated by a dated PGN
        ``"gps"``, else by ``base_time`` (its rule) or by the receive time
        (``"receive-time"``, also for CAN frames received live).
    max_pending : int
        Bound on fast packets in progress.
    """

    def __init__(
        self,
        vessel: str = SELF,
        source: str = "n2k",
        report: IngestReport | None = None,
        base_time: float | None = None,
        max_pending: int = 256,
        base_source: str = MTIME,
    ) -> None:
        self.vessel = vessel
        self.source = source
        self.report = report if report is not None else IngestReport()
        self.base_time = base_time
        self.base_source = base_source
        self._day_source: str | None = None  # the rule that gave _day
        self._time_source: str | None = None  # the rule that dated the current line
        self.fast = FastPackets(max_pending)
        self._labels: dict[int, str] = {}
        self._day: float | None = None  # UTC midnight for times of day
        self._last_tod: float | None = None
        self._first_day: float | None = None  # the day guessed for the first time of day
        self.correction: float | None = None  # first dated PGN's day minus the guessed one
        # the parser of the log's format, when known (file ingest): skips telling lines apart
        self.parser = None
        self._decode = _codec().decode
        self._memo: dict[tuple[int, int], list] = {}  # (PGN, src) → [payload, fields, pairs]
        self.use_readers = True  # the per-PGN readers of compiled.py before canboat's codec
        self._calculation: str | None = None

    # -- input -------------------------------------------------------------------------

    def feed(self, line: Any, received: float | None = None) -> list[Observation]:
        """Decode one line (str or bytes) or one python-can ``Message``."""
        report = self.report
        report.lines += 1
        if type(line) is not str and hasattr(line, "arbitration_id"):  # a python-can Message
            if (
                not line.is_extended_id
                or line.is_error_frame
                or line.is_remote_frame
                or len(line.data) > 8  # CAN FD frames are not NMEA 2000
            ):
                report.reject(MALFORMED, f"CAN id {line.arbitration_id:x}")
                return []
            prio, pgn, src, dst = formats.split_can_id(line.arbitration_id)
            when = received if received is not None else (line.timestamp or None)
            raw = Raw(True, when, None, prio, pgn, src, dst, bytes(line.data))
            text = f"{line.arbitration_id:08X}#{bytes(line.data).hex()}"
            return self._raw(raw, received, text, RECEIVE_TIME)
        if type(line) is not str:
            try:
                line = line.decode("ascii")
            except UnicodeDecodeError:
                report.reject(NOT_N2K, line)
                return []
        text = line.strip()
        if not text or text[0] == "#":
            report.lines -= 1  # blank lines and comments are not data
            return []
        try:
            if self.parser is not None:
                raw = self.parser(text)
            else:
                kind = formats.kind_of(text)
                if kind is None:
                    raise FormatError(NOT_N2K)
                raw = formats.PARSERS[kind](text)
                self.parser = formats.PARSERS[kind]  # the next lines are likely the same
        except FormatError as error:
            if self.parser is None:
                report.reject(error.reason, line)
                return []
            try:  # a line of another format in a log (or a bad one): the general way
                raw = formats.parse(text)
            except FormatError as error:
                report.reject(error.reason, line)
                return []
        return self._raw(raw, received, line)

    def _raw(
        self, raw: Raw, received: float | None, line: str, stamp: str = LOGGER
    ) -> list[Observation]:
        """One line or frame; ``stamp`` is the rule of a full time it carries."""
        report = self.report
        kind = packet_type(raw.pgn)
        if kind is None:
            report.reject(UNKNOWN_PGN, line)
            return []
        data = raw.data
        if kind == "Fast" and (raw.frame or self._looks_like_frame(raw.pgn, raw.src, data)):
            lost = self.fast.lost
            data = self.fast.push(raw.pgn, raw.src, data)
            if self.fast.lost > lost:
                report.rejected[FAST_PACKET_LOST] += self.fast.lost - lost
            if data is None:
                return []
        elif raw.frame and len(data) == 0:
            report.reject(MALFORMED, line)
            return []
        time = raw.time
        if time is not None:  # the line's own full time stamp: _time's first case, inline
            self._time_source = stamp
        else:
            time = self._time(raw, received, stamp)
            if time is None:
                report.reject(NO_TIME, line)
                return []
        return self.message(
            raw.pgn, raw.src, raw.dst, raw.prio, data, time, line, self._time_source
        )

    def _looks_like_frame(self, pgn: int, src: int, data: bytes) -> bool:
        # canboat plain text holds complete payloads, except where a tool logged the CAN
        # frames of a fast packet as they were: 8 bytes that start a fast packet (frame 0
        # announcing more than 6 bytes) or continue the one in progress. A fast PGN whose
        # payload fits frame 0 (127507's 6 bytes) is a frame when frame 0 announces that
        # length and pads the rest: canboat's own tools write such a payload as it is.
        if len(data) != 8:
            return False
        if data[0] & 0x1F == 0:
            size = data[1]
            if 6 < size <= formats.MAX_PAYLOAD:
                return True
            return size == one_frame_length(pgn) and data[2 + size :] == b"\xff" * (6 - size)
        return self.fast.expects(pgn, src, data[0])

    # -- time ------------------------------------------------------------------------

    def _time(self, raw: Raw, received: float | None, stamp: str = LOGGER) -> float | None:
        """The line's time; sets ``_time_source`` to the rule that dated it."""
        if raw.time is not None:
            self._time_source = stamp
            return raw.time
        if received is not None:
            hint, rule = received, RECEIVE_TIME
        else:
            hint, rule = self.base_time, self.base_source
        if raw.tod is None:
            self._time_source = rule
            return hint
        tod = raw.tod
        if self._day is None:
            if hint is None:
                return None
            day = (hint // DAY) * DAY
            # the day that puts this time of day nearest the hint
            candidates = (day - DAY + tod, day + tod, day + DAY + tod)
            best = min(candidates, key=lambda t: abs(t - hint))
            self._day = self._first_day = best - tod
            self._day_source = rule
        elif self._last_tod is not None and tod < self._last_tod - HALF_DAY:
            self._day += DAY  # midnight passed
        elif self._last_tod is not None and tod > self._last_tod + HALF_DAY:
            self._day -= DAY  # a line from just before midnight, after one past it
        self._last_tod = tod
        self._time_source = self._day_source
        return self._day + tod

    def _anchor(self, pgn: int, fields: dict, time: float) -> None:
        """A dated PGN fixes the day for the times of day that follow it."""
        date, tod = fields.get("date"), fields.get("time")
        if date is None or tod is None or date[1] is None or tod[1] is None:
            return
        day = float(date[1]) * DAY
        if self.correction is None:
            # how far the guess from base_time was off: also true for the lines before
            self.correction = 0.0 if self._day is None else day - self._day
        self._day = day
        self._day_source = GPS
        self._last_tod = float(tod[1])

    # -- decoding --------------------------------------------------------------------

    def message(
        self,
        pgn: int,
        src: int,
        dst: int,
        prio: int,
        data: bytes,
        time: float,
        line: Any = "",
        time_source: str | None = None,
    ) -> list[Observation]:
        """Decode and map one complete PGN payload; ``time_source`` is the rule of ``time``."""
        report = self.report
        rules = COMPILED.get(pgn)
        if rules is None:
            report.unmapped[f"PGN{pgn}"] += 1
            return []
        # The fields of a payload depend on the PGN and its bytes only, and a sender often
        # repeats a payload unchanged (a steady heading, a tank level, an engine at rest):
        # the last payload of each (PGN, source) is kept with its fields (never mutated:
        # 129283 gets a copy) and, when they hang on the payload alone, its pairs. One
        # entry per sender and PGN: a miss costs a comparison, and nothing piles up.
        memo = self._memo
        key = (pgn, src)
        got = memo.get(key)
        pairs = None
        if got is not None and got[0] == data:
            fields = got[1]
            pairs = got[2]
        else:
            try:
                # the PGN's reader compiled from the database (compiled.py) gives fields and
                # pairs at once; canboat's codec decodes the rest (and payloads too short)
                read = _READERS.get(pgn, _UNKNOWN) if self.use_readers else None
                if read is _UNKNOWN:
                    read = _READERS[pgn] = compiled.reader(pgn)
                done = None if read is None else read(data)
                if done is None:
                    fields = self._decode(pgn, data, src, dst, prio)
                else:
                    fields, pairs = done
            except Exception:  # canboat's DecodeError and anything a corrupt payload provokes
                report.reject(DECODE_ERROR, line)
                return []
            plain = pairs if pgn in PLAIN_PAIRS else None
            if got is None:
                if len(memo) >= MEMO_SIZE:
                    memo.clear()
                memo[key] = got = [data, fields, plain]
            else:
                got[0], got[1], got[2] = data, fields, plain
        if pgn in DATED_PGNS:
            self._anchor(pgn, fields, time)
        if pgn == 129284:
            calc = fields.get("calculationType")
            if calc is not None and calc[0] is not None:
                self._calculation = "GreatCircle" if calc[0] == "Great Circle" else "Rhumbline"
        elif pgn == 129283 and self._calculation is not None:
            fields = dict(fields)
            fields[LAST_CALCULATION] = (self._calculation, self._calculation)
        vessel = self.vessel
        if pgn in AIS_PGNS:
            mmsi = fields.get("userId")
            if mmsi is None or not isinstance(mmsi[1], int) or not 0 < mmsi[1] < 1_000_000_000:
                report.reject(MALFORMED, line)
                return []
            vessel = mmsi_urn(mmsi[1])
        source = self._labels.get(src)
        if source is None:
            source = self._labels[src] = f"{self.source}.{src}"
        if pairs is None:
            pairs = apply(rules, fields)
            if pgn in PLAIN_PAIRS:
                got[2] = pairs
        name = _PGN_NAMES.get(pgn)
        if name is None:
            name = _PGN_NAMES[pgn] = f"PGN{pgn}"
        report.accepted[name] += 1
        report.observations += len(pairs)
        if pairs and time_source is not None:
            report.dated[time_source] += len(pairs)
        return self._out(time, vessel, source, pairs, time_source)

    def _out(
        self, time: float, vessel: str, source: str, pairs: list, rule: str | None = None
    ) -> list[Observation]:
        return [Observation(time, vessel, path, value, source, rule) for path, value in pairs]


_PGN_NAMES: dict[int, str] = {}
_READERS: dict[int, Any] = {}  # PGN → its compiled reader, or None (the codec decodes)
_UNKNOWN = object()


class ColumnDecoder(Decoder):
    """A :class:`Decoder` that appends to columns instead of building Observations (files)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[tuple] = []
        self._vessels: dict[str, int] = {}
        self._paths: dict[str, int] = {}
        self._sources: dict[str, int] = {}

    def look_ahead(self, lines, limit: int = 100_000) -> None:
        """Date the times of day before the first dated PGN by that PGN, not by base_time.

        A throwaway decoder reads up to the first 126992/129029/129033 (within ``limit``
        lines); how far its base_time guess was off moves this decoder's first day.
        """
        probe = Decoder(base_time=self.base_time, report=IngestReport())
        for n, line in enumerate(lines):
            probe.feed(line)
            if probe.correction is not None or n >= limit:
                break
        if probe.correction is not None and probe._first_day is not None:
            self._day = self._first_day = probe._first_day + probe.correction
            self._day_source = GPS  # the first dated PGN dates the times of day before it

    def _out(
        self, time: float, vessel: str, source: str, pairs: list, rule: str | None = None
    ) -> list[Observation]:
        r = _RULE_CODE[rule]
        v = self._vessels.get(vessel)
        if v is None:
            v = self._vessels[vessel] = len(self._vessels)
        s = self._sources.get(source)
        if s is None:
            s = self._sources[source] = len(self._sources)
        paths, append = self._paths, self.rows.append
        for path, value in pairs:
            p = paths.get(path)
            if p is None:
                p = paths[path] = len(paths)
            append((time, v, p, s, value, r))
        return _NOTHING

    def columns(self):
        """What was decoded, as :class:`~isomer_data.ingest.fastpath.ObservationColumns`."""
        from isomer_data.ingest.fastpath import ObservationColumns

        rows = self.rows
        cols = ObservationColumns(
            len(rows), list(self._vessels), list(self._paths), list(self._sources)
        )
        if not rows:
            return cols
        time, vessel, path, source, values, rules = zip(*rows, strict=True)
        cols.time[:] = time
        cols.time_source[:] = rules
        cols.vessel[:] = vessel
        cols.path[:] = path
        cols.source[:] = source
        nan = math.nan
        number, latitude, longitude, text = [], [], [], []
        for value in values:
            if type(value) is float:
                number.append(value)
                latitude.append(nan)
                longitude.append(nan)
                text.append(None)
            elif type(value) is dict and len(value) == 2 and "latitude" in value:
                number.append(nan)
                latitude.append(value["latitude"])
                longitude.append(value["longitude"])
                text.append(None)
            else:
                number.append(nan)
                latitude.append(nan)
                longitude.append(nan)
                text.append(value)
        cols.number[:] = number
        cols.latitude[:] = latitude
        cols.longitude[:] = longitude
        cols.text[:] = text
        return cols


_NOTHING: list[Observation] = []
_RULE_CODE = {None: -1, **{name: k for k, name in enumerate(TIME_SOURCES)}}


def decode_lines(
    lines, *, vessel: str = SELF, source: str = "n2k", report=None, base_time=None
) -> list[Observation]:
    """A whole log through one :class:`Decoder`."""
    decoder = Decoder(vessel=vessel, source=source, report=report, base_time=base_time)
    out: list[Observation] = []
    feed = decoder.feed
    for line in lines:
        out.extend(feed(line))
    return out


def decode_batch(lines, *, vessel: str = SELF, source: str = "n2k", report=None, base_time=None):
    """A whole log as :class:`~isomer_data.ingest.fastpath.ObservationColumns` (file ingest)."""
    decoder = ColumnDecoder(vessel=vessel, source=source, report=report, base_time=base_time)
    kind = formats.sniff(lines[:50])
    decoder.parser = formats.PARSERS.get(kind) if kind else None
    decoder.look_ahead(lines)
    feed = decoder.feed
    for line in lines:
        feed(line)
    return decoder.columns()


def to_columns(observations: list[Observation]):
    """Observations as the columns the file pipeline stores."""
    from isomer_data.ingest.fastpath import ObservationColumns

    vessels: dict[str, int] = {}
    paths: dict[str, int] = {}
    sources: dict[str, int] = {}
    cols = ObservationColumns(len(observations), [], [], [])
    for i, o in enumerate(observations):
        cols.time[i] = o.time
        cols.vessel[i] = vessels.setdefault(o.vessel, len(vessels))
        cols.path[i] = paths.setdefault(o.path, len(paths))
        cols.source[i] = sources.setdefault(o.source, len(sources))
        value = o.value
        if type(value) is float or type(value) is int:
            cols.number[i] = value
        elif type(value) is dict and value.keys() == {"latitude", "longitude"}:
            cols.latitude[i] = value["latitude"]
            cols.longitude[i] = value["longitude"]
        else:
            cols.text[i] = value
    cols.vessels, cols.paths, cols.sources = list(vessels), list(paths), list(sources)
    return cols
