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
# Path prefixes no publisher may put in the live state. ``resources.`` names objects
# (routes, waypoints, notes, regions) that have their own permissions and are pushed only
# to those who may read each one (services/signalk/resources.py); a value published there
# would reach every subscriber unchecked.
RESERVED = ("resources.",)
# The defaults of the configuration's live_max_* (isomer_data/config.py says why).
MAX_CONTEXTS = 5_000
MAX_PATHS = 2_000
MAX_VALUES = 250_000
CONTEXT_MAX_AGE = 3600.0
EXPIRE_EVERY = 10.0  # s between two looks for stale vessels while the state is full


class _Admitted:
    """New names admitted so far in one batch (not recorded yet)."""

    __slots__ = ("contexts", "count", "paths")

    def __init__(self) -> None:
        self.paths: dict[str, set] = {}  # vessel -> new paths
        self.count = 0
        self.contexts = 0  # vessels not held before


class LiveState:
    """The latest values, bounded: publishers name their vessels and paths, so new names
    beyond ``max_contexts`` vessels, ``max_paths`` per vessel or ``max_values`` in all are
    refused and counted (``refused``); known ones keep updating."""

    def __init__(
        self,
        max_contexts: int = MAX_CONTEXTS,
        max_paths: int = MAX_PATHS,
        max_values: int = MAX_VALUES,
        context_max_age: float = CONTEXT_MAX_AGE,
    ) -> None:
        # (vessel, path) -> (time, value, source)
        self.latest: dict[tuple[str, str], tuple[float, object, str]] = {}
        self.paths_of: dict[str, int] = {}  # vessel -> paths held
        self.max_contexts = max_contexts
        self.max_paths = max_paths
        self.max_values = max_values
        self.refused = {"reserved": 0, "contexts": 0, "paths": 0, "values": 0}
        # When full, vessels not heard of for context_max_age (AIS targets long gone) make
        # room for new ones; the own vessel stays. Listeners forget what they kept of them.
        self.context_max_age = context_max_age
        self.heard: dict[str, float] = {}  # vessel -> monotonic time of its last value
        self.expired = 0  # vessels forgotten
        self.expire_listeners: list[Callable[[set], None]] = []
        self._expire_after = 0.0
        self.listeners: list[Callable[[list], None]] = []
        # Input filters see a batch before it is recorded and may return it changed (the
        # notifications API gives each notification its id and alarm status there).
        self.filters: list[Callable[[list], list]] = []
        self.published = 0
        self.rejected = 0  # items refused at the edge (bad values, impossible times)
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def refusal(self, vessel: str, path: str, new: _Admitted | None = None):
        """Why a value at ``(vessel, path)`` may not enter: ``(number, counter)``, or None.

        Only a name not held yet can be refused, so the hot path (known paths updating)
        costs one dictionary lookup. ``new`` collects the names admitted so far in the same
        batch, so a batch is judged as if it were recorded value by value.
        """
        if (vessel, path) in self.latest:
            return None
        new = new if new is not None else _Admitted()
        added = new.paths.get(vessel)
        if added is not None and path in added:
            return None
        if path.startswith(RESERVED):
            return 70321, "reserved"
        if len(self.latest) + new.count >= self.max_values and not self._expire(new):
            return 70324, "values"
        held = self.paths_of.get(vessel, 0)
        if held == 0 and added is None:
            if len(self.paths_of) + new.contexts >= self.max_contexts and not self._expire(new):
                return 70322, "contexts"
            new.contexts += 1
        elif held + (len(added) if added else 0) >= self.max_paths:
            return 70323, "paths"
        if added is None:
            added = new.paths[vessel] = set()
        added.add(path)
        new.count += 1
        return None

    def _expire(self, new: _Admitted) -> bool:
        """Forget vessels (never the own) silent for ``context_max_age``: whether the state
        has room now. At most once per ``EXPIRE_EVERY`` (a scan of every value), so a flood
        of new names against a full state costs no more than a lookup each."""
        now = time.monotonic()
        if now < self._expire_after:
            return False
        self._expire_after = now + EXPIRE_EVERY
        stale = {
            vessel
            for vessel, heard in self.heard.items()
            if vessel != "self" and now - heard > self.context_max_age and vessel not in new.paths
        }
        if not stale:
            return False
        for key in [key for key in self.latest if key[0] in stale]:
            del self.latest[key]
        for vessel in stale:
            self.paths_of.pop(vessel, None)
            self.heard.pop(vessel, None)
        self.expired += len(stale)
        log.info(
            "live state full: forgot %d vessels silent for %.0f s", len(stale), self.context_max_age
        )
        for listener in list(self.expire_listeners):
            try:
                listener(stale)
            except Exception:
                log.exception("live expire listener %r failed", listener)
        return (
            len(self.latest) + new.count < self.max_values
            and len(self.paths_of) + new.contexts < self.max_contexts
        )

    def admit(self, batch: list) -> list[tuple[int, int, str]]:
        """``[(index, number, counter)]`` of the observations :meth:`publish` would refuse.

        Records nothing (a full state may forget stale vessels, :meth:`_expire`): a
        publisher that answers item by item (a client's delta) asks first, counts the
        refusals in ``refused[counter]`` and publishes the rest.
        """
        new = _Admitted()
        latest = self.latest
        out = []
        for i, o in enumerate(batch):
            if (o.vessel, o.path) not in latest:
                refused = self.refusal(o.vessel, o.path, new)
                if refused is not None:
                    out.append((i, *refused))
        return out

    def publish(self, observations: Iterable) -> None:
        """Record observations (objects with time, vessel, path, value, source); on the loop.

        Values beyond the limits (:meth:`refusal`) are left out and counted in ``refused``,
        whoever publishes them: ingest, modules and clients' deltas alike.
        """
        batch = list(observations)
        if not batch:
            return
        latest = self.latest
        # The usual batch updates known paths only: one membership test each, no more;
        # the keys serve the recording below too.
        keys = [(o.vessel, o.path) for o in batch]
        if not all(map(latest.__contains__, keys)):
            refused = None
            new = _Admitted()
            for i, o in enumerate(batch):
                if (o.vessel, o.path) in latest:
                    continue
                why = self.refusal(o.vessel, o.path, new)
                if why is not None:
                    self.refused[why[1]] += 1
                    refused = refused or set()
                    refused.add(i)
            if refused:
                batch = [o for i, o in enumerate(batch) if i not in refused]
                keys = [k for i, k in enumerate(keys) if i not in refused]
                if not batch:
                    return
            for vessel, paths in new.paths.items():
                self.paths_of[vessel] = self.paths_of.get(vessel, 0) + len(paths)
        admitted = batch
        for keep in self.filters:
            try:
                batch = keep(batch)
            except Exception:  # a broken filter must not stop the data
                log.exception("live filter %r failed", keep)
        if batch is not admitted:  # a filter changed it: its keys may differ
            keys = [(o.vessel, o.path) for o in batch]
        # A value stamped ahead of our clock (a wrong instrument clock, or a vessel's) must
        # not hide the real instrument's newer values until that time comes: once it is
        # ahead by more than the skew allowed, any new value replaces it.
        ahead = time.time() + CLOCK_SKEW
        heard = self.heard
        now = time.monotonic()
        vessel = None
        for key, o in zip(keys, batch, strict=True):
            if key[0] is not vessel:  # batches are mostly one vessel's
                vessel = key[0]
                heard[vessel] = now
            current = latest.get(key)
            if current is None or current[0] <= o.time or current[0] > ahead:
                latest[key] = (o.time, o.value, o.source)
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
