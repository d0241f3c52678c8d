"""The ``isomer_data`` jupyter_server extension.

Loading it (``jpserver_extensions = {"isomer_data": True}``) opens the database — starting
the embedded server when no URL is configured — and sets up each service in ``SERVICES``.
A service is a folder under ``isomer_data/services/`` with, optionally:

- ``service.py``: ``setup(platform, serverapp)`` run at load (blocking is fine there) and
  ``async start(platform)`` run once the event loop runs (background tasks go here);
- ``handlers.py``: ``handlers``, a list of tornado URL specs;
- ``components.py``: the service's hub events (``@event(component, action, roles)``).

Services are found the way modules will be: the built-ins first (``SERVICES``), then the
entry points of the group ``isomer_data.services``, each naming a package laid out as above.
A service whose setup or start raises is reported in ``/isomer/api/status`` (its handlers
are not mounted) and the others go on: one broken part never takes the platform down.

Modules (``isomer_data.core.modules``, ``docs/modules.md``) load after the services with the
same isolation: built-in modules first, then the entry points of ``isomer_data.modules``
(none of those with ``safe_mode``); a failed one is in the status's ``failed_modules``.

Stopping the server stops everything the platform started (``platform.on_close``).
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import logging
import os
from importlib.metadata import entry_points

from jupyter_server.extension.application import ExtensionApp
from pymongo.errors import PyMongoError

from isomer_data import __version__
from isomer_data.config import IsomerConfig
from isomer_data.platform import Platform
from isomer_data.store.collections import ensure_collections

# The server must use these for platform users and roles to mean anything (``isomer
# launch`` and the tests set them; a plain ``jupyter server`` would not).
AUTH_CONFIG = {
    "identity_provider_class": "isomer_data.services.auth.identity.IsomerIdentityProvider",
    "authorizer_class": "isomer_data.services.auth.authorizer.IsomerAuthorizer",
    "kernel_manager_class": "isomer_data.services.auth.kernels.IsomerKernelManager",
}

log = logging.getLogger(__name__)

# Order matters: later services may use what earlier ones put on the platform.
SERVICES = (
    "status",
    "auth",
    "objects",
    "live",
    "hub",
    "charts",
    "signalk",
    "data",
    "panels",
    "modules",
    "webapps",
    "ingest",
    "backup",
    "sync",
)
SERVICE_ENTRY_POINTS = "isomer_data.services"


def discover_services() -> dict[str, str]:
    """``name -> package`` of every service: the built-ins, then installed ones."""
    found = {name: f"isomer_data.services.{name}" for name in SERVICES}
    for ep in entry_points(group=SERVICE_ENTRY_POINTS):
        if ep.name in found:
            log.warning("service %r from %s ignored: the name is taken", ep.name, ep.value)
        else:
            found[ep.name] = ep.value
    return found


def _service_module(package: str, part: str):
    name = f"{package}.{part}"
    if importlib.util.find_spec(package) is None or importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def handler_table(services: dict[str, str] | None = None, failed=()) -> list:
    table: list = []
    for name, package in (services or discover_services()).items():
        if name in failed:
            continue
        module = _service_module(package, "handlers")
        if module is not None:
            table.extend(module.handlers)
    return table


class IsomerDataApp(ExtensionApp):
    name = "isomer_data"
    description = "Isomer Data: open ocean data platform"
    version = __version__
    load_other_extensions = True

    platform: Platform | None = None
    services: dict[str, str] = {}

    def initialize_settings(self) -> None:
        config = IsomerConfig(parent=self.serverapp)
        self.platform = Platform.open(config)
        self.settings["isomer"] = self.platform
        # Kernels inherit the server's environment: isomer_data.connect() finds the data.
        os.environ["ISOMER_DATA_DB"] = self.platform.database.url_with_database
        self.services = discover_services()
        for name, package in self.services.items():
            try:
                components = _service_module(package, "components")
                if components is not None:
                    self.platform.events.add_module(components, name)
                module = _service_module(package, "service")
                if module is not None and hasattr(module, "setup"):
                    module.setup(self.platform, self.serverapp)
            except Exception as exc:  # a broken service is reported; the others go on
                self.log.exception("Isomer Data service %r could not be set up", name)
                self.platform.events.remove_owner(name)
                self.platform.service_failed(name, "setup", exc)
        from isomer_data.services.modules.manager import ModuleManager

        self.platform.modules = ModuleManager(self.platform, safe_mode=config.safe_mode)
        self.platform.modules.load_all()
        self.platform.on_close(self.platform.modules.close)
        try:
            ensure_collections(self.platform.database.db, self.platform.collections)
        except PyMongoError as exc:  # the database is away: start anyway, report unhealthy
            self.log.warning("could not create the platform's collections: %s", exc)
        self.log.info(
            "Isomer Data %s: instance %r, %s database %s",
            __version__,
            config.instance,
            self.platform.database.kind,
            self.platform.database.name,
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend(handler_table(self.services, self.platform.failed_services))
        self.handlers.extend(self.platform.modules.handler_table())

    async def _start_jupyter_server_extension(self, serverapp) -> None:
        await super()._start_jupyter_server_extension(serverapp)
        for name, package in self.services.items():
            if name in self.platform.failed_services:
                continue
            module = _service_module(package, "service")
            if module is None or not hasattr(module, "start"):
                continue
            try:
                await module.start(self.platform)
            except Exception as exc:  # reported in the status; the others still start
                self.log.exception("Isomer Data service %r could not start", name)
                self.platform.service_failed(name, "start", exc)
        try:
            await self.platform.modules.start_all()
        except Exception as exc:  # e.g. the database is away: modules wait, the rest runs
            self.log.exception("Isomer Data modules could not start")
            self.platform.service_failed("modules", "start", exc)
        self.platform.supervise_database()
        # What start-up built lives until shutdown; moving it out of the collector's way
        # keeps full collections short, or every live client would wait for them.
        gc.collect()
        gc.freeze()

    async def stop_extension(self) -> None:
        if self.platform is not None:
            await self.platform.close()
            self.platform = None
