"""One login for the panels, the REST API, the websocket, Signal K clients and Jupyter itself.

A request is identified, in this order, by:

1. an explicit token: ``?token=``, ``Authorization: token …`` or ``Authorization: Bearer …``
   (Signal K). Tokens are the platform's own (``iso_…``, per user and device, revocable) or
   Jupyter's server token, which stays the bootstrap administrator login printed by
   ``isomer launch`` (there are no users on a fresh instance). Only these count as *token
   authentication*, which Jupyter exempts from its XSRF and Origin checks: a browser never
   sends them on its own, so another site cannot make it send them;
2. the signed login cookie set by the login page: it names a server-side session (see
   ``users.py``), so logging out or changing the password ends it everywhere, and roles
   are read from the database (cached briefly);
3. the Signal K ``JAUTHENTICATION`` cookie (a token set by the Signal K login). It is a
   cookie, so it is treated as cookie authentication: XSRF for state-changing requests,
   the Origin check for websockets.

Cookies are ``HttpOnly`` and ``Secure`` under HTTPS; the login cookie is ``SameSite=Lax``
(a link from elsewhere into ``/lab`` or the panels still arrives logged in; cross-site
POSTs, fetches and websockets do not carry it), ``JAUTHENTICATION`` is
``SameSite=Strict`` (only apps served from this origin use it, and those requests are
same-site).
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from contextvars import ContextVar

from jupyter_server.auth.identity import IdentityProvider
from pymongo.errors import PyMongoError
from traitlets import Type

from isomer_data.core.roles import ADMIN, IsomerUser

SIGNALK_COOKIE = "JAUTHENTICATION"
# Who the current request is, for code deeper down that Jupyter calls without the handler
# (starting a kernel): each request runs in its own task, so this never leaks across them.
CURRENT_USER: ContextVar = ContextVar("isomer_current_user", default=None)
SERVER_TOKEN_USER = "server-token"
MAX_ADMIN_SESSIONS = 100


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
    return platform.users if platform is not None else None


def _wants_page(handler) -> bool:
    """A browser following a ``?token=`` link to a page (not a script, not a websocket)."""
    request = handler.request
    return (
        request.method == "GET"
        and bool(handler.get_argument("token", ""))
        and request.headers.get("Upgrade", "").lower() != "websocket"
        and "text/html" in request.headers.get("Accept", "")
    )


class IsomerIdentityProvider(IdentityProvider):
    login_handler_class = Type(
        default_value="isomer_data.services.auth.login.LoginHandler",
        klass="jupyter_server.base.handlers.JupyterHandler",
        help="The login page: user name and password, or a token.",
    ).tag(config=True)

    logout_handler_class = Type(
        default_value="isomer_data.services.auth.login.PageLogoutHandler",
        klass="jupyter_server.base.handlers.JupyterHandler",
        help="Jupyter's /logout: ends the session on the server, not only in the browser.",
    ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Sessions of the bootstrap admin (server token) live in memory: they end with the
        # process, as the token itself may.
        self._admin_sessions: dict[str, float] = {}

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return True

    # who is calling ---------------------------------------------------------------------

    async def get_user(self, handler):
        if getattr(handler, "_jupyter_current_user", None):
            return handler._jupyter_current_user
        user = None
        token = self.get_token(handler)
        if token:
            user = await self._user_for_token(handler, token)
            if user is not None:
                handler._token_authenticated = True  # an explicit token: a script's
                if _wants_page(handler):
                    cookie_user = await self.get_user_cookie(handler)
                    if getattr(cookie_user, "user_id", None) != user.user_id:
                        try:
                            await self.start_session(handler, user)
                        except (PyMongoError, LookupError) as exc:
                            # this request is still the token's; the next one may try again
                            self.log.warning("cannot start a browser session: %s", exc)
        if user is None:
            user = await self.get_user_cookie(handler)
        if user is None and handler.get_cookie(self.get_cookie_name(handler)) is not None:
            self.clear_login_cookie(handler)
        CURRENT_USER.set(user)
        return user

    def get_token(self, handler) -> str | None:
        """Only explicit tokens (URL, Authorization header); cookies are not tokens here."""
        return super().get_token(handler) or None

    async def _user_for_token(self, handler, token: str) -> IsomerUser | None:
        if self.token and hmac.compare_digest(token.encode(), self.token.encode()):
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

    async def get_user_token(self, handler) -> IsomerUser | None:
        token = self.get_token(handler)
        return await self._user_for_token(handler, token) if token else None

    def _session_cookie(self, handler) -> dict | None:
        raw = handler.get_secure_cookie(
            self.get_cookie_name(handler), **self.get_secure_cookie_kwargs
        )
        if not raw:
            return None
        try:
            value = json.loads(raw.decode())
            return value if isinstance(value.get("session"), str) and value["session"] else None
        except (ValueError, AttributeError, UnicodeDecodeError):
            return None

    async def get_user_cookie(self, handler) -> IsomerUser | None:
        session = self._session_cookie(handler)
        if session is not None:
            user = await self._user_for_session(handler, session.get("id"), session["session"])
            if user is not None:
                return user
        signalk = handler.get_cookie(SIGNALK_COOKIE)
        if signalk:
            return await self._user_for_token(handler, signalk)
        return None

    async def _user_for_session(self, handler, user_id, secret: str) -> IsomerUser | None:
        if user_id == SERVER_TOKEN_USER:
            return bootstrap_admin() if secret in self._admin_sessions else None
        users = _users(handler)
        if users is None:
            return None
        try:
            doc = await users.user_for_session(secret)
        except PyMongoError as exc:
            self.log.warning("cannot check a login, the database is away: %s", exc)
            return None
        if doc is None or doc["_id"] != user_id:
            return None
        return user_from_doc(doc)

    # logging in and out -----------------------------------------------------------------

    async def start_session(self, handler, user: IsomerUser) -> None:
        """Log a browser in: a server-side session, named by the signed login cookie."""
        if user.user_id == SERVER_TOKEN_USER:
            secret = secrets.token_urlsafe(32)
            if len(self._admin_sessions) >= MAX_ADMIN_SESSIONS:
                oldest = min(self._admin_sessions, key=self._admin_sessions.get)
                self._admin_sessions.pop(oldest)
            self._admin_sessions[secret] = time.time()
        else:
            users = _users(handler)
            doc = await users.get_by_id(user.user_id)
            if doc is None:
                raise LookupError(f"no user {user.user_id}")
            secret = await users.start_session(
                doc, name=f"browser login from {handler.request.remote_ip or '?'}"
            )
        handler._isomer_session = secret
        self.set_login_cookie(handler, user)

    def user_to_cookie(self, user) -> str:
        raise NotImplementedError("login cookies name sessions: use start_session")

    def user_from_cookie(self, cookie_value: str):
        raise NotImplementedError("cookies are resolved asynchronously in get_user_cookie")

    def set_login_cookie(self, handler, user) -> None:
        secret = getattr(handler, "_isomer_session", None)
        if not secret:
            raise RuntimeError("start_session makes the login cookie")
        options = self.login_cookie_options(handler)
        value = json.dumps({"id": getattr(user, "user_id", ""), "session": secret})
        handler.set_secure_cookie(self.get_cookie_name(handler), value, **options)

    def login_cookie_options(self, handler) -> dict:
        options = {"httponly": True, "samesite": "Lax", "path": handler.base_url}
        secure = self.secure_cookie
        if secure is None:
            secure = handler.request.protocol == "https"
        if secure:
            options["secure"] = True
        options.update(self.cookie_options)
        return options

    async def end_session(self, handler) -> None:
        """Log this browser out: the session ends on the server, the cookie is cleared."""
        session = self._session_cookie(handler)
        if session is not None:
            if session.get("id") == SERVER_TOKEN_USER:
                self._admin_sessions.pop(session["session"], None)
            elif (users := _users(handler)) is not None:
                await users.end_session(session["session"])
        self.clear_login_cookie(handler)

    user_store = None  # the platform's UserStore, set by the auth service

    def forget(self, user_id: str | None = None) -> None:
        """Drop cached identities (roles changed): the next request reads the database."""
        if self.user_store is not None:
            self.user_store.forget_cached()

    def process_login_form(self, handler):
        raise NotImplementedError("the login page checks passwords asynchronously")
