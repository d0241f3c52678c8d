"""Health check: public like any health check, and it reveals nothing secret."""

from __future__ import annotations

import json

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import JupyterHandler


class StatusHandler(JupyterHandler):
    @allow_unauthenticated
    async def get(self) -> None:
        status = await self.settings["isomer"].status()
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        if not status["healthy"]:
            self.set_status(503)
        self.finish(json.dumps(status))


handlers = [(r"/isomer/api/status", StatusHandler)]
