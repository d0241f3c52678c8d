"""The ``isomer_data`` jupyter_server extension.

Loading it (``jpserver_extensions = {"isomer_data": True}``) opens the database — starting
the embedded server when no URL is configured — and mounts the platform's handlers.
Stopping the server stops everything the platform started.
"""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp

from isomer_data import __version__
from isomer_data.config import IsomerConfig
from isomer_data.platform import Platform


def handler_table() -> list:
    from isomer_data.services.status.handlers import handlers as status_handlers

    return [*status_handlers]


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
        self.log.info(
            "Isomer Data %s: instance %r, %s database %s",
            __version__,
            config.instance,
            self.platform.database.kind,
            self.platform.database.name,
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend(handler_table())

    async def stop_extension(self) -> None:
        if self.platform is not None:
            await self.platform.close()
            self.platform = None
