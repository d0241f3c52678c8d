"""Scheduled backups: every ``backup_interval`` seconds, keep the newest ``backup_keep``.

The dump runs in a worker thread with the platform's synchronous client, never on the
event loop (a backup of a large database takes minutes). A failed backup is logged and
counted, and the next one is tried on schedule: it never takes the platform down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class BackupService:
    def __init__(self, platform):
        self.platform = platform
        self.task: asyncio.Task | None = None
        self.made = 0
        self.failed = 0
        self.last_error = ""

    def backup_once(self):
        """Write one scheduled backup and prune the old ones (blocking: run in a thread)."""
        from isomer_data.backups import create_backup, default_output, prune_scheduled

        config = self.platform.config
        output = default_output(config, scheduled=True)
        create_backup(config, self.platform.database.db, output, scheduled=True)
        prune_scheduled(config.backup_dir, config.backup_keep)
        return output

    async def run(self) -> None:
        interval = self.platform.config.backup_interval
        while True:
            await asyncio.sleep(interval)
            try:
                output = await asyncio.to_thread(self.backup_once)
            except Exception as exc:  # logged and counted; the next one is tried on time
                self.failed += 1
                self.last_error = str(exc).splitlines()[0]
                log.error("scheduled backup failed: %s", self.last_error)
            else:
                self.made += 1
                log.info("scheduled backup written: %s", output)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None


async def start(platform) -> None:
    service = BackupService(platform)
    platform.backups = service
    if platform.config.backup_interval <= 0:
        return
    service.task = asyncio.create_task(service.run(), name="scheduled backups")
    platform.on_close(service.stop)
