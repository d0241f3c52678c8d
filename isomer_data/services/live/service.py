"""Puts the live state on the platform (``platform.live``) with its subscriber fan-out.

Deltas that vessels publish over the hub or Signal K are also stored, through the same
bucketed store sink the ingest workers use, flushed every few seconds off the event loop;
while the database is away they are spilled to ``<instance>/spill/hub`` (bounded by
``spill_max_bytes``) and replayed when it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time

from isomer_data.services.live.state import LiveState
from isomer_data.services.live.subscriptions import Fanout

log = logging.getLogger(__name__)


def setup(platform, serverapp) -> None:
    from isomer_data.ingest.spill import Spill
    from isomer_data.ingest.worker import StoreSink

    config = platform.config
    platform.live = LiveState(
        max_contexts=config.live_max_contexts,
        max_paths=config.live_max_paths,
        max_values=config.live_max_values,
        context_max_age=float(config.live_context_max_age),
    )
    platform.fanout = Fanout(platform.live)
    # While the database is away, what vessels publish waits on disk (bounded) instead of
    # being acknowledged and lost; it is written when the database answers again.
    spill = Spill(platform.config.instance_dir / "spill" / "hub", platform.config.spill_max_bytes)
    platform.hub_store = StoreSink(
        platform.database.db, origin=f"hub:{time.time():.6f}", spill=spill
    )


async def start(platform) -> None:
    platform.live.bind_loop(asyncio.get_running_loop())
    if platform.config.sources or platform.config.sample:
        # Ingest will store soon: the store pulls in pandas and numpy, and importing them
        # holds the GIL for ~0.4 s, which would stall every live client at the first
        # flush. Pay that now, at start-up. Without sources the server stays lean.
        await asyncio.to_thread(importlib.import_module, "isomer_data.store.soundings")
        await asyncio.to_thread(importlib.import_module, "isomer_data.store.observations")
    task = asyncio.create_task(_flush(platform.hub_store), name="hub store flush")

    async def stop():
        platform.fanout.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.to_thread(platform.hub_store.flush, True)

    platform.on_close(stop)


async def _flush(sink) -> None:
    while True:
        await asyncio.sleep(sink.flush_seconds)
        if sink.waiting:
            try:
                await asyncio.to_thread(sink.flush)
            except Exception:  # never let the flusher die: the next round tries again
                log.exception("hub store flush failed")
