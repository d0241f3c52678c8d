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

from isomer_data.ingest.decode import Decoder
from isomer_data.ingest.observation import SELF
from isomer_data.ingest.report import IngestReport
from isomer_data.ingest.soundings import SoundingPairer
from isomer_data.ingest.sources import open_source

log = logging.getLogger(__name__)


class StoreSink:
    """Buffers observations and soundings and writes them as buckets in batches."""

    def __init__(
        self,
        db,
        *,
        origin: str | None = None,
        flush_seconds: float = 5.0,
        max_pending: int = 5000,
        vessel: str = SELF,
    ):
        self.db = db
        self.origin = origin or f"live:{time.time():.6f}"
        self.flush_seconds = flush_seconds
        self.max_pending = max_pending
        self.pending: list = []
        self.pending_soundings: list = []
        self.pairer = SoundingPairer(vessel=vessel)
        self.batch = 0
        self.stored = 0
        self.soundings = 0
        self.errors = 0
        self.last_error = ""
        self._last_flush = time.monotonic()
        self._lock = threading.Lock()
        self._indexed = False

    def write(self, observations: list) -> None:
        self.pending.extend(observations)
        for o in observations:
            self.pending_soundings.extend(self.pairer.feed(o))

    def due(self) -> bool:
        return bool(self.pending) and (
            len(self.pending) >= self.max_pending
            or time.monotonic() - self._last_flush >= self.flush_seconds
        )

    def flush(self, final: bool = False) -> None:
        """Write what is buffered; on a database error keep it for the next try (bounded)."""
        from isomer_data.store import observations as obs_store
        from isomer_data.store import soundings as snd_store

        with self._lock:
            if final:
                self.pending_soundings.extend(self.pairer.flush())
            batch, self.pending = self.pending, []
            sounds, self.pending_soundings = self.pending_soundings, []
            self._last_flush = time.monotonic()
            if not batch and not sounds:
                return
            try:
                if not self._indexed:
                    obs_store.ensure_indexes(self.db)
                    snd_store.ensure_indexes(self.db)
                    self._indexed = True
                self.stored += obs_store.write_observations(
                    self.db, batch, origin=self.origin, batch=self.batch
                )
                self.soundings += snd_store.write_soundings(
                    self.db, sounds, origin=self.origin, batch=self.batch
                )
                self.batch += 1
            except Exception as exc:  # the database went away: keep the data, count, go on
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("ingest store write failed (%s); will retry", self.last_error)
                self.pending = (batch + self.pending)[-self.max_pending * 20 :]
                self.pending_soundings = sounds + self.pending_soundings

    async def tick(self) -> None:
        if self.due():
            await asyncio.to_thread(self.flush)


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
