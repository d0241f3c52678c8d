"""Splitting a log line into the sentence and what the logger wrote around it.

Loggers wrap NMEA sentences in several ways: nothing at all, a reception timestamp in
front (ISO 8601, epoch seconds or milliseconds, or a bare time of day), NMEA 4.10 TAG
blocks (``\\c:1714564800,s:GP01*hh\\$GPRMC...``) and Signal K's multiplexed log
(``millis;N;$GPRMC...``). Framing only recognises the wrapper; it never decodes the
sentence, so every wrapper gets the same decoder and the same report.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, NamedTuple

from isomer_data.ingest import report as reasons


class Frame(NamedTuple):
    """A sentence and the logger's hints about it.

    ``time`` is absolute POSIX seconds when the wrapper carried a date, ``time_of_day``
    seconds since midnight when it only carried a clock time (the decoder's clock supplies
    the date). ``source`` is the TAG block ``s:`` label, if any.
    """

    sentence: str
    time: float | None = None
    time_of_day: float | None = None
    source: str | None = None


class FramingError(ValueError):
    """The line cannot be framed; ``reason`` is a report reason code."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


def checksum(body: str) -> int:
    """XOR of the characters between the start mark and ``*``.

    Runs on every line, so no Python loop over characters: after ``x ^= x >> 8k`` for
    k = 64, 32, …, 1 the lowest byte of ``x`` is the XOR of bytes 0–127, which covers any
    NMEA sentence (82 characters at most); longer input folds in halves.
    """
    data = body.encode("ascii", "replace")
    x = int.from_bytes(data, "little")
    n = len(data)
    while n > 128:
        half = (n + 1) // 2
        x = (x >> (half * 8)) ^ (x & ((1 << (half * 8)) - 1))
        n = half
    x ^= x >> 512
    x ^= x >> 256
    x ^= x >> 128
    x ^= x >> 64
    x ^= x >> 32
    x ^= x >> 16
    x ^= x >> 8
    return x & 0xFF


_ISO = re.compile(
    r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s*[,;]?\s*(?=[\\$!])"
)
_TOD = re.compile(r"(\d{2}):(\d{2}):(\d{2}(?:\.\d+)?)\s*[,;]?\s*(?=[\\$!])")
_EPOCH = re.compile(r"(\d{9,13}(?:\.\d+)?)\s*[,;]?\s*(?=[\\$!])")
_MUX = re.compile(r"(\d{9,13});([A-Za-z]);")


def _epoch(text: str) -> float:
    value = float(text)
    # Seconds since 1970 pass 1e11 only in the year 5138; larger numbers are milliseconds.
    return value / 1000.0 if value > 1e11 else value


def _iso(text: str) -> float:
    parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _tag_blocks(line: str) -> tuple[str, float | None, str | None]:
    time = source = None
    while line.startswith("\\"):
        end = line.find("\\", 1)
        if end < 0:
            raise FramingError(reasons.TRUNCATED, "TAG block not closed")
        block = line[1:end]
        line = line[end + 1 :]
        star = block.rfind("*")
        if star < 0 or len(block) - star != 3:
            raise FramingError(reasons.BAD_TAG_CHECKSUM, "TAG block without checksum")
        try:
            expected = int(block[star + 1 :], 16)
        except ValueError:
            raise FramingError(reasons.BAD_TAG_CHECKSUM) from None
        if checksum(block[:star]) != expected:
            raise FramingError(reasons.BAD_TAG_CHECKSUM)
        for param in block[:star].split(","):
            key, _, value = param.partition(":")
            if key == "c":
                try:
                    time = _epoch(value)
                except ValueError:
                    raise FramingError(reasons.MALFORMED_FIELD, "TAG c: not a number") from None
            elif key == "s":
                source = value
    return line, time, source


def frame_line(line: str) -> Frame | None:
    """Recognise the wrapper around one sentence.

    Returns ``None`` for lines with nothing to decode (blank, ``#`` comments).

    Raises
    ------
    FramingError
        With a report reason code when the wrapper is broken (bad TAG checksum) or not one
        we decode (Signal K ``;I;`` JSON deltas, other multiplexed streams).
    """
    line = line.strip()
    if not line or line[0] == "#":
        return None
    first = line[0]
    if first == "$" or first == "!":
        return Frame(line)
    if first == "\\":
        sentence, time, source = _tag_blocks(line)
        return Frame(sentence, time, None, source)
    match = _MUX.match(line)
    if match:
        if match.group(2) != "N":
            raise FramingError(f"{reasons.UNSUPPORTED_FRAME}:{match.group(2)}")
        rest = line[match.end() :]
        if rest.startswith("\\"):
            rest, tag_time, source = _tag_blocks(rest)
            return Frame(rest, tag_time or _epoch(match.group(1)), None, source)
        return Frame(rest, _epoch(match.group(1)))
    time = time_of_day = None
    if match := _ISO.match(line):
        try:
            time = _iso(match.group(1))
        except ValueError:
            raise FramingError(reasons.MALFORMED_FIELD, "bad timestamp prefix") from None
    elif match := _TOD.match(line):
        h, m, s = match.groups()
        time_of_day = int(h) * 3600 + int(m) * 60 + float(s)
    elif match := _EPOCH.match(line):
        time = _epoch(match.group(1))
    else:
        raise FramingError(reasons.NOT_NMEA)
    rest = line[match.end() :]
    if rest.startswith("\\"):
        rest, tag_time, source = _tag_blocks(rest)
        return Frame(rest, tag_time if tag_time is not None else time, time_of_day, source)
    return Frame(rest, time, time_of_day)


GZIP_MAGIC = b"\x1f\x8b"


@contextmanager
def open_log(path: str | Path) -> Iterator[IO[str]]:
    """Open a log as text, gunzipping when the file starts with the gzip magic bytes.

    Detection is by content, not by suffix, because loggers rotate ``.log`` files and
    compress them in place. Undecodable bytes become U+FFFD so garbage reaches the decoder
    (and its report) instead of raising halfway through a file.
    """
    path = Path(path)
    with open(path, "rb") as probe:
        magic = probe.read(2)
    opener = gzip.open if magic == GZIP_MAGIC else open
    with opener(path, "rt", encoding="ascii", errors="replace", newline="") as handle:
        yield handle
