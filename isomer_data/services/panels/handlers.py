"""The crew panels (instruments, map, logbook) at ``/isomer/``, and their static files.

The page is plain HTML and ES modules talking to the hub; its only third-party asset,
MapLibre GL, comes from the npm registry at setup (``scripts/install``) into
``web/vendor/`` and is served from here: boats are offline, nothing loads from a CDN.
"""

from __future__ import annotations

import html
from pathlib import Path

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import FileFindHandler, JupyterHandler
from tornado import web

from isomer_data.services.auth.authorizer import PANELS

WEB = Path(__file__).resolve().parent / "web"


class PanelsHandler(JupyterHandler):
    auth_resource = PANELS

    @web.authenticated
    @authorized
    def get(self):
        user = html.escape(getattr(self.current_user, "username", ""))
        page = (WEB / "index.html").read_text()
        page = page.replace("{static}", f"{self.base_url}isomer/static/")
        page = page.replace("{base}", self.base_url).replace("{user}", user)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page)


handlers = [
    (r"/isomer/?", PanelsHandler),
    (r"/isomer/static/(.*)", FileFindHandler, {"path": [str(WEB)]}),
]
