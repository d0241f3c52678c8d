"""The running platform: what lives from server start to server stop.

Handlers reach it as ``self.settings["isomer"]``. It owns the database (and the embedded
child, if any) so that stopping the platform, by any route, stops everything it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from isomer_data import __version__
from isomer_data.config import IsomerConfig
from isomer_data.core.events import EventTable
from isomer_data.database import Database, open_database
from isomer_data.store.collections import STORE

if TYPE_CHECKING:  # the services import the platform's module, not the other way round
    from isomer_data.ingest.worker import StoreSink
    from isomer_data.services.auth.guard import SocketGuard
    from isomer_data.services.auth.identity import IsomerIdentityProvider
    from isomer_data.services.auth.users import UserStore
    from isomer_data.services.backup.service import BackupService
    from isomer_data.services.charts.manager import ChartManager
    from isomer_data.services.hub.hub import Hub
    from isomer_data.services.ingest.service import IngestService
    from isomer_data.services.live.state import LiveState
    from isomer_data.services.live.subscriptions import Fanout
    from isomer_data.services.objects.manager import ObjectManager
    from isomer_data.services.objects.schemas import SchemaRegistry
    from isomer_data.services.signalk.access import AccessRequests
    from isomer_data.services.signalk.appdata import ApplicationData
    from isomer_data.services.signalk.course import Course
    from isomer_data.services.signalk.notifications import Notifications
    from isomer_data.services.signalk.puts import PutRequests
    from isomer_data.services.signalk.resources import SignalKResources
    from isomer_data.services.sync.service import Background, Shore

log = logging.getLogger(__name__)

HEALTH_CACHE_SECONDS = 1.0


class Platform:
    """What lives from start to stop; each service sets its part at setup.

    The parts are declared here, typed, rather than attached ad hoc: a part whose service
    is not loaded (or failed, see ``failed_services``) is ``None``, and code that can run
    without it checks for that.
    """

    users: UserStore | None = None  # auth
    identity: IsomerIdentityProvider | None = None  # auth
    schemas: SchemaRegistry | None = None  # objects
    objects: ObjectManager | None = None  # objects
    live: LiveState | None = None  # live
    fanout: Fanout | None = None  # live
    hub_store: StoreSink | None = None  # live: what vessels publish, stored
    hub: Hub | None = None  # hub
    guard: SocketGuard | None = None  # hub: open sockets re-check who they are
    access: AccessRequests | None = None  # signalk: device access requests
    charts: ChartManager | None = None  # charts: chart resources and their tiles
    appdata: ApplicationData | None = None  # signalk: web apps' settings (applicationData)
    resources: SignalKResources | None = None  # signalk: v2 resources over the objects
    course: Course | None = None  # signalk: v2 course (destination, active route)
    notifications: Notifications | None = None  # signalk: alarm states, silence, acknowledge
    puts: PutRequests | None = None  # signalk: PUT request handlers and request states
    ingest: IngestService | None = None  # ingest
    backups: BackupService | None = None  # backup: scheduled backups
    sync_shore: Shore | None = None  # sync: applies boats' batches (every platform can be a shore)
    sync_sender: Background | None = None  # sync: this boat's sender, when sync_to is set

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
        self.supervisor = None
        # This platform's hub events, from the services and modules it loaded.
        self.events = EventTable()
        # Every collection the platform writes, created before the first request (see
        # isomer_data.store.collections); services add theirs at setup.
        self.collections: set[str] = set(STORE)
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

    def supervise_database(self, **options) -> None:
        """Restart the embedded database child if it dies (no-op for an external MongoDB)."""
        embedded = self.database.embedded
        if embedded is None or self.supervisor is not None:
            return
        from isomer_data.database.supervisor import Supervisor

        self.supervisor = Supervisor(embedded, **options)
        task = asyncio.get_running_loop().create_task(
            self.supervisor.run(), name="embedded database supervisor"
        )

        async def stop():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        self.on_close(stop)

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
        status["data"] = self.data_counters()
        if self.charts is not None:
            status["charts"] = self.charts.status()
        if self.failed_modules:
            status["failed_modules"] = self.failed_modules
        return status

    def data_counters(self) -> dict:
        """What was refused, lost or is waiting for the database: counts only, nothing secret."""
        counters: dict = {}
        live = self.live
        if live is not None:
            counters["rejected"] = live.rejected  # items refused at the edge
            # refused by the live state's bounds (resources.*, too many vessels or paths)
            for name, count in live.refused.items():
                counters[f"refused_{name}"] = count
            counters["live_values"] = len(live.latest)
            counters["live_expired"] = live.expired  # vessels forgotten to make room
        store = self.hub_store
        if store is not None:
            counters["store_invalid"] = store.invalid
            counters["store_failed"] = store.failed
            if store.spill is not None:
                counters["spill_bytes"] = store.spill.used
        if self.supervisor is not None:
            counters["database_restarts"] = self.supervisor.restarts
        ingest = self.ingest
        if ingest is not None and ingest.sample is not None:
            counters["sample"] = ingest.sample  # the bundled sample's store at first start
        return counters

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
