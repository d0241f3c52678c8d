"""The live state: the latest value of every path of every vessel, and who wants to know.

Ingest publishes observations here; the hub, the Signal K stream and the panels listen.
Listeners are called synchronously on the event loop and must only queue work (the hub's
per-client queues are bounded), so publishing never waits for a slow client.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

CLOCK_SKEW = 60.0  # seconds a stored latest value may be ahead of this clock and still win


class LiveState:
    def __init__(self) -> None:
        # (vessel, path) -> (time, value, source)
        self.latest: dict[tuple[str, str], tuple[float, object, str]] = {}
        self.listeners: list[Callable[[list], None]] = []
        # Input filters see a batch before it is recorded and may return it changed (the
        # notifications API gives each notification its id and alarm status there).
        self.filters: list[Callable[[list], list]] = []
        self.published = 0
        self.rejected = 0  # items refused at the edge (bad values, impossible times)
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, observations: Iterable) -> None:
        """Record observations (objects with time, vessel, path, value, source); on the loop."""
        batch = list(observations)
        if not batch:
            return
        for keep in self.filters:
            try:
                batch = keep(batch)
            except Exception:  # a broken filter must not stop the data
                log.exception("live filter %r failed", keep)
        latest = self.latest
        # A value stamped ahead of our clock (a wrong instrument clock, or a vessel's) must
        # not hide the real instrument's newer values until that time comes: once it is
        # ahead by more than the skew allowed, any new value replaces it.
        ahead = time.time() + CLOCK_SKEW
        for o in batch:
            current = latest.get((o.vessel, o.path))
            if current is None or current[0] <= o.time or current[0] > ahead:
                latest[(o.vessel, o.path)] = (o.time, o.value, o.source)
        self.published += len(batch)
        for listener in list(self.listeners):
            try:
                listener(batch)
            except Exception:
                log.exception("live listener %r failed", listener)

    def publish_threadsafe(self, observations: Iterable) -> None:
        if self._loop is None:
            raise RuntimeError("LiveState is not bound to an event loop")
        self._loop.call_soon_threadsafe(self.publish, list(observations))

    def get(self, vessel: str, path: str):
        return self.latest.get((vessel, path))

    def snapshot(self, vessel: str | None = None) -> dict:
        """``{vessel: {path: {"value", "timestamp", "$source"}}}`` for REST and panels."""
        from datetime import UTC, datetime

        out: dict = {}
        for (v, path), (t, value, source) in self.latest.items():
            if vessel is not None and v != vessel:
                continue
            out.setdefault(v, {})[path] = {
                "value": value,
                "timestamp": datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z"),
                "$source": source,
            }
        return out
