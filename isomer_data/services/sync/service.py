"""Store-and-forward sync: the shore's receiving end and, on a boat, the background sender.

Every platform can receive (``/isomer/api/sync/batches``, for vessel identities); a platform
with ``sync_to`` set also sends, in a thread of its own: catch up, wait ``POLL_SECONDS``
(or until stopped), again. The event loop only starts and stops it.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from isomer_data.services.sync import protocol, shore

log = logging.getLogger(__name__)

POLL_SECONDS = 10.0


class Shore:
    Gap = shore.Gap

    def __init__(self, platform):
        self.platform = platform
        self.locks: dict[str, asyncio.Lock] = {}

    async def urn(self, user) -> str:
        doc = await self.platform.users.get(getattr(user, "username", "")) or {}
        return shore.vessel_urn({"username": getattr(user, "username", ""), **doc})

    def busy(self, urn: str) -> bool:
        lock = self.locks.get(urn)
        return lock is not None and lock.locked()

    async def submit(self, user, name: str, codec: str, body: bytes) -> dict:
        urn = await self.urn(user)
        lock = self.locks.setdefault(urn, asyncio.Lock())
        async with lock:  # one batch of a vessel at a time: positions advance in order
            return await asyncio.to_thread(self._submit, urn, name, codec, body)

    def _submit(self, urn: str, name: str, codec: str, body: bytes) -> dict:
        db = self.platform.database.db
        old = db[shore.RECEIPTS].find_one({"_id": f"{urn}/{name}"})
        if old is not None:
            return old["ack"]
        return shore.apply_batch(db, urn, name, protocol.decode(body, codec, name))

    async def position(self, user) -> tuple[str, int]:
        urn = await self.urn(user)
        return urn, await asyncio.to_thread(shore.position, self.platform.database.db, urn)


class Background:
    """The boat's continuous sender: a thread, stopped through an event."""

    def __init__(self, platform):
        from isomer_data.services.sync.sender import Sender

        config = platform.config
        self.stop_event = threading.Event()
        self.sender = Sender(
            platform.database.db,
            config.sync_to,
            config.sync_token,
            bandwidth=config.sync_bandwidth,
            window=config.sync_window,
            stop=self.stop_event,
        )
        self.last = None
        self.last_error = ""
        self.thread = threading.Thread(target=self.loop, name="isomer sync", daemon=True)

    def loop(self) -> None:
        from isomer_data.services.sync.sender import Refused

        while not self.stop_event.is_set():
            try:
                self.last = self.sender.run()
                self.last_error = ""
            except Refused as exc:
                self.last_error = str(exc).splitlines()[0]
                log.error("sync stopped: %s", self.last_error)
                return
            except Exception as exc:  # logged; tried again after the pause
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("sync failed: %s", self.last_error)
            self.stop_event.wait(POLL_SECONDS)

    async def stop(self) -> None:
        self.stop_event.set()
        await asyncio.to_thread(self.thread.join, 30)


def setup(platform, serverapp) -> None:
    from isomer_data.services.sync.shore import RECEIPTS, VESSELS
    from isomer_data.store.sync import STATE, TOMBSTONES

    platform.sync_shore = Shore(platform)
    platform.sync_sender = None
    # Created before the first request (store/collections.py: SecantusDB's creation race).
    platform.collections.update((STATE, TOMBSTONES, RECEIPTS, VESSELS))


async def start(platform) -> None:
    from isomer_data.store import sync as seq_store
    from isomer_data.store.collections import ensure_shard_key_indexes

    await asyncio.to_thread(seq_store.ensure_indexes, platform.database.db)
    # A shore's time series are sharded by vessel and time (store/collections.py).
    await asyncio.to_thread(ensure_shard_key_indexes, platform.database.db)
    if not platform.config.sync_to:
        return
    background = Background(platform)
    platform.sync_sender = background
    background.thread.start()
    platform.on_close(background.stop)
    log.info("syncing to %s", platform.config.sync_to)
