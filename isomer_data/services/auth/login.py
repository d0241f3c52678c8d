"""Logging in: the login page (also Jupyter's ``/login``), and the JSON login for apps.

Password checks are rate limited per client address: at most ``MAX_FAILURES`` wrong
passwords within ``FAILURE_WINDOW`` seconds, then the address gets 429 until the window
passes, so a tablet on the boat's WiFi cannot be used to guess the captain's password.
An attempt is counted *before* the password is checked (argon2 takes tens of
milliseconds), and uncounted only when it succeeds: many attempts sent at once cannot all
slip through before the first failure is recorded.
"""

from __future__ import annotations

import html
import json
import time
from collections import deque

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.login import LoginFormHandler
from jupyter_server.auth.logout import LogoutHandler as JupyterLogoutHandler
from jupyter_server.base.handlers import JupyterHandler

from isomer_data.core.events import DomainError
from isomer_data.core.parsing import parse as parse_json
from isomer_data.services.auth.identity import SIGNALK_COOKIE, bootstrap_admin, user_from_doc
from isomer_data.services.database_errors import DatabaseErrorsMixin

MAX_FAILURES = 5
FAILURE_WINDOW = 60.0
TOKEN_TTL_SECONDS = 30 * 24 * 3600  # tokens handed out at login; API tokens have none
MAX_ADDRESSES = 10_000

_failures: dict[str, deque] = {}


def _window(address: str) -> deque | None:
    window = _failures.get(address)
    if window is None:
        return None
    now = time.monotonic()
    while window and now - window[0] > FAILURE_WINDOW:
        window.popleft()
    return window


def begin_attempt(address: str) -> bool:
    """Count a login attempt as failed until it succeeds; False: too many, refuse it."""
    window = _window(address)
    if window is not None and len(window) >= MAX_FAILURES:
        return False
    if window is None:
        if len(_failures) >= MAX_ADDRESSES:
            for key in [k for k in list(_failures) if not _window(k)]:
                del _failures[key]  # forget addresses whose window has passed
            if len(_failures) >= MAX_ADDRESSES:
                # Many addresses at once: forget the one quiet longest, rather than refuse
                # every newcomer (the crew's own tablets included) for a minute.
                del _failures[min(_failures, key=lambda k: _failures[k][-1])]
        window = _failures.setdefault(address, deque(maxlen=MAX_FAILURES))
    window.append(time.monotonic())
    return True


def attempt_succeeded(address: str) -> None:
    window = _failures.get(address)
    if window:
        window.pop()


def cookie_secure(handler) -> bool:
    secure = handler.identity_provider.secure_cookie
    return handler.request.protocol == "https" if secure is None else bool(secure)


def set_signalk_cookie(handler, token: str) -> None:
    """``JAUTHENTICATION``: read by apps of this origin only, never sent cross-site."""
    handler.set_cookie(
        SIGNALK_COOKIE,
        token,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=cookie_secure(handler),
        expires_days=TOKEN_TTL_SECONDS / 86400,
    )


async def authenticate(handler, username: str, password: str):
    """The IsomerUser for a user name and password — or, with no user name, a token."""
    platform = handler.settings["isomer"]
    if not username:
        provider = handler.identity_provider
        if provider.token and password == provider.token:
            return bootstrap_admin(), None
        doc = await platform.users.user_for_token(password) if password else None
        return (user_from_doc(doc), doc) if doc else (None, None)
    doc = await platform.users.verify(username, password)
    return (user_from_doc(doc), doc) if doc else (None, None)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Isomer Data – log in</title>
<style>
body{{font-family:system-ui,sans-serif;background:#0b2239;color:#e8f0f8;display:flex;
justify-content:center;align-items:center;min-height:100vh;margin:0}}
form{{background:#12355a;padding:2em;border-radius:8px;min-width:18em}}
label{{display:block;margin-top:1em}} input{{width:100%;font-size:1.1em;padding:.4em;
box-sizing:border-box}} button{{margin-top:1.5em;width:100%;font-size:1.1em;padding:.5em}}
.error{{color:#ffb3b3}} small{{color:#9fb8d0}}
</style></head><body>
<form method="post" action="{action}">
<h1>Isomer Data</h1>
{message}
<input type="hidden" name="_xsrf" value="{xsrf}">
<input type="hidden" name="next" value="{next}">
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" autofocus>
<label for="password">Password <small>(or a token, with no user name)</small></label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Log in</button>
</form></body></html>"""


class LoginHandler(DatabaseErrorsMixin, LoginFormHandler):
    """Jupyter's login page, with a user name: one login for panels and notebooks."""

    def _render(self, message=None):
        text = ""
        if message and message.get("error"):
            text = f'<p class="error" role="alert">{html.escape(message["error"])}</p>'
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write(
            PAGE.format(
                action=html.escape(self.request.path),
                message=text,
                xsrf=html.escape(self.xsrf_token.decode()),
                next=html.escape(self.get_argument("next", default=self.base_url)),
            )
        )

    @allow_unauthenticated
    async def post(self):
        address = self.request.remote_ip or "?"
        if not begin_attempt(address):
            self.set_status(429)
            self._render({"error": "Too many failed logins: wait a minute and try again."})
            return
        user, _ = await authenticate(
            self, self.get_argument("username", "").strip(), self.get_argument("password", "")
        )
        if user is None:
            self.set_status(401)
            self._render({"error": "Wrong user name or password."})
            return
        attempt_succeeded(address)
        self.log.info("User %s logged in.", user.username)
        self.current_user = user
        await self.identity_provider.start_session(self, user)
        self._redirect_safe(self.get_argument("next", default=self.base_url))


class JSONLoginHandler(DatabaseErrorsMixin, JupyterHandler):
    """``POST /isomer/api/login`` and ``/signalk/v1/auth/login``: credentials in, a token out.

    The token is a normal platform token (revocable, listed among the user's tokens) so
    that Jupyter's REST API, the hub and Signal K all accept it.
    """

    def check_xsrf_cookie(self):
        # A JSON login has no cookie to forge: it is how a client gets its first credential.
        return None

    @allow_unauthenticated
    async def post(self):
        address = self.request.remote_ip or "?"
        self.set_header("Content-Type", "application/json")
        try:
            body = parse_json(self.request.body or b"{}")  # bounded depth
            username, password = str(body["username"]), str(body["password"])
        except (DomainError, KeyError, TypeError):
            self.set_status(400)
            self.finish(json.dumps({"message": 'expected JSON {"username": …, "password": …}'}))
            return
        if not begin_attempt(address):
            self.set_status(429)
            self.finish(json.dumps({"message": "too many failed logins: wait a minute"}))
            return
        users = self.settings["isomer"].users
        doc = await users.verify(username, password)
        if doc is None:
            self.set_status(401)
            self.finish(json.dumps({"message": "wrong user name or password"}))
            return
        attempt_succeeded(address)
        device = self.request.path.startswith("/signalk")
        token, _ = await users.issue_token(
            doc,
            name=f"login from {address}",
            kind="device" if device and "vessel" in doc.get("roles", ()) else "person",
            ttl=TOKEN_TTL_SECONDS,
            password_bound=True,
        )
        set_signalk_cookie(self, token)
        self.finish(json.dumps({"token": token, "timeToLive": TOKEN_TTL_SECONDS}))


class LogoutHandler(DatabaseErrorsMixin, JupyterHandler):
    """``PUT /signalk/v1/auth/logout`` and ``POST /isomer/api/logout``: end this login."""

    def check_xsrf_cookie(self):
        return None

    @allow_unauthenticated
    async def put(self):
        await self._logout()

    @allow_unauthenticated
    async def post(self):
        await self._logout()

    async def _logout(self):
        """Ends every credential this request carries: explicit token, Signal K cookie, session."""
        provider = self.identity_provider
        users = self.settings["isomer"].users
        for token in {provider.get_token(self), self.get_cookie(SIGNALK_COOKIE)} - {None, ""}:
            doc = await users.user_for_token(token)
            if doc is not None:
                await users.revoke_token(doc, doc["token_id"])
        await provider.end_session(self)
        self.clear_cookie(SIGNALK_COOKIE, path="/")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": "logged out"}))


class PageLogoutHandler(JupyterLogoutHandler):
    """Jupyter's ``/logout`` (JupyterLab's File → Log Out): the session ends on the server."""

    @allow_unauthenticated
    async def get(self):
        await self.identity_provider.end_session(self)
        super().get()
