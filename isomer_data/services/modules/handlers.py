"""Modules over HTTP: the panel manifest for the shell, and each module's own handlers.

``GET /isomer/api/modules/panels``: the panels the caller's roles see, of running modules
(any logged-in user; the shell imports each ``script`` with a dynamic ``import()``); 503
with ``Retry-After`` while the modules are still starting.

A module's handlers are mounted under ``/isomer/m/<name>/`` and its ``web`` folder at
``/isomer/m/<name>/static/``. Every request there passes :class:`_Guard` first, whatever the
module's own code does: a login is needed (``@allow_unauthenticated`` in a module is
ignored), the caller needs one of the module's ``handler_roles`` (admins always), the module
must be running (404 otherwise), a viewer (read-only) login makes no state-changing
request whatever the module's ``handler_roles`` say (403), and a state-changing request (not GET/HEAD/OPTIONS) or a
websocket upgrade from a browser page of another origin is refused (403), token or cookie,
on top of Jupyter's XSRF check for cookies.
"""

from __future__ import annotations

import inspect
import json
import re
from functools import lru_cache
from pathlib import Path

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web

from isomer_data.core import modules as modules_contract
from isomer_data.core.roles import ADMIN, ANONYMOUS, read_only, roles_of
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
        if changes and read_only(roles):
            raise web.HTTPError(403, "your login reads and changes nothing")
        upgrade = self.request.headers.get("Upgrade", "").lower() == "websocket"
        if (changes or upgrade) and not self._same_origin():
            raise web.HTTPError(403, "cross-origin request refused")

    def _same_origin(self) -> bool:
        return same_origin(self)


# What a web app's pages may load and connect to: this server only (and data:/blob: URLs
# they make themselves). Apps written for a boat with internet reach out on their own —
# Freeboard-SK 2.24 fetches https://tile.openstreetmap.org at every start to see whether
# there is internet — and the browser refuses those here before anything is sent: nothing
# leaves the boat, and no app can send the crew's data to another site. Scripts and styles
# inline in the apps' own pages stay allowed (Freeboard-SK's index.html has an inline
# handler; another app's may have inline scripts): the policy confines where requests go,
# it does not guard the apps against their own bugs.
WEBAPP_SOURCES = (
    "default-src 'self' data: blob:",
    "script-src 'self' 'unsafe-inline' blob:",
    "style-src 'self' 'unsafe-inline' data: blob:",
    "connect-src 'self' data: blob:",
    "worker-src 'self' blob:",
    "base-uri 'self'",
    "form-action 'self'",
)


# Web apps that keep their settings in the browser's localStorage and copy them to the
# server's applicationData only once started: package → (localStorage key, app id, version).
# Freeboard-SK 2.24 starts from its built-in settings (internet maps ticked) on a device it
# has not run on, writes them to the server before reading the server's (replacing what the
# user had there), and warns "Internet Map Service Unavailable" offline. Its page therefore
# comes with the user's settings from the server — theirs, else the platform's defaults
# (``services/signalk/appdefaults``: the offline world basemap ticked) — put in localStorage
# before the app starts, on a device where it has none yet.
SETTINGS_SEEDS = {"@signalk/freeboard-sk": ("freeboard_config", "freeboard", "1.0.0")}


@lru_cache(maxsize=8)
def _page(path: Path, mtime: float) -> str:
    return path.read_text(encoding="utf-8")


def seeded_page(page: str, key: str, settings) -> str:
    """The app's page with a first script that stores ``settings`` under ``key`` in
    localStorage unless the app has something there already."""
    # JSON inside <script>: "<" escaped, so no "</script>" in a value can end the element
    value = json.dumps(json.dumps(settings, separators=(",", ":"))).replace("<", "\\u003c")
    script = (
        "<script>/* isomer-data: the user's settings from the server (docs/webapps.md) */"
        f"try{{if(!localStorage.getItem({json.dumps(key)}))"
        f"localStorage.setItem({json.dumps(key)},{value})}}catch(e){{}}</script>"
    )
    head = re.search(r"<head[^>]*>", page, re.IGNORECASE)
    at = head.end() if head else 0
    return page[:at] + script + page[at:]


class WebAppStaticHandler(ModuleStaticHandler):
    """A web app's ``public`` folder at ``/<package>/``, where Signal K server serves it,
    under :data:`WEBAPP_SOURCES`; the page of an app in :data:`SETTINGS_SEEDS` carries the
    user's settings."""

    @property
    def content_security_policy(self) -> str:
        return "; ".join((*WEBAPP_SOURCES, super().content_security_policy))

    def compute_etag(self):
        if getattr(self, "absolute_path", None) is None:
            return None  # a seeded page: the user's, not a file's
        return super().compute_etag()

    async def get(self, path: str, include_body: bool = True):
        seed = SETTINGS_SEEDS.get(self.isomer_module.module.webapp.package)
        appdata = getattr(self.settings["isomer"], "appdata", None)
        if seed is None or appdata is None or path not in ("", "index.html"):
            return await super().get(path, include_body)
        key, appid, version = seed
        index = Path(self.root) / "index.html"
        page = _page(index, index.stat().st_mtime)
        settings = await appdata.read(self.current_user, "user", appid, version, "", False)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")  # the user's own settings are in it
        self.finish(
            (seeded_page(page, key, settings) if settings else page) if include_body else None
        )


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
