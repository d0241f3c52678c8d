"""Where a log's clock starts: the date for the times of day before its first date.

Many logs carry times of day (GGA, GLL, ZDA with empty date fields) long before — or
without ever — a date (RMC, ZDA): instrument buses without a GPS, loggers that strip RMC,
old logs. Rather than refuse those sentences, a file is scanned once before decoding for
the instant its first time of day stands for, by the first of these rules that applies:

1. ``given`` — the user said when the log starts (``isomer ingest --start``) or on which
   date (``--date``: the first time of day falls on that date);
2. ``file-date`` — a date later in the same file (RMC/ZDA, a Seatalk GPS's date and time
   datagrams 56 + 54 in ``$STALK``/``$PSMDST``, or a logger's full time stamp) is walked
   back over the times of day before it, each resolved to the instant with that time of
   day nearest the one after it (within ±12 h): walking backwards, a time of day that
   jumps up across midnight means the previous day, while the small disorder between two
   talkers' clocks does not;
3. ``mtime`` — the file's modification time is taken as the log's end: the last time of
   day is put on the latest instant not after it (one hour of slack for a computer clock
   behind GPS time), then walked back the same way; an mtime before GPS time began
   (1980-01-06, e.g. 0 from an archive without times) or after the ingest is not used;
4. ``ingest-time`` — the same with the time of the ingest.

The decoders (:class:`~isomer_data.ingest.decode.Decoder`, the batch decoder) start their
clock at that instant, so going forward they reproduce the walk exactly (nearest within
±12 h is symmetric), and the first RMC/ZDA (or Seatalk date + time) takes over from there
as always. Sentences with no time at all before the first time of day take the start
instant. When the file has no time of day before its first date, no rule is needed and
the first date is the start.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from isomer_data.ingest.clock import (
    DAY,
    FILE_DATE,
    GIVEN,
    INGEST_TIME,
    MTIME,
    nearest_time_of_day,
    parse_ddmmyy,
    parse_time_of_day,
    ymd,
)
from isomer_data.ingest.framing import FramingError, checksum, frame_line
from isomer_data.ingest.normalize import NotMapped, Sentence, Stream
from isomer_data.ingest.sentences import SENTENCES

# A log's clock may be behind GPS time by this much and its mtime still date the last line.
END_SLACK = 3600.0
GPS_EPOCH = 315964800.0  # 1980-01-06T00:00:00Z: no log of GPS times of day is older

_TIME_ROWS = {kind: row for kind, row in SENTENCES.items() if row.time is not None}
# Rows that complete a date and time over several sentences (Seatalk 56 + 54).
_CLOCK_ROWS = {kind: row for kind, row in SENTENCES.items() if row.clock}
_NEEDLES = (*(f"{kind}," for kind in _TIME_ROWS), *(f"{kind}," for kind in _CLOCK_ROWS))


def _sentence(line: str) -> tuple[list[str], float | None] | None:
    """Split fields of a valid sentence of a type with a time, and the wrapper's full time."""
    hint = None
    line = line.strip()
    if line[:1] not in ("$", "!"):
        try:
            frame = frame_line(line)
        except FramingError:
            return None
        if frame is None:
            return None
        line, hint = frame.sentence.strip(), frame.time
    if line[:1] != "$":
        return None
    star = line.rfind("*")
    if star < 0 or len(line) - star != 3:
        return None
    body = line[1:star]
    try:
        if checksum(body) != int(line[star + 1 :], 16):
            return None
    except ValueError:
        return None
    return body.split(","), hint


def _fix(row: Sentence, fields: list[str], stream: Stream) -> float | None:
    """The full instant a row like Seatalk's completes with this sentence, if any."""
    stream.fix = None
    try:
        row.interpret(fields, stream)
    except (ValueError, IndexError, ArithmeticError, NotMapped):
        return None  # the decoder refuses it or maps nothing: the clock stays
    return stream.fix


def _event(line: str, stream: Stream) -> tuple[float | None, float | None] | None:
    """``(time of day, full instant)`` a line gives the decoder's clock, or None.

    Mirrors what moves :class:`~isomer_data.ingest.decode.Decoder`'s clock: a known
    sentence with a valid status and time of day; the instant is set when the sentence
    carries its date, completes one (Seatalk 56 + 54, whose halves ``stream`` keeps as
    the decoder's does) or the logger's wrapper carries a full time.
    """
    framed = _sentence(line)
    if framed is None:
        return None
    parts, hint = framed
    address = parts[0]
    kind = address if address[:1] == "P" else address[2:]
    row = _TIME_ROWS.get(kind)
    if row is None:
        clocked = _CLOCK_ROWS.get(kind)
        if clocked is not None:
            instant = _fix(clocked, parts[1:], stream)
            if instant is not None:
                return None, instant
        if hint is not None and address[2:] in SENTENCES:
            return None, hint  # a timeless sentence with the logger's time
        return None
    fields = parts[1:]
    if row.status is not None:
        index, letters = row.status
        if index >= len(fields) or not fields[index] or fields[index] not in letters:
            return None
    when = row.time
    if when.tod >= len(fields) or not fields[when.tod]:
        return (None, hint) if hint is not None else None
    try:
        tod = parse_time_of_day(fields[when.tod])
        if when.ddmmyy is not None:
            if when.ddmmyy < len(fields) and fields[when.ddmmyy]:
                return tod, parse_ddmmyy(fields[when.ddmmyy]) + tod
        elif when.ymd is not None:
            y, m, d = when.ymd
            if max(when.ymd) < len(fields) and fields[y] and fields[m] and fields[d]:
                return tod, ymd(fields[y], fields[m], fields[d]) + tod
    except ValueError:
        return None
    return tod, None if hint is None else nearest_time_of_day(tod, hint)


def scan(lines: Iterable[str]) -> tuple[list[float], float | None]:
    """The times of day before the first full instant in ``lines``, and that instant."""
    times: list[float] = []
    stream = Stream()
    for line in lines:
        if line[:1] == "$" and not any(needle in line for needle in _NEEDLES):
            continue
        event = _event(line, stream)
        if event is None:
            continue
        tod, instant = event
        if instant is not None:
            return times, instant
        times.append(tod)
    return times, None


def _walk_back(times: list[float], instant: float) -> float:
    for tod in reversed(times):
        instant = nearest_time_of_day(tod, instant)
    return instant


def _last_before(tod: float, end: float) -> float:
    """The latest instant with this time of day not after ``end``."""
    value = math.floor(end / DAY) * DAY + tod
    return value - DAY if value > end else value


def log_start(
    lines: Iterable[str],
    *,
    date: float | None = None,
    start: float | None = None,
    mtime: float | None = None,
    now: float | None = None,
) -> tuple[float | None, str | None]:
    """The instant a log's clock starts from, and the rule that found it.

    Parameters
    ----------
    lines : iterable of str
        The log's lines (any framing the decoder knows).
    date : float, optional
        POSIX seconds of the midnight (UTC) of the day the log starts (``--date``).
    start : float, optional
        POSIX seconds of the log's start (``--start``); wins over ``date``.
    mtime : float, optional
        The file's modification time, taken as the log's end.
    now : float, optional
        The time of the ingest, the last resort.

    Returns
    -------
    (float or None, str or None)
        ``(None, None)`` only when no rule applies (nothing given and no date in the file).

    Examples
    --------
    >>> from isomer_data.samples.voyage import with_checksum
    >>> lines = [with_checksum("GPGGA,235959,5048.0,N,00118.0,W,1,9,0.9,,M,,M,,"),
    ...          with_checksum("GPRMC,000001,A,5048.0,N,00118.0,W,6.0,135.0,020524,,")]
    >>> log_start(lines)  # the GGA was on the day before the RMC's date
    (1714607999.0, 'file-date')
    """
    if mtime is not None and not (
        GPS_EPOCH <= mtime <= (math.inf if now is None else now + END_SLACK)
    ):
        mtime = None  # a file system without times, or a clock set wrong
    times, anchor = scan(lines)
    if not times and anchor is not None:
        return anchor, FILE_DATE
    if start is not None:
        return (nearest_time_of_day(times[0], start) if times else start), GIVEN
    if date is not None:
        return date + (times[0] if times else 0.0), GIVEN
    if anchor is not None:
        return _walk_back(times, anchor), FILE_DATE
    for end, rule in ((mtime, MTIME), (now, INGEST_TIME)):
        if end is not None:
            if not times:
                return end, rule
            return _walk_back(times[:-1], _last_before(times[-1], end + END_SLACK)), rule
    return None, None
