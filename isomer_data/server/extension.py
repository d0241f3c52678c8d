"""The ``isomer_data`` jupyter_server extension.

Loading it (``jpserver_extensions = {"isomer_data": True}``) opens the database — starting
the embedded server when no URL is configured — and sets up each service in ``SERVICES``.
A service is a folder under ``isomer_data/services/`` with, optionally:

- ``service.py``: ``setup(platform, serverapp)`` run at load (blocking is fine there) and
  ``async start(platform)`` run once the event loop runs (background tasks go here);
- ``handlers.py``: ``handlers``, a list of tornado URL specs;
- ``components.py``: the service's hub events (``@event(component, action, roles)``).

Stopping the server stops everything the platform started (``platform.on_close``).
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import os

from jupyter_server.extension.application import ExtensionApp

from isomer_data import __version__
from isomer_data.config import IsomerConfig
from isomer_data.platform import Platform

# The server must use these for platform users and roles to mean anything (``isomer
# launch`` and the tests set them; a plain ``jupyter server`` would not).
AUTH_CONFIG = {
    "identity_provider_class": "isomer_data.services.auth.identity.IsomerIdentityProvider",
    "authorizer_class": "isomer_data.services.auth.authorizer.IsomerAuthorizer",
    "kernel_manager_class": "isomer_data.services.auth.kernels.IsomerKernelManager",
}

# Order matters: later services may use what earlier ones put on the platform.
SERVICES = ("status", "auth", "objects", "live", "hub", "signalk", "data", "panels", "ingest")


def _service_module(service: str, part: str):
    package = f"isomer_data.services.{service}"
    name = f"{package}.{part}"
    if importlib.util.find_spec(package) is None or importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def handler_table() -> list:
    table: list = []
    for service in SERVICES:
        module = _service_module(service, "handlers")
        if module is not None:
            table.extend(module.handlers)
    return table


class IsomerDataApp(ExtensionApp):
    name = "isomer_data"
    description = "Isomer Data: open ocean data platform"
    version = __version__
    load_other_extensions = True

    platform: Platform | None = None

    def initialize_settings(self) -> None:
        config = IsomerConfig(parent=self.serverapp)
        self.platform = Platform.open(config)
        self.settings["isomer"] = self.platform
        # Kernels inherit the server's environment: isomer_data.connect() finds the data.
        os.environ["ISOMER_DATA_DB"] = self.platform.database.url_with_database
        for service in SERVICES:
            _service_module(service, "components")  # registers the service's hub events
            module = _service_module(service, "service")
            if module is not None and hasattr(module, "setup"):
                module.setup(self.platform, self.serverapp)
        self.log.info(
            "Isomer Data %s: instance %r, %s database %s",
            __version__,
            config.instance,
            self.platform.database.kind,
            self.platform.database.name,
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend(handler_table())

    async def _start_jupyter_server_extension(self, serverapp) -> None:
        await super()._start_jupyter_server_extension(serverapp)
        for service in SERVICES:
            module = _service_module(service, "service")
            if module is not None and hasattr(module, "start"):
                await module.start(self.platform)
        self.platform.supervise_database()
        # What start-up built lives until shutdown; moving it out of the collector's way
        # keeps full collections short, or every live client would wait for them.
        gc.collect()
        gc.freeze()

    async def stop_extension(self) -> None:
        if self.platform is not None:
            await self.platform.close()
            self.platform = None
