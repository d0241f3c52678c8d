"""Pairing depths with positions, in stream order, for crowdsourced bathymetry.

Depth and position come from different instruments at different instants; a depth is
worth storing only with the fix nearest to it in time, and not at all when the nearest fix
is further than ``max_gap`` seconds away (at 6 kn a 3 s gap is already 9 m). The nearest
fix may arrive after the depth, so depths wait in a bounded buffer until a later fix (or
the passing of ``max_gap``) settles them. DBT and DPT of one ping arrive back to back with
the same time and depth; they are merged so the sounding keeps DPT's transducer offset.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from isomer_data.ingest.observation import SELF, Observation, Sounding

BELOW_TRANSDUCER = "environment.depth.belowTransducer"
BELOW_SURFACE = "environment.depth.belowSurface"
BELOW_KEEL = "environment.depth.belowKeel"
SURFACE_TO_TRANSDUCER = "environment.depth.surfaceToTransducer"
TRANSDUCER_TO_KEEL = "environment.depth.transducerToKeel"
DEPTH_PATHS = frozenset(
    (BELOW_TRANSDUCER, BELOW_SURFACE, BELOW_KEEL, SURFACE_TO_TRANSDUCER, TRANSDUCER_TO_KEEL)
)
POSITION = "navigation.position"

NO_FIX_WITHIN_GAP = "no_fix_within_gap"
NO_TRANSDUCER_DEPTH = "no_depth_below_transducer"


@dataclass(slots=True)
class _Depth:
    time: float
    source: str
    below_transducer: float | None = None
    below_surface: float | None = None
    below_keel: float | None = None
    offset: float | None = None

    def attach(self, path: str, value: float) -> None:
        if path == BELOW_TRANSDUCER:
            self.below_transducer = value
        elif path == BELOW_SURFACE:
            self.below_surface = value
        elif path == BELOW_KEEL:
            self.below_keel = value
        elif path == SURFACE_TO_TRANSDUCER:
            self.offset = value
        elif path == TRANSDUCER_TO_KEEL:
            self.offset = -value


class SoundingPairer:
    """Streaming depth/position pairer.

    Parameters
    ----------
    vessel : str
        Only this vessel's observations are paired (AIS targets carry no depth).
    max_gap : float
        Seconds; a depth further than this from every fix is dropped (counted in
        :attr:`dropped`).
    max_pending : int
        Depths waiting for a later fix; beyond it the oldest is settled with the fixes
        already seen.
    max_fixes : int
        Recent fixes remembered for looking back.

    Example
    -------
    >>> pairer = SoundingPairer(max_gap=3.0)
    >>> soundings = [s for o in observations for s in pairer.feed(o)] + pairer.flush()
    """

    def __init__(
        self,
        vessel: str = SELF,
        max_gap: float = 3.0,
        max_pending: int = 256,
        max_fixes: int = 64,
    ) -> None:
        self.vessel = vessel
        self.max_gap = max_gap
        self.max_pending = max_pending
        self.fixes: deque[tuple[float, float, float]] = deque(maxlen=max_fixes)
        self.pending: deque[_Depth] = deque()
        self.dropped: Counter[str] = Counter()
        self.paired = 0
        self._open: _Depth | None = None

    def feed(self, observation: Observation) -> list[Sounding]:
        """Consume one observation (any path); return the soundings it settled."""
        if observation.vessel != self.vessel:
            return []
        out: list[Sounding] = []
        path = observation.path
        if path in DEPTH_PATHS:
            record = self._open
            same_ping = (
                record is not None
                and record.time == observation.time
                and (
                    path != BELOW_TRANSDUCER
                    or record.below_transducer is None
                    or record.below_transducer == observation.value
                )
            )
            if not same_ping:
                self._close(out)
                record = self._open = _Depth(observation.time, observation.source)
            record.attach(path, observation.value)
            return out
        self._close(out)
        if path == POSITION:
            value = observation.value
            self.fixes.append((observation.time, value["longitude"], value["latitude"]))
            while self.pending and self.pending[0].time <= observation.time:
                self._settle(self.pending.popleft(), out)
        horizon = observation.time - self.max_gap
        while self.pending and self.pending[0].time < horizon:
            self._settle(self.pending.popleft(), out)
        return out

    def feed_many(self, observations: Iterable[Observation]) -> Iterator[Sounding]:
        """Pair a whole stream, flushing at the end."""
        for observation in observations:
            yield from self.feed(observation)
        yield from self.flush()

    def flush(self) -> list[Sounding]:
        """Settle everything still waiting, with the fixes seen so far (end of stream)."""
        out: list[Sounding] = []
        self._close(out)
        while self.pending:
            self._settle(self.pending.popleft(), out)
        return out

    def _close(self, out: list[Sounding]) -> None:
        record, self._open = self._open, None
        if record is None:
            return
        if record.below_transducer is None:
            self.dropped[NO_TRANSDUCER_DEPTH] += 1
            return
        if self.fixes and self.fixes[-1][0] >= record.time and not self.pending:
            self._settle(record, out)
            return
        self.pending.append(record)
        if len(self.pending) > self.max_pending:
            self._settle(self.pending.popleft(), out)

    def _settle(self, record: _Depth, out: list[Sounding]) -> None:
        best = None
        best_gap = self.max_gap
        for fix in reversed(self.fixes):
            gap = abs(fix[0] - record.time)
            if gap <= best_gap:
                best, best_gap = fix, gap
            elif fix[0] < record.time:
                break  # older fixes are only further away
        if best is None:
            self.dropped[NO_FIX_WITHIN_GAP] += 1
            return
        self.paired += 1
        out.append(
            Sounding(
                time=record.time,
                longitude=best[1],
                latitude=best[2],
                depth_below_transducer=record.below_transducer,
                depth_below_surface=record.below_surface,
                depth_below_keel=record.below_keel,
                transducer_offset=record.offset,
                vessel=self.vessel,
                source=record.source,
            )
        )
