"""Times and dates from the command line, checked before any work starts.

Only ISO 8601 is read (UTC when no zone is given), so a typo or a word such as
``yesterday`` is a numbered error naming the flag, not a parser's traceback.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from isomer_data.core.errors import IsomerError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Years the platform can store and export (pandas' nanosecond range, with margin).
YEARS = (1900, 2200)


def parse_time(text: str | None, flag: str) -> float | None:
    """ISO 8601 date or date-time → POSIX seconds (``None`` passes through).

    Raises
    ------
    IsomerError
        70101 when ``text`` is not ISO 8601 or lies outside the years 1900–2200.
    """
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise IsomerError(70101, f"{flag} {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise IsomerError(70101, f"{flag} {text!r}: years {YEARS[0]}–{YEARS[1]} only")
    return value.timestamp()


def parse_date(text: str | None, flag: str) -> float | None:
    """``YYYY-MM-DD`` → POSIX seconds of that midnight, UTC (``None`` passes through).

    Raises
    ------
    IsomerError
        70102 when ``text`` is not such a date or lies outside the years 1900–2200.
    """
    if text is None:
        return None
    text = text.strip()
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise IsomerError(70102, f"{flag} {text!r}") from None
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise IsomerError(70102, f"{flag} {text!r}: years {YEARS[0]}–{YEARS[1]} only")
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
