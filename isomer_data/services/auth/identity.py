"""One login for the panels, the REST API, the websocket, Signal K clients and Jupyter itself.

A request is identified, in this order, by:

1. a token: ``?token=``, ``Authorization: token …`` or ``Authorization: Bearer …`` (Signal K),
   or the Signal K ``JAUTHENTICATION`` cookie. Tokens are the platform's own (``iso_…``,
   per user and device, revocable) or Jupyter's server token, which stays the bootstrap
   administrator login printed by ``isomer launch`` (there are no users on a fresh instance);
2. the signed login cookie set by the login page. It names the user's id only: roles are
   read from the database (cached briefly), so a demoted or deleted user loses access
   without waiting for the cookie to expire.
"""

from __future__ import annotations

import json
import time
from contextvars import ContextVar

from jupyter_server.auth.identity import IdentityProvider
from pymongo.errors import PyMongoError
from traitlets import Type

from isomer_data.services.auth.roles import ADMIN, IsomerUser

SIGNALK_COOKIE = "JAUTHENTICATION"
# Who the current request is, for code deeper down that Jupyter calls without the handler
# (starting a kernel): each request runs in its own task, so this never leaks across them.
CURRENT_USER: ContextVar = ContextVar("isomer_current_user", default=None)
SERVER_TOKEN_USER = "server-token"
USER_CACHE_SECONDS = 5.0


def user_from_doc(doc: dict) -> IsomerUser:
    name = doc.get("name") or doc["username"]
    return IsomerUser(
        username=doc["username"],
        name=name,
        display_name=name,
        initials=name[:2].upper(),
        roles=tuple(doc.get("roles", ())),
        kind="device" if doc.get("token_kind") == "device" else "person",
        user_id=doc.get("_id", ""),
    )


def bootstrap_admin() -> IsomerUser:
    return IsomerUser(
        username="admin",
        name="Administrator (server token)",
        display_name="Administrator (server token)",
        initials="AD",
        roles=(ADMIN,),
        user_id=SERVER_TOKEN_USER,
    )


def _users(handler):
    platform = handler.settings.get("isomer")
    return getattr(platform, "users", None)


class IsomerIdentityProvider(IdentityProvider):
    login_handler_class = Type(
        default_value="isomer_data.services.auth.login.LoginHandler",
        klass="jupyter_server.base.handlers.JupyterHandler",
        help="The login page: user name and password, or a token.",
    ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._user_cache: dict[str, tuple[float, IsomerUser | None]] = {}

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return True

    async def get_user(self, handler):
        user = await self._get_user(handler)
        CURRENT_USER.set(user)
        return user

    def get_token(self, handler) -> str | None:
        return super().get_token(handler) or handler.get_cookie(SIGNALK_COOKIE) or None

    async def get_user_token(self, handler) -> IsomerUser | None:
        token = self.get_token(handler)
        if not token:
            return None
        if self.token and token == self.token:
            return bootstrap_admin()
        users = _users(handler)
        if users is None:
            return None
        try:
            doc = await users.user_for_token(token)
        except PyMongoError as exc:
            self.log.warning("cannot check a token, the database is away: %s", exc)
            return None
        return user_from_doc(doc) if doc else None

    async def user_by_id(self, handler, user_id: str) -> IsomerUser | None:
        if user_id == SERVER_TOKEN_USER:
            return bootstrap_admin()
        now = time.monotonic()
        cached = self._user_cache.get(user_id)
        if cached and now - cached[0] < USER_CACHE_SECONDS:
            return cached[1]
        users = _users(handler)
        try:
            doc = await users.get_by_id(user_id) if users is not None else None
        except PyMongoError as exc:
            self.log.warning("cannot look up a user, the database is away: %s", exc)
            return cached[1] if cached else None
        user = user_from_doc(doc) if doc and not doc.get("disabled") else None
        if len(self._user_cache) > 10_000:
            self._user_cache.clear()
        self._user_cache[user_id] = (now, user)
        return user

    def forget(self, user_id: str | None = None) -> None:
        if user_id is None:
            self._user_cache.clear()
        else:
            self._user_cache.pop(user_id, None)

    def user_to_cookie(self, user) -> str:
        return json.dumps({"id": getattr(user, "user_id", ""), "username": user.username})

    def user_from_cookie(self, cookie_value: str):
        raise NotImplementedError("cookies are resolved asynchronously in get_user_cookie")

    async def get_user_cookie(self, handler) -> IsomerUser | None:
        raw = handler.get_secure_cookie(
            self.get_cookie_name(handler), **self.get_secure_cookie_kwargs
        )
        if not raw:
            return None
        try:
            user_id = json.loads(raw.decode())["id"]
        except (ValueError, KeyError, TypeError):
            return None
        return await self.user_by_id(handler, user_id)

    def process_login_form(self, handler):
        raise NotImplementedError("the login page checks passwords asynchronously")
