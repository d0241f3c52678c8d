"""Modules over HTTP: the panel manifest for the shell, and each module's own handlers.

``GET /isomer/api/modules/panels``: the panels the caller's roles see, of running modules
(any logged-in user; the shell imports each ``script`` with a dynamic ``import()``); 503
with ``Retry-After`` while the modules are still starting.

A module's handlers are mounted under ``/isomer/m/<name>/`` and its ``web`` folder at
``/isomer/m/<name>/static/``. Every request there passes :class:`_Guard` first, whatever the
module's own code does: a login is needed (``@allow_unauthenticated`` in a module is
ignored), the caller needs one of the module's ``handler_roles`` (admins always), the module
must be running (404 otherwise), and a state-changing request (not GET/HEAD/OPTIONS) or a
websocket upgrade from a browser page of another origin is refused (403), token or cookie,
on top of Jupyter's XSRF check for cookies.
"""

from __future__ import annotations

import inspect
import json
import re

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web

from isomer_data.core import modules as modules_contract
from isomer_data.core.roles import ADMIN, ANONYMOUS, roles_of
from isomer_data.services.auth.authorizer import PANELS
from isomer_data.services.auth.origin import SAFE_METHODS, same_origin

ModuleHandler = modules_contract.ModuleHandler  # the base class module authors use


class ModuleStaticHandler(JupyterHandler, web.StaticFileHandler):
    """A module's ``web`` folder.

    Not Jupyter's ``FileFindHandler``: that one caches resolved paths by file name alone,
    class-wide, so every module's ``panel.js`` would be the first module's.
    """

    def set_headers(self) -> None:
        super().set_headers()
        # a reinstalled module's panel is seen at the next page load
        self.set_header("Cache-Control", "no-cache")


class _Guard:
    isomer_module = None  # the LoadedModule, set on each generated class

    async def prepare(self):
        result = super().prepare()
        if inspect.isawaitable(result):
            await result
        if self._finished:  # Jupyter sent an anonymous GET to the login page
            return
        loaded = self.isomer_module
        roles = roles_of(self.current_user)
        if self.current_user is None or ANONYMOUS in roles:
            raise web.HTTPError(403, "a login is needed")
        if ADMIN not in roles and not any(r in loaded.module.handler_roles for r in roles):
            raise web.HTTPError(403, f"module {loaded.name} is not for your roles")
        if not loaded.running:
            raise web.HTTPError(404, f"module {loaded.name} is {loaded.state}")
        changes = self.request.method not in SAFE_METHODS
        upgrade = self.request.headers.get("Upgrade", "").lower() == "websocket"
        if (changes or upgrade) and not self._same_origin():
            raise web.HTTPError(403, "cross-origin request refused")

    def _same_origin(self) -> bool:
        return same_origin(self)


class WebAppStaticHandler(ModuleStaticHandler):
    """A web app's ``public`` folder at ``/<package>/``, where Signal K server serves it."""


class WebAppSlashHandler(JupyterHandler):
    """``/<package>`` → ``/<package>/`` (the app's relative links need the slash)."""

    def get(self):
        self.redirect(self.request.path + "/", permanent=False)


def guarded(loaded, cls) -> type:
    if not (isinstance(cls, type) and issubclass(cls, JupyterHandler)):
        raise TypeError(
            f"handler {cls!r} of module {loaded.name} must subclass "
            "isomer_data.core.modules.ModuleHandler (or jupyter_server's JupyterHandler)"
        )
    methods = {}
    for name in cls.SUPPORTED_METHODS:
        method = getattr(cls, name.lower())
        if method is not web.RequestHandler._unimplemented_method:
            # Jupyter's own login check as well (its start-up audit then sees it too).
            methods[name.lower()] = web.authenticated(method)
    return type(cls.__name__, (_Guard, cls), {"isomer_module": loaded, **methods})


def module_handlers(loaded) -> list:
    """The URL specs of one loaded module, every one behind the guard."""
    module = loaded.module
    prefix = f"/isomer/m/{loaded.name}/"
    table = []
    for spec in module.handlers:
        pattern, cls, *kwargs = spec
        # grouped, so an alternation in a module's pattern cannot reach outside its prefix
        table.append((f"{prefix}(?:{pattern.lstrip('/')})", guarded(loaded, cls), *kwargs))
    if module.webapp is not None:
        root = "/" + re.escape(module.webapp.package)
        table.append((root, guarded(loaded, WebAppSlashHandler)))
        table.append(
            (
                root + "/(.*)",
                guarded(loaded, WebAppStaticHandler),
                {"path": str(module.webapp.public), "default_filename": "index.html"},
            )
        )
    if module.web is not None:
        table.append(
            (
                prefix + r"static/(.*)",
                guarded(loaded, ModuleStaticHandler),
                {"path": str(module.web)},
            )
        )
    return table


class PanelManifestHandler(APIHandler):
    """``GET /isomer/api/modules/panels``: the panels this user's roles see."""

    auth_resource = PANELS

    @web.authenticated
    @authorized
    def get(self):
        modules = getattr(self.settings["isomer"], "modules", None)
        self.set_header("Cache-Control", "no-store")
        if modules is None or not modules.started:
            # the server listens before its modules have started: ask again shortly
            self.set_status(503)
            self.set_header("Retry-After", "1")
            self.finish(json.dumps({"error": {"code": "starting", "message": "modules start"}}))
            return
        panels = modules.panels_for(self.current_user, self.base_url)
        self.finish(json.dumps({"panels": panels}))


handlers = [(r"/isomer/api/modules/panels", PanelManifestHandler)]
