"""The running platform: what lives from server start to server stop.

Handlers reach it as ``self.settings["isomer"]``. It owns the database (and the embedded
child, if any) so that stopping the platform, by any route, stops everything it started.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from isomer_data import __version__
from isomer_data.config import IsomerConfig
from isomer_data.database import Database, open_database

log = logging.getLogger(__name__)

HEALTH_CACHE_SECONDS = 1.0


class Platform:
    def __init__(self, config: IsomerConfig, database: Database):
        self.config = config
        self.database = database
        self.started_monotonic = time.monotonic()
        self.started = datetime.now(UTC)
        self._aclient = None
        self._health: tuple[float, bool, str] | None = None
        self._closers: list = []
        # name -> {"stage", "error"} for services whose setup or start raised
        self.failed_services: dict[str, dict] = {}
        # name -> {"stage", "error"} for modules that failed to load or start
        self.failed_modules: dict[str, dict] = {}

    @classmethod
    def open(cls, config: IsomerConfig) -> Platform:
        return cls(config, open_database(config))

    @property
    def aclient(self):
        if self._aclient is None:
            self._aclient = self.database.async_client()
        return self._aclient

    @property
    def adb(self):
        return self.aclient[self.database.name]

    def service_failed(self, name: str, stage: str, exc: BaseException) -> None:
        """Record a broken service (the traceback goes to the log, not to the public status)."""
        self.failed_services[name] = {"stage": stage, "error": type(exc).__name__}

    def on_close(self, closer) -> None:
        """Register an async or sync callable run at shutdown, newest first."""
        self._closers.append(closer)

    async def health(self) -> tuple[bool, str]:
        """Whether the database answers; cached briefly so a polling panel costs nothing."""
        now = time.monotonic()
        if self._health and now - self._health[0] < HEALTH_CACHE_SECONDS:
            return self._health[1], self._health[2]
        healthy, problem = True, ""
        embedded = self.database.embedded
        if embedded is not None and not embedded.alive:
            healthy, problem = False, "50023: the embedded database stopped"
        else:
            try:
                await asyncio.wait_for(self.aclient.admin.command("ping"), timeout=3)
            except Exception as exc:  # any failure means "not healthy", reported as such
                healthy, problem = False, f"50020: {type(exc).__name__}"
        self._health = (now, healthy, problem)
        return healthy, problem

    async def status(self) -> dict:
        healthy, problem = await self.health()
        status = {
            "version": __version__,
            "instance": self.config.instance,
            "database": self.database.kind,
            "healthy": healthy,
            "started": self.started.isoformat().replace("+00:00", "Z"),
            "uptime": round(time.monotonic() - self.started_monotonic, 3),
        }
        if problem:
            status["problem"] = problem
        if self.failed_services:
            status["failed_services"] = self.failed_services
        if self.failed_modules:
            status["failed_modules"] = self.failed_modules
        return status

    async def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                result = closer()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("error while stopping %r", closer)
        if self._aclient is not None:
            await self._aclient.close()
            self._aclient = None
        self.database.close()
