"""An ingest worker: one source through the decoder into sinks (store, live state).

source → framing/decoding (:class:`isomer_data.ingest.decode.Decoder`) → sinks. The worker never stops
on bad input (the decoder counts it) and never blocks the event loop on the database: the
store sink buffers and flushes in a thread every few seconds or every few thousand
observations, whichever comes first.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

from isomer_data.ingest import validation
from isomer_data.ingest.decode import Decoder
from isomer_data.ingest.observation import SELF
from isomer_data.ingest.report import IngestReport
from isomer_data.ingest.soundings import SoundingPairer
from isomer_data.ingest.sources import open_source

log = logging.getLogger(__name__)

# What the store can hold whatever the edge allowed: datetimes from year 1 to 9999.
STORE_WINDOW = validation.TimeWindow(earliest=-62135596800.0, future=float("inf"))


def _database_away(exc: BaseException) -> bool:
    """A failure of the connection (retry later), not of the documents (never succeeds)."""
    from pymongo.errors import ConnectionFailure

    return isinstance(exc, ConnectionFailure)


class StoreSink:
    """Buffers observations and soundings and writes them as buckets in batches.

    Two kinds of failure are told apart. The database being away (connection refused,
    timed out) keeps the batch: in memory, or in ``spill`` (a bounded folder on disk)
    when one is given, replayed in order once the database answers. A document the
    database or BSON cannot hold never blocks the others: impossible observations are
    dropped and counted (``invalid``), and a batch that still fails is written bucket by
    bucket so only the failing bucket is lost (counted in ``failed``, logged).
    """

    def __init__(
        self,
        db,
        *,
        origin: str | None = None,
        flush_seconds: float = 5.0,
        max_pending: int = 5000,
        vessel: str = SELF,
        spill=None,
    ):
        self.db = db
        self.origin = origin or f"live:{time.time():.6f}"
        self.flush_seconds = flush_seconds
        self.max_pending = max_pending
        self.pending: list = []
        self.pending_soundings: list = []
        self.pairer = SoundingPairer(vessel=vessel)
        self.spill = spill
        self.batch = 0
        self.stored = 0
        self.soundings = 0
        self.errors = 0
        self.invalid = 0  # observations dropped as impossible to store
        self.failed = 0  # observations lost with a bucket the database refused
        self.last_error = ""
        self.database_away = False
        self._last_flush = time.monotonic()
        self._lock = threading.Lock()
        self._indexed = False

    def write(self, observations: list) -> None:
        self.pending.extend(observations)
        for o in observations:
            self.pending_soundings.extend(self.pairer.feed(o))

    @property
    def accepting(self) -> bool:
        """Whether new data would be kept: the database answers, or the spill has room."""
        if not self.database_away:
            return True
        return self.spill is not None and self.spill.has_room()

    @property
    def waiting(self) -> bool:
        """Anything to write: buffered, or spilled while the database was away."""
        return bool(self.pending) or (self.spill is not None and self.spill.waiting)

    def due(self) -> bool:
        return bool(self.pending) and (
            len(self.pending) >= self.max_pending
            or time.monotonic() - self._last_flush >= self.flush_seconds
        )

    def flush(self, final: bool = False) -> None:
        """Write what is buffered, then what was spilled; keep it when the database is away."""
        with self._lock:
            if final:
                self.pending_soundings.extend(self.pairer.flush())
            batch, self.pending = self.pending, []
            sounds, self.pending_soundings = self.pending_soundings, []
            self._last_flush = time.monotonic()
            if batch or sounds:
                try:
                    self._store(batch, sounds)
                except Exception as exc:
                    if not _database_away(exc):
                        # not the documents (handled in _store) nor the connection: say so,
                        # and never let one batch block every later one
                        self.errors += 1
                        self.failed += len(batch)
                        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                        log.exception("store batch of %d observations lost", len(batch))
                        return
                    self._away(exc)
                    if self.spill is not None and self.spill.append(batch, sounds):
                        return
                    # no spill, or it is full: keep it in memory for the next try (bounded)
                    self.pending = (batch + self.pending)[-self.max_pending * 20 :]
                    self.pending_soundings = sounds + self.pending_soundings
                    return
            self._replay()

    def _away(self, exc: BaseException) -> None:
        self.errors += 1
        self.database_away = True
        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
        log.warning("store write failed, the database is away (%s); keeping the data", exc)

    def _replay(self, most: int = 50) -> None:
        """Write spilled batches back, oldest first, while the database answers."""
        spill = self.spill
        if spill is None or not spill.waiting:
            self.database_away = False
            return
        for path in spill.files()[:most]:
            kept = spill.read(path)
            if kept is None:
                continue
            try:
                self._store(*kept)
            except Exception as exc:
                if not _database_away(exc):
                    raise
                self._away(exc)
                return
            spill.remove(path)
            spill.replayed += len(kept[0])
        self.database_away = False
        if spill.waiting:
            log.info("replaying spilled data: %d bytes still waiting", spill.used)

    def _store(self, batch: list, sounds: list) -> None:
        """One batch into the database; only a connection failure escapes."""
        from isomer_data.store import observations as obs_store
        from isomer_data.store import soundings as snd_store

        if not self._indexed:
            obs_store.ensure_indexes(self.db)
            snd_store.ensure_indexes(self.db)
            self._indexed = True
        good = [o for o in batch if store_problem(o) is None]
        if len(good) != len(batch):
            self.invalid += len(batch) - len(good)
            log.warning("dropped %d observations the store cannot hold", len(batch) - len(good))
        number = self.batch
        self.batch += 1
        try:
            self.stored += obs_store.write_observations(
                self.db, good, origin=self.origin, batch=number
            )
        except Exception as exc:
            if _database_away(exc):
                self.batch = number  # nothing of it was kept: the retry reuses the ids
                raise
            self._store_by_bucket(good, number, exc)
        try:
            self.soundings += snd_store.write_soundings(
                self.db, sounds, origin=self.origin, batch=number
            )
        except Exception as exc:
            if _database_away(exc):
                # observations are in; keep only the soundings for the retry
                if self.spill is not None and self.spill.append([], sounds):
                    self._away(exc)
                    return
                raise
            self.failed += len(sounds)
            log.error("soundings of batch %d refused by the database: %s", number, exc)

    def _store_by_bucket(self, observations: list, number: int, first: BaseException) -> None:
        """A batch the database refused: each bucket alone, so one bad one loses only itself."""
        from isomer_data.store import observations as obs_store

        log.error("a store batch was refused (%s); writing it bucket by bucket", first)
        groups: dict[tuple, list] = {}
        for o in observations:
            groups.setdefault((o.vessel, o.path, o.source), []).append(o)
        for key, group in groups.items():
            try:
                self.stored += obs_store.write_observations(
                    self.db, group, origin=self.origin, batch=number
                )
            except Exception as exc:
                if _database_away(exc):
                    raise
                self.failed += len(group)
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.error("dropped %d observations of %s: %s", len(group), key[1], exc)

    async def tick(self) -> None:
        if self.due():
            await asyncio.to_thread(self.flush)


def store_problem(o) -> str | None:
    """Why the store cannot hold an observation at all (BSON, dates up to year 9999)."""
    return validation.problem(o, time.time(), STORE_WINDOW)


class LiveSink:
    def __init__(self, live):
        self.live = live

    def write(self, observations: list) -> None:
        self.live.publish(observations)

    async def tick(self) -> None:
        return None

    def flush(self, final: bool = False) -> None:
        return None


class SystemClock:
    """Where a replay gets the time and waits: the real clocks and ``asyncio.sleep``.

    A replay's pacing is a function of log time; a test hands the worker a clock it
    advances itself and checks the pacing in log time, without waiting for it.
    """

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class IngestWorker:
    """Run one source until it ends (files) or for ever (live feeds, with reconnects).

    Options in the URL: ``replay=realtime`` paces a file by its own times, ``speed=N``
    speeds that up, ``restamp=1`` stamps observations with the time they are replayed (the
    sample voyage shown as live data), ``loop=1`` starts a file again at its end.
    ``clock`` (a :class:`SystemClock` by default) is where pacing and restamping get the
    time.
    """

    def __init__(
        self,
        url: str,
        *,
        vessel: str = SELF,
        sinks=(),
        once: bool = False,
        source_label: str | None = None,
        clock=None,
    ):
        self.url = url
        self.clock = clock or SystemClock()
        self.source = open_source(url)
        spec = self.source.spec
        label = source_label or (Path_stem(spec.target) if spec.kind == "file" else spec.kind)
        self.report = IngestReport()
        if is_n2k(spec):
            from isomer_data.ingest.n2k.decoder import Decoder as N2KDecoder

            base = Path_mtime(spec.target) if spec.kind == "file" else None
            self.decoder = N2KDecoder(
                vessel=vessel, source=label, report=self.report, base_time=base
            )
        else:
            self.decoder = Decoder(vessel=vessel, source=label, report=self.report)
        self.sinks = list(sinks)
        self.once = once
        self.realtime = spec.option("replay") == "realtime"
        self.speed = float(spec.option("speed", 1.0))
        self.restamp = spec.option("restamp", "0") in ("1", "true", "yes")
        self.started = time.time()
        self._pace: tuple[float, float] | None = None  # (log time, wall time) at start

    def status(self) -> dict:
        return {
            "url": self.url,
            **self.source.status(),
            "observations": self.report.observations,
            "rejected": self.report.rejected_total,
            "report": self.report.to_dict(),
        }

    async def _wait_for(self, log_time: float) -> None:
        clock = self.clock
        if self._pace is None:
            self._pace = (log_time, clock.monotonic())
            return
        t0, w0 = self._pace
        delay = (log_time - t0) / self.speed - (clock.monotonic() - w0)
        if delay > 0:
            await clock.sleep(delay)
        elif delay < -5:  # the log jumped (next loop of a replay, a gap): re-anchor
            self._pace = (log_time, clock.monotonic())

    async def run(self) -> None:
        decoder = self.decoder
        async for line, received in self.source:
            observations = decoder.feed(line, received)
            if not observations:
                continue
            if self.realtime:
                await self._wait_for(observations[0].time)
            if self.restamp:
                now = self.clock.time()
                for o in observations:
                    o.time = now
            for sink in self.sinks:
                sink.write(observations)
            for sink in self.sinks:
                await sink.tick()
        for sink in self.sinks:
            await asyncio.to_thread(sink.flush, True)


def is_n2k(spec) -> bool:
    """NMEA 2000 sources: CAN buses, gateway URLs (``ydraw+tcp://``...) and N2K log files."""
    if spec.option("format") is not None:
        return True
    if spec.kind != "file":
        return False
    from pathlib import Path

    from isomer_data.ingest.framing import open_log
    from isomer_data.ingest.n2k.formats import sniff

    if not Path(spec.target).is_file():
        return False
    with open_log(spec.target) as handle:
        head = [line for _, line in zip(range(50), handle, strict=False)]
    return sniff(head) is not None


def Path_mtime(target: str) -> float:  # noqa: N802 - like Path_stem
    from pathlib import Path

    return Path(target).stat().st_mtime


def Path_stem(target: str) -> str:  # noqa: N802 - tiny helper kept local to this module
    from pathlib import Path

    return Path(target).stem
