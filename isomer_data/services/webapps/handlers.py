"""``GET /skServer/webapps``: the Signal K web apps this platform serves, as Signal K
server lists them (their package.json fields; app launchers and docks read it).

The apps themselves are modules (``core/webapps.py``); their files are mounted with the
modules' handlers (``services/modules/handlers.py``). Any logged-in person may list them.
"""

from __future__ import annotations

import json

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from isomer_data.services.auth.authorizer import SIGNALK


class WebAppListHandler(APIHandler):
    auth_resource = SIGNALK

    @web.authenticated
    @authorized
    def get(self):
        modules = getattr(self.settings["isomer"], "modules", None)
        apps = modules.webapps() if modules is not None else []
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps([app.listing(self.base_url) for app in apps]))


handlers = [(r"/skServer/webapps/?", WebAppListHandler)]
