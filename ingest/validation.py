"""What an observation may hold, checked where it enters (hub, Signal K, ingest).

One poisoned value used to stall storage for everyone: ``2**70`` does not fit BSON's
int64, so every later bulk write failed; a timestamp of year 9999 broke the snapshot
(``datetime`` stops at 9999) and, being newest, pinned the path's live value over the
real instrument. So every entry point refuses, item by item, what the store, the live
state and the clients' JSON cannot hold:

- numbers finite and within ±1e15 (beyond that a double no longer holds integers exactly;
  no instrument reports such values), booleans, strings up to 10 000 characters, null;
- structured values (objects, lists) at most 8 levels deep and 1000 items, keys plain
  (no ``$`` at the start, no ``.``, no NUL: MongoDB reads those as operators or paths);
- positions (``latitude`` and ``longitude``) numbers within ±90 / ±180;
- paths and vessel contexts non-empty strings of at most 256 characters;
- times between ``earliest`` (1980-01-01) and ``future`` seconds (1 day) after receipt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARLIEST = 315532800.0  # 1980-01-01T00:00:00Z: GPS time starts here
FUTURE = 86400.0
MAX_ABS = 1e15
MAX_STRING = 10_000
MAX_DEPTH = 8
MAX_ITEMS = 1000
MAX_NAME = 256


class BadValue(ValueError):
    """An item refused at the edge; the message says what is wrong with it."""


def check_number(value: int | float, what: str = "value") -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise BadValue(f"{what} must be a finite number, not {value!r}")
    if not -MAX_ABS <= value <= MAX_ABS:
        raise BadValue(f"{what} is out of range (at most ±{MAX_ABS:.0e})")


def check_value(value, what: str = "value") -> None:
    """Raise :class:`BadValue` unless the store, the live state and JSON can all hold it."""
    kind = type(value)
    if kind is float or kind is int:
        check_number(value, what)
        return
    budget = [MAX_ITEMS]

    def walk(v, depth: int) -> None:
        if v is None or isinstance(v, bool):
            return
        if isinstance(v, int | float):
            check_number(v, what)
            return
        if isinstance(v, str):
            if len(v) > MAX_STRING:
                raise BadValue(f"{what}: strings have at most {MAX_STRING} characters")
            return
        if depth >= MAX_DEPTH:
            raise BadValue(f"{what} is nested deeper than {MAX_DEPTH} levels")
        if isinstance(v, dict):
            budget[0] -= len(v)
            if budget[0] < 0:
                raise BadValue(f"{what} holds more than {MAX_ITEMS} items")
            for key, item in v.items():
                if not isinstance(key, str) or not key or key[0] == "$" or "." in key:
                    raise BadValue(f"{what}: key {str(key)[:40]!r} may not start with $ or hold .")
                if "\x00" in key:
                    raise BadValue(f"{what}: keys may not hold NUL")
                walk(item, depth + 1)
            return
        if isinstance(v, list | tuple):
            budget[0] -= len(v)
            if budget[0] < 0:
                raise BadValue(f"{what} holds more than {MAX_ITEMS} items")
            for item in v:
                walk(item, depth + 1)
            return
        raise BadValue(f"{what} of type {type(v).__name__} cannot be stored")

    walk(value, 0)
    if isinstance(value, dict) and ("latitude" in value or "longitude" in value):
        lat, lon = value.get("latitude"), value.get("longitude")
        for name, x, limit in (("latitude", lat, 90), ("longitude", lon, 180)):
            if isinstance(x, bool) or not isinstance(x, int | float) or not -limit <= x <= limit:
                raise BadValue(f"{what}: a position's {name} is a number within ±{limit}")


def check_name(name, what: str) -> None:
    if not isinstance(name, str) or not name:
        raise BadValue(f"{what} must be a non-empty string")
    if len(name) > MAX_NAME:
        raise BadValue(f"{what} has at most {MAX_NAME} characters")
    if "\x00" in name:
        raise BadValue(f"{what} may not hold NUL")


@dataclass(frozen=True)
class TimeWindow:
    """Times an observation may carry, relative to when it was received."""

    earliest: float = EARLIEST
    future: float = FUTURE
    latest: float = 253402214400.0  # 9999-12-31: beyond it dates cannot be stored at all

    def check(self, t, received: float) -> None:
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
            raise BadValue("timestamp is not a finite time")
        if t < self.earliest:
            raise BadValue("timestamp is before 1980 (or the configured earliest time)")
        if t > self.latest:
            raise BadValue("timestamp is beyond the year 9999")
        if t > received + self.future:
            raise BadValue(
                f"timestamp is more than {self.future:.0f} s after the time it was received"
            )


DEFAULT_WINDOW = TimeWindow()


def problem(o, received: float, window: TimeWindow = DEFAULT_WINDOW) -> str | None:
    """Why an observation cannot be kept, or None if it can."""
    try:
        check_name(o.path, "path")
        check_name(o.vessel, "context")
        window.check(o.time, received)
        check_value(o.value)
    except BadValue as exc:
        return str(exc)
    return None
