"""Logging in: the login page (also Jupyter's ``/login``), and the JSON login for apps.

Password checks are rate limited per client address: after ``MAX_FAILURES`` wrong
passwords within ``FAILURE_WINDOW`` seconds the address gets 429 until the window passes,
so a tablet on the boat's WiFi cannot be used to guess the captain's password.
"""

from __future__ import annotations

import html
import json
import time
from collections import deque

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.login import LoginFormHandler
from jupyter_server.base.handlers import JupyterHandler

from isomer_data.services.auth.identity import SIGNALK_COOKIE, bootstrap_admin, user_from_doc
from isomer_data.services.database_errors import DatabaseErrorsMixin

MAX_FAILURES = 5
FAILURE_WINDOW = 60.0
TOKEN_TTL_SECONDS = 30 * 24 * 3600  # tokens handed out at login; API tokens have none

_failures: dict[str, deque] = {}


def throttled(address: str) -> bool:
    window = _failures.get(address)
    if not window:
        return False
    now = time.monotonic()
    while window and now - window[0] > FAILURE_WINDOW:
        window.popleft()
    return len(window) >= MAX_FAILURES


def record_failure(address: str) -> None:
    if len(_failures) > 10_000:
        _failures.clear()
    _failures.setdefault(address, deque(maxlen=MAX_FAILURES)).append(time.monotonic())


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
        if throttled(address):
            self.set_status(429)
            self._render({"error": "Too many failed logins: wait a minute and try again."})
            return
        user, _ = await authenticate(
            self, self.get_argument("username", "").strip(), self.get_argument("password", "")
        )
        if user is None:
            record_failure(address)
            self.set_status(401)
            self._render({"error": "Wrong user name or password."})
            return
        self.log.info("User %s logged in.", user.username)
        self.current_user = user
        self.identity_provider.set_login_cookie(self, user)
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
        if throttled(address):
            self.set_status(429)
            self.finish(json.dumps({"message": "too many failed logins: wait a minute"}))
            return
        try:
            body = json.loads(self.request.body or b"{}")
            username, password = str(body["username"]), str(body["password"])
        except (ValueError, KeyError, TypeError):
            self.set_status(400)
            self.finish(json.dumps({"message": 'expected JSON {"username": …, "password": …}'}))
            return
        doc = await self.settings["isomer"].users.verify(username, password)
        if doc is None:
            record_failure(address)
            self.set_status(401)
            self.finish(json.dumps({"message": "wrong user name or password"}))
            return
        users = self.settings["isomer"].users
        device = self.request.path.startswith("/signalk")
        token, _ = await users.issue_token(
            doc,
            name=f"login from {address}",
            kind="device" if device and "vessel" in doc.get("roles", ()) else "person",
            ttl=TOKEN_TTL_SECONDS,
        )
        self.set_cookie(SIGNALK_COOKIE, token, httponly=True, path="/")
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
        token = self.identity_provider.get_token(self)
        users = self.settings["isomer"].users
        if token:
            doc = await users.user_for_token(token)
            if doc is not None:
                await users.revoke_token(doc, doc["token_id"])
        self.clear_cookie(SIGNALK_COOKIE, path="/")
        self.identity_provider.clear_login_cookie(self)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": "logged out"}))
