"""Turning the times NMEA sentences carry into POSIX seconds.

Only RMC and ZDA carry a date (and, together, Seatalk1's date and time datagrams 56 + 54,
forwarded as ``$STALK``/``$PSMDST``); GGA, GLL and GNS carry a time of day. A log replayed
long after the voyage has no other clock, so the decoder keeps one running from the last
full date + time fix and resolves each time of day to the instant nearest that reference
(within ±12 h), which carries the date across midnight without a date sentence.

A log whose times of day come before any date (or that has none) is dated by a start
instant found before decoding (:mod:`isomer_data.ingest.dating`); every instant keeps the
name of the rule that dated it (``TIME_SOURCES``), stored with the observations.
"""

from __future__ import annotations

import math

DAY = 86400.0
HALF_DAY = 43200.0

# Which rule dated an observation; stored with it, so a scientist can keep only GPS time.
# The date an RMC/ZDA sentence (or a Seatalk GPS's 56 + 54 datagrams) carries, and the
# clock carried on from it.
GPS = "gps"
GIVEN = "given"  # ``isomer ingest --date`` / ``--start``
FILE_DATE = "file-date"  # a date later in the same file, walked back to these lines
MTIME = "mtime"  # the file's modification time, taken as the log's end
INGEST_TIME = "ingest-time"  # nothing else: the time of the ingest, taken as the log's end
RECEIVE_TIME = "receive-time"  # live sources: when the line arrived (as Signal K does)
LOGGER = "logger"  # the logger's own time stamp around the sentence (TAG block, prefix)
TIME_SOURCES = (GPS, GIVEN, FILE_DATE, MTIME, INGEST_TIME, RECEIVE_TIME, LOGGER)


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 (Howard Hinnant's algorithm): no datetime objects per line."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def parse_time_of_day(text: str) -> float:
    """``hhmmss.ss`` → seconds since midnight. Raises ValueError when malformed."""
    hours, minutes, seconds = int(text[0:2]), int(text[2:4]), float(text[4:])
    if not (0 <= hours < 24 and 0 <= minutes < 60 and 0.0 <= seconds < 61.0) or text[0] in "+- ":
        raise ValueError(text)
    return hours * 3600 + minutes * 60 + seconds


def _epoch_day(year: int, month: int, day: int) -> float:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise ValueError(f"{year}-{month}-{day}")
    return days_from_civil(year, month, day) * DAY


_DDMMYY_CACHE: dict[str, float] = {}


def parse_ddmmyy(text: str) -> float:
    """RMC's ``ddmmyy`` → POSIX seconds of that midnight (years 80–99 are 19xx, per GPS)."""
    cached = _DDMMYY_CACHE.get(text)
    if cached is not None:
        return cached
    if len(text) != 6 or not text.isdigit():
        raise ValueError(text)
    yy = int(text[4:6])
    value = _epoch_day(1900 + yy if yy >= 80 else 2000 + yy, int(text[2:4]), int(text[0:2]))
    if len(_DDMMYY_CACHE) < 4096:
        _DDMMYY_CACHE[text] = value
    return value


def ymd(year: str, month: str, day: str) -> float:
    """ZDA's separate fields → POSIX seconds of that midnight."""
    return _epoch_day(int(year), int(month), int(day))


def nearest_time_of_day(time_of_day: float, reference: float) -> float:
    """The instant with this time of day nearest to ``reference`` (date rolls both ways)."""
    start = math.floor(reference / DAY) * DAY
    value = start + time_of_day
    if value - reference > HALF_DAY:
        value -= DAY
    elif reference - value > HALF_DAY:
        value += DAY
    return value


class Clock:
    """The decoder's running notion of "now" in the data's own time.

    ``last`` is the latest instant taken from a sentence (or ``None`` before the first),
    or the start instant the clock was given; ``source`` names the rule that dated it.
    """

    __slots__ = ("last", "source")

    def __init__(self, start: float | None = None, source: str | None = None) -> None:
        self.last: float | None = start
        self.source: str | None = source if start is not None else None

    def full(self, midnight: float, time_of_day: float) -> float:
        """A sentence with date and time sets the clock."""
        return self.fix(midnight + time_of_day)

    def fix(self, instant: float) -> float:
        """A full date and time found over several sentences (Seatalk) sets the clock."""
        self.last = instant
        self.source = GPS
        return instant

    def time_of_day(
        self,
        time_of_day: float,
        reference: float | None = None,
        reference_source: str | None = None,
    ) -> float | None:
        """Resolve a time of day against the last fix, else against ``reference``.

        Returns ``None`` when neither exists: a time of day alone is not an instant.
        """
        if self.last is not None:
            base = self.last
        elif reference is not None:
            base = reference
            self.source = reference_source
        else:
            return None
        self.last = nearest_time_of_day(time_of_day, base)
        return self.last
