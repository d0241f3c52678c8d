"""Every open websocket, hub and Signal K stream alike: how many there are, and whether the
login each one was opened with still holds.

A websocket is authenticated once, when it opens; without this guard it kept its roles
for as long as it stayed open, whatever happened to the token or the user behind it.
The guard re-checks open sockets

- at once, when this server revokes a token or deletes, disables or re-roles a user
  (``UserStore.listeners`` and the object manager's ``user`` events), and
- every ``ws_recheck_seconds`` (30 s), for changes it cannot hear of: another process
  (``isomer db user delete``), a token expiring, an edit straight in the database.

A socket whose login no longer holds is closed with code 4401 and a reason saying why;
one whose user now has other roles keeps going with the new roles (it is told with a
``hub/identity`` push); a user left without any role is closed with 4403.

It also caps connections: ``ws_max_per_address`` per client address and
``ws_max_anonymous`` not logged in; the next socket is closed with 1013 (try again later)
and a reason, before it costs anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo.errors import PyMongoError

from isomer_data.services.auth.identity import SERVER_TOKEN_USER, user_from_doc
from isomer_data.services.auth.users import TOKEN_PREFIX, token_hash

log = logging.getLogger(__name__)

CLOSE_TRY_LATER = 1013  # RFC 6455 registry: "Try Again Later"
CLOSE_LOGIN_ENDED = 4401  # the token was revoked or expired, the user deleted or disabled
CLOSE_NO_ROLE = 4403  # the user is left without any role


@dataclass(frozen=True)
class Credential:
    """What a socket's identity rests on: a user, and the platform token if it used one."""

    user_id: str = ""  # users._id; "" when anonymous
    token_id: str = ""  # the token's public id, when the socket logged in with one
    expires: datetime | None = None  # that token's expiry

    @property
    def checkable(self) -> bool:
        # The server token is the bootstrap admin's, valid for the server's lifetime.
        return bool(self.user_id) and self.user_id != SERVER_TOKEN_USER


async def credential_of(handler) -> Credential:
    """The credential behind a websocket request's ``current_user``, read before it opens."""
    user = handler.current_user
    user_id = getattr(user, "user_id", "") or ""
    if not user_id or user_id == SERVER_TOKEN_USER:
        return Credential(user_id)
    token = handler.identity_provider.get_token(handler)
    users = getattr(handler.settings["isomer"], "users", None)
    if token and token.startswith(TOKEN_PREFIX) and users is not None:
        try:
            record = await users.tokens.find_one({"_id": token_hash(token)})
        except PyMongoError:
            record = None  # the database is away: the user check still applies
        # The same request may carry a stale token and a valid login cookie: bind the token
        # only when it is the one that identified this user.
        if record is not None and record.get("user") == user_id:
            return Credential(user_id, record["id"], record.get("expires"))
    return Credential(user_id)


class SocketGuard:
    """Open sockets, the caps on them, and their identity re-checks.

    A guarded socket has ``address``, ``credential``, ``roles``, ``kind``,
    ``is_anonymous()``, ``end(code, reason)`` and ``apply_user(user)``.
    """

    def __init__(self, platform):
        self.platform = platform
        self.config = platform.config
        self.sockets: set = set()
        self.per_address: Counter[str] = Counter()
        self.ended = 0
        self.changed = 0
        self._tasks: set[asyncio.Task] = set()
        self._timer: asyncio.Task | None = None
        self._last_check = time.monotonic()

    # caps ------------------------------------------------------------------------------

    def refusal(self, address: str, anonymous: bool) -> str | None:
        """Why a new socket from ``address`` may not open, or None. Kept under 123 bytes."""
        limit = self.config.ws_max_per_address
        if self.per_address[address] >= limit:
            return f"too many connections from {address} (limit {limit}); close one and retry"
        if anonymous:
            limit = self.config.ws_max_anonymous
            if sum(1 for s in self.sockets if s.is_anonymous()) >= limit:
                return f"too many anonymous connections (limit {limit}): log in to connect"
        return None

    def add(self, sock) -> None:
        self.sockets.add(sock)
        self.per_address[sock.address] += 1

    def remove(self, sock) -> None:
        if sock in self.sockets:
            self.sockets.discard(sock)
            self.per_address[sock.address] -= 1
            if self.per_address[sock.address] <= 0:
                del self.per_address[sock.address]

    # re-checks ---------------------------------------------------------------------------

    def user_changed(self, user_id: str | None) -> None:
        """A user or one of its tokens changed in this server: re-check its sockets now."""
        affected = [
            s
            for s in self.sockets
            if s.credential.checkable and (user_id is None or s.credential.user_id == user_id)
        ]
        if affected:
            task = asyncio.get_running_loop().create_task(self.recheck(affected))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def recheck(self, sockets=None) -> int:
        """Re-check ``sockets`` (default: all) with two queries; returns how many ended."""
        sockets = [
            s for s in (self.sockets if sockets is None else sockets) if s.credential.checkable
        ]
        users = self.platform.users
        if not sockets or users is None:
            return 0
        user_ids = list({s.credential.user_id for s in sockets})
        token_ids = list({s.credential.token_id for s in sockets if s.credential.token_id})
        try:
            found = {
                d["_id"]: d
                async for d in users.users.find({"_id": {"$in": user_ids}}, {"password": 0})
            }
            tokens = {}
            if token_ids:
                async for t in users.tokens.find({"id": {"$in": token_ids}}, {"_id": 0}):
                    tokens[(t["id"], t["user"])] = t
        except PyMongoError as exc:
            # As for HTTP requests: while the database is away, known logins keep working.
            log.warning("cannot re-check open websockets, the database is away: %s", exc)
            return 0
        now = datetime.now(UTC)
        ended = 0
        for sock in sockets:
            if sock not in self.sockets:
                continue
            verdict = self._verdict(sock.credential, found, tokens, now)
            if verdict is not None:
                code, reason = verdict
                log.info("closing a websocket of %s: %s", sock.credential.user_id, reason)
                sock.end(code, reason)
                self.remove(sock)
                ended += 1
                continue
            doc = found[sock.credential.user_id]
            if tuple(doc.get("roles") or ()) != tuple(sock.roles):
                kind = "device" if getattr(sock, "kind", "person") == "device" else "person"
                sock.apply_user(user_from_doc({**doc, "token_kind": kind}))
                self.changed += 1
        self.ended += ended
        return ended

    @staticmethod
    def _verdict(cred: Credential, users: dict, tokens: dict, now: datetime):
        doc = users.get(cred.user_id)
        if doc is None:
            return CLOSE_LOGIN_ENDED, "login ended: the user was deleted"
        if doc.get("disabled"):
            return CLOSE_LOGIN_ENDED, "login ended: the user was disabled"
        if cred.token_id:
            token = tokens.get((cred.token_id, cred.user_id))
            if token is None:
                return CLOSE_LOGIN_ENDED, "login ended: the token was revoked"
            expires = token.get("expires")
            if expires is not None and expires <= now:
                return CLOSE_LOGIN_ENDED, "login ended: the token expired"
        if not doc.get("roles"):
            return CLOSE_NO_ROLE, "login ended: the user has no role any more"
        return None

    # timer -------------------------------------------------------------------------------

    def start(self) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        # Wakes once a second and reads the period each time, so a changed setting applies
        # without a restart; a re-check itself is two queries for all sockets.
        while True:
            await asyncio.sleep(1.0)
            period = self.config.ws_recheck_seconds
            if period <= 0 or time.monotonic() - self._last_check < period:
                continue
            self._last_check = time.monotonic()
            try:
                await self.recheck()
            except Exception:
                log.exception("re-checking open websockets failed")

    async def stop(self) -> None:
        tasks = [t for t in (self._timer, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._timer = None

    def status(self) -> dict:
        return {
            "sockets": len(self.sockets),
            "addresses": len(self.per_address),
            "ended": self.ended,
            "roles_changed": self.changed,
        }
