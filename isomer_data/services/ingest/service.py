"""The platform's own ingest workers: configured sources, or the sample voyage.

With no source configured and ``sample`` on, the bundled voyage is replayed in real time,
looping and stamped with the current time, so a fresh install shows live data at once; and
the whole sample (both of its vessels, at their own 2024 times, with their metadata) is
stored once, so the example notebooks have a voyage to explore, map and compare from the
first minute (``isomer_data.samples.load_sample``; its ingest checkpoints make later starts
skip it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

log = logging.getLogger(__name__)


class IngestService:
    def __init__(self, platform):
        self.platform = platform
        self.workers: list = []
        self.tasks: list[asyncio.Task] = []
        self.clock = None  # the workers' clock (ingest.worker.SystemClock unless set)
        # The bundled sample's one-off store (None: not replaying the sample), in the status.
        self.sample: dict | None = None

    def replays_sample(self) -> bool:
        config = self.platform.config
        return bool(config.sample and not config.sources)

    def urls(self) -> list[str]:
        config = self.platform.config
        if config.sources:
            return list(config.sources)
        if config.sample:
            from isomer_data.samples import VOYAGE_NMEA

            return [f"file://{VOYAGE_NMEA}?replay=realtime&loop=1&restamp=1"]
        return []

    async def start(self) -> None:
        from isomer_data.ingest.spill import Spill
        from isomer_data.ingest.worker import IngestWorker, LiveSink, StoreSink

        config = self.platform.config
        for number, url in enumerate(self.urls()):
            # The run's start time is part of the origin: bucket ids derive from origin and
            # batch number, and batch numbers restart with the platform.
            origin = f"live:{url}:{time.time():.6f}"
            # instruments keep talking while the database is away: keep it on disk (bounded)
            spill = Spill(
                config.instance_dir / "spill" / f"ingest-{number}", config.spill_max_bytes
            )
            sinks = [StoreSink(self.platform.database.db, origin=origin, spill=spill)]
            live = self.platform.live
            if live is not None:
                sinks.append(LiveSink(live))
            worker = IngestWorker(url, sinks=sinks, clock=self.clock)
            self.workers.append(worker)
            task = asyncio.create_task(self._run(worker), name=f"ingest {url}")
            self.tasks.append(task)
            log.info("ingesting %s", url)

    async def _run(self, worker) -> None:
        try:
            await worker.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a broken source must not take the platform down
            log.error("ingest worker %s stopped: %s", worker.url, exc)
            worker.source.state, worker.source.error = "failed", str(exc)

    def status(self) -> list[dict]:
        return [w.status() for w in self.workers]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for worker in self.workers:
            for sink in worker.sinks:
                await asyncio.to_thread(sink.flush, True)
        self.tasks.clear()


def setup(platform, serverapp) -> None:
    platform.ingest = IngestService(platform)
    platform.on_close(platform.ingest.stop)
    if platform.ingest.replays_sample():
        from isomer_data.store.reports import CHECKPOINTS, REPORTS
        from isomer_data.store.sync import STATE
        from isomer_data.store.vessels import COLLECTION as VESSELS

        # Created before the first request (store/collections.py: SecantusDB's creation race).
        platform.collections.update((REPORTS, CHECKPOINTS, STATE, VESSELS))


async def start(platform) -> None:
    if platform.ingest.replays_sample():
        from isomer_data.samples import load_sample

        platform.ingest.sample = {"state": "storing"}
        try:
            stored = await asyncio.to_thread(load_sample, platform.database.db)
        except Exception as exc:  # the sample is a courtesy: the platform runs without it
            log.warning("could not store the sample voyage: %s", exc)
            platform.ingest.sample = {"state": "failed"}
        else:
            log.info("sample stored: %s observations per vessel", stored)
            platform.ingest.sample = {"state": "stored", "observations": sum(stored.values())}
    await platform.ingest.start()
