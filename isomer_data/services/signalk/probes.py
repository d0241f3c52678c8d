"""What Signal K web apps ask a Signal K server beside the data, answered as Signal K server
2.x (with security on and its resources provider) answers it, so Freeboard-SK and the
instrument apps start without a failed request.

| route | who | answer |
|---|---|---|
| ``GET /skServer/loginStatus`` | anyone | ``loggedIn`` with the user and its Signal K level (admin → ``admin``, crew and scientist → ``readwrite``, vessel → ``readonly``), or ``notLoggedIn`` |
| ``GET /signalk/v2/features`` | anyone | the Signal K APIs the platform implements and the plugins it knows |
| ``GET /signalk/v1/unitpreferences/{active,config,presets/NAME}`` | a login | the active preset: the user's own (applicationData ``unitpreferences``), else the platform's |
| ``GET /signalk/v1/api/tracks`` | a login | other vessels' tracks as the tracks plugin gives them (none kept: ``{}``) |
| ``GET /signalk/v2/api/vessels/self/radars`` | a login | the radars (none: ``[]``) |
| ``GET /plugins/ID`` | a login (401 without: apps test the login with it) | a web app's server plugin, known but not run here (``enabled: false``); 404 for others |
| ``POST /plugins/resources-provider/_config/TYPE`` | readwrite, admin | registers a custom resource type (kept in ``signalk_resource_types``) |

The login cookie is accepted by all of them; writes need this origin's ``Origin`` (or Jupyter's
XSRF token) and are refused from any other origin (``services/auth/origin.py``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from jupyter_server.auth.decorator import allow_unauthenticated, authorized
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web

from isomer_data.core.errors import DomainError
from isomer_data.core.parsing import parse as parse_json
from isomer_data.core.roles import ADMIN, ANONYMOUS, CREW, SCIENTIST, roles_of
from isomer_data.services.auth.authorizer import SIGNALK
from isomer_data.services.auth.origin import SameOriginWrites

# The Signal K v2 APIs the platform answers (resources, course and notifications: the
# Signal K API service; applicationData and unit preferences: here).
APIS = ("resources", "course", "notifications")
PRESETS = Path(__file__).resolve().parent / "unitpreferences"
DEFAULT_PRESET = "nautical-metric"
PRESET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
RESOURCE_TYPES = "signalk_resource_types"
MAX_DESCRIPTION = 1000


def signalk_level(roles) -> str:
    """A user's Signal K permission level, from the platform's roles."""
    roles = set(roles)
    if ADMIN in roles:
        return "admin"
    if roles & {CREW, SCIENTIST}:
        return "readwrite"
    return "readonly"  # viewer (a readonly device), vessel, anyone else


def logged_in(user) -> bool:
    return user is not None and ANONYMOUS not in roles_of(user)


def preset(name: str) -> dict | None:
    if not PRESET_NAME.match(name or ""):
        return None
    path = PRESETS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


class SignalKAPIHandler(SameOriginWrites, APIHandler):
    """JSON in and out; a ``DomainError`` is answered with its status and message."""

    auth_resource = SIGNALK

    def reply(self, value, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(value))

    def refuse(self, exc: DomainError) -> None:
        self.reply({"message": exc.message}, exc.http_status)


class LoginStatusHandler(JupyterHandler):
    """``GET /skServer/loginStatus``: apps ask it before anything else (public, by design)."""

    @allow_unauthenticated
    def get(self):
        status = {
            "status": "notLoggedIn",
            "readOnlyAccess": False,
            "authenticationRequired": True,
            "allowNewUserRegistration": False,
            "allowDeviceAccessRequests": True,
        }
        user = self.current_user
        if logged_in(user):
            status["status"] = "loggedIn"
            status["userLevel"] = signalk_level(roles_of(user))
            status["username"] = user.username
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(status))


class FeaturesHandler(JupyterHandler):
    """``GET /signalk/v2/features[?enabled=1]``: capabilities, public like discovery."""

    @allow_unauthenticated
    def get(self):
        only_enabled = self.get_argument("enabled", "") in ("1", "true")
        modules = getattr(self.settings["isomer"], "modules", None)
        plugins = [
            {
                "id": app.plugin_id,
                "name": app.display_name,
                "version": app.version,
                "enabled": False,
            }
            for app in (modules.webapps() if modules is not None else [])
            if app.plugin_id
        ]
        if only_enabled:
            plugins = [p for p in plugins if p["enabled"]]
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"apis": list(APIS), "plugins": plugins}))


class UnitPreferencesHandler(SignalKAPIHandler):
    """``GET /signalk/v1/unitpreferences/{active,config,presets/NAME}``."""

    async def _active_name(self) -> str:
        store = getattr(self.settings["isomer"], "appdata", None)
        if store is not None:
            try:
                mine = await store.read(
                    self.current_user, "user", "unitpreferences", "1.0.0", "", False
                )
            except DomainError:
                mine = {}
            name = mine.get("activePreset") if isinstance(mine, dict) else None
            if isinstance(name, str) and preset(name) is not None:
                return name
        return DEFAULT_PRESET

    @web.authenticated
    @authorized
    async def get(self, what: str, name: str | None = None):
        if what == "config":
            self.reply({"activePreset": await self._active_name()})
        elif what == "active":
            self.reply(preset(await self._active_name()))
        else:
            found = preset(name or "")
            if found is None:
                self.reply({"message": f"no unit preset {str(name)[:40]!r}"}, 404)
            else:
                self.reply(found)


class TracksHandler(SignalKAPIHandler):
    """``GET /signalk/v1/api/tracks``: the tracks plugin's answer when it keeps none."""

    @web.authenticated
    @authorized
    def get(self):
        self.reply({})


class RadarsHandler(SignalKAPIHandler):
    """``GET /signalk/v2/api/vessels/self/radars``: no radar is connected to the platform."""

    @web.authenticated
    @authorized
    def get(self):
        self.reply([])


class PluginHandler(SignalKAPIHandler):
    """``GET /plugins/ID``: the plugins the installed web apps bring, known but not run."""

    @allow_unauthenticated
    def get(self, plugin_id: str):
        if not logged_in(self.current_user):
            # Freeboard-SK reads a 401 here as "not logged in" (any other status as logged in)
            self.reply({"message": "log in first"}, 401)
            return
        modules = getattr(self.settings["isomer"], "modules", None)
        for app in modules.webapps() if modules is not None else []:
            if app.plugin_id and app.plugin_id == plugin_id:
                self.reply(
                    {
                        "enabled": False,
                        "enabledByDefault": False,
                        "id": app.plugin_id,
                        "name": app.display_name,
                        "version": app.version,
                    }
                )
                return
        self.reply({"message": f"no plugin {plugin_id[:40]!r}"}, 404)


class ResourceTypeHandler(SignalKAPIHandler):
    """``POST /plugins/resources-provider/_config/TYPE`` ``{"description": …}``.

    The resources provider's way of adding a custom resource type (Freeboard-SK asks for
    ``groups``, ``infolayers`` and ``tracks`` when the resources API does not list them).
    """

    @web.authenticated
    @authorized
    async def post(self, kind: str):
        try:
            body = parse_json(self.request.body or b"{}", max_depth=4, strict=True)
        except DomainError as exc:
            self.refuse(exc)
            return
        description = body.get("description", "") if isinstance(body, dict) else None
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            self.reply(
                {"message": f"description: text of at most {MAX_DESCRIPTION} characters"}, 400
            )
            return
        if signalk_level(roles_of(self.current_user)) == "readonly":
            self.reply({"message": "your login may not add resource types"}, 403)
            return
        now = datetime.now(UTC)
        await (
            self.settings["isomer"]
            .adb[RESOURCE_TYPES]
            .update_one(
                {"_id": kind},
                {
                    "$set": {"description": description, "modified": now},
                    "$setOnInsert": {"created": now, "by": self.current_user.username},
                },
                upsert=True,
            )
        )
        self.reply({"state": "COMPLETED", "statusCode": 200, "message": f"resource type {kind}"})


handlers = [
    (r"/skServer/loginStatus/?", LoginStatusHandler),
    (r"/signalk/v2/features/?", FeaturesHandler),
    (r"/signalk/v1/unitpreferences/(active|config)/?", UnitPreferencesHandler),
    (r"/signalk/v1/unitpreferences/(presets)/([a-z0-9-]{1,40})/?", UnitPreferencesHandler),
    (r"/signalk/v1/api/tracks/?", TracksHandler),
    (r"/signalk/v2/api/vessels/self/radars/?", RadarsHandler),
    (r"/plugins/resources-provider/_config/([a-z][a-z0-9_-]{0,39})", ResourceTypeHandler),
    (r"/plugins/([a-z0-9][a-z0-9._-]{0,59})/?", PluginHandler),
]
