"""The hub: connected clients, message routing, flood protection and resumable sessions.

Every message is ``{"component", "action", "data", "id"?}``. A reply carries the same
component, action and id with either ``data`` or ``error: {code, message, details?}``.
Pushes (live deltas, object changes, notices) have no id. Whatever one client sends —
bad JSON, unknown events, oversized or too many messages — earns that client an error
reply; it never closes the connection or affects anyone else.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from collections import OrderedDict

from pymongo.errors import PyMongoError

from isomer_data import __version__
from isomer_data.core.errors import DomainError, database_error
from isomer_data.core.parsing import parse as parse_json
from isomer_data.core.roles import ANONYMOUS, roles_of
from isomer_data.services.auth.guard import CLOSE_NO_ROLE, Credential, SocketGuard
from isomer_data.services.live.subscriptions import Subscriber, Subscription
from isomer_data.services.live.wsframes import write_text_frame

log = logging.getLogger(__name__)

SESSION_SECONDS = 600.0
MAX_SESSIONS = 10_000


class TokenBucket:
    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class HubClient(Subscriber):
    """One websocket connection: who it is, what it subscribed to, and its outgoing side."""

    def __init__(self, hub: Hub, socket, user, credential: Credential | None = None):
        super().__init__(max_in_flight=hub.config.ws_queue, max_bytes=hub.config.ws_queue_bytes)
        self.hub = hub
        self.socket = socket
        self.user = user
        self.credential = credential or Credential(getattr(user, "user_id", "") or "")
        self.address = socket.request.remote_ip or "?"
        self.session = secrets.token_urlsafe(12)
        self.bucket = TokenBucket(hub.config.ws_rate, hub.config.ws_burst)
        self.object_subscriptions: set[tuple[str, str]] = set()  # (schema, uuid or "*")
        self.errors = 0
        self.flooded = 0
        self._last_flood_notice = 0.0

    @property
    def roles(self) -> tuple[str, ...]:
        return roles_of(self.user)

    @property
    def anonymous(self) -> bool:
        return self.roles == (ANONYMOUS,)

    @property
    def kind(self) -> str:
        return getattr(self.user, "kind", "person")

    def is_anonymous(self) -> bool:
        return self.anonymous

    @property
    def platform(self):
        return self.hub.platform

    # identity changes (the guard) ------------------------------------------------------

    def end(self, code: int, reason: str) -> None:
        """Close the connection: its login no longer holds."""
        self.unsubscribe("*", "*")
        self.object_subscriptions.clear()
        self.closed = True
        with contextlib.suppress(Exception):
            self.socket.close(code, reason)

    def apply_user(self, user) -> None:
        """The user now has other roles: carry on with those, and say so."""
        self.user = user
        if self.anonymous:  # no role left: nothing this connection did still applies
            self.end(CLOSE_NO_ROLE, "login ended: the user has no role any more")
            return
        self._match_cache.clear()
        self.push("hub", "identity", {"user": user.username, "roles": list(self.roles)})

    # outgoing ------------------------------------------------------------------------

    def write(self, text: str):
        return write_text_frame(self.socket, text)

    def frame(self, message: dict) -> str:
        return json.dumps(
            {"component": "live", "action": "delta", "data": message}, separators=(",", ":")
        )

    def push(self, component: str, action: str, data) -> None:
        self.send(
            json.dumps(
                {"component": component, "action": action, "data": data},
                separators=(",", ":"),
                default=str,
            )
        )

    def reply(self, request: dict, data=None, error: DomainError | None = None) -> None:
        message = {"component": request.get("component"), "action": request.get("action")}
        if "id" in request:
            message["id"] = request["id"]
        if error is not None:
            message["error"] = error.to_json()
        else:
            message["data"] = data
        # Replies take the same bounded queue as pushes: a client that sends but never
        # reads would otherwise make the server hold every reply (finding 6).
        self.send(json.dumps(message, separators=(",", ":"), default=str))

    def report_dropped(self, count: int) -> None:
        self._write(
            json.dumps(
                {
                    "component": "hub",
                    "action": "dropped",
                    "data": {"count": count, "total": self.dropped},
                },
                separators=(",", ":"),
            )
        )

    # incoming ------------------------------------------------------------------------

    async def receive(self, raw) -> None:
        limit = self.hub.config.ws_max_message
        if len(raw) > limit:
            self.errors += 1
            self.reply(
                {"component": "hub", "action": "receive"},
                error=DomainError(
                    "too_large", f"message of {len(raw)} bytes exceeds the limit of {limit}"
                ),
            )
            return
        if not self.bucket.take():
            self.flooded += 1
            now = time.monotonic()
            if now - self._last_flood_notice >= 1.0:
                self._last_flood_notice = now
                self.reply(
                    {"component": "hub", "action": "receive"},
                    error=DomainError(
                        "flood",
                        f"more than {self.hub.config.ws_rate} messages/s: "
                        f"{self.flooded} ignored so far; slow down",
                    ),
                )
            return
        try:
            request = parse_json(raw)  # bounded depth: never a RecursionError
        except DomainError as exc:
            self.errors += 1
            self.reply({"component": "hub", "action": "receive"}, error=exc)
            return
        if (
            not isinstance(request, dict)
            or not isinstance(request.get("component"), str)
            or not isinstance(request.get("action"), str)
        ):
            self.errors += 1
            self.reply(
                {"component": "hub", "action": "receive"},
                error=DomainError(
                    "bad_request",
                    'expected {"component": string, "action": string, "data": …}',
                ),
            )
            return
        await self.dispatch(request)

    async def dispatch(self, request: dict) -> None:
        key = (request["component"], request["action"])
        ev = self.hub.platform.events.get(key)
        self.hub.counts[key] = self.hub.counts.get(key, 0) + 1
        try:
            if ev is None:
                raise DomainError("unknown", f"no event {key[0]}/{key[1]}")
            if not ev.allows(self.roles):
                if self.anonymous:
                    raise DomainError("unauthenticated", f"{key[0]}/{key[1]} needs a login")
                raise DomainError(
                    "forbidden", f"{key[0]}/{key[1]} is not allowed for roles {list(self.roles)}"
                )
            result = await ev.handler(self, request.get("data"))
        except DomainError as exc:
            self.errors += 1
            self.reply(request, error=exc)
            return
        except PyMongoError as exc:
            self.errors += 1
            log.warning("hub event %s/%s: database error %s", *key, type(exc).__name__)
            self.reply(request, error=database_error(exc))
            return
        except Exception as exc:
            self.errors += 1
            log.exception("hub event %s/%s failed", *key)
            self.reply(request, error=DomainError("internal", f"{type(exc).__name__}: {exc}"))
            return
        self.reply(request, result)


class Hub:
    def __init__(self, platform):
        self.platform = platform
        self.config = platform.config
        self.clients: set[HubClient] = set()
        self.sessions: OrderedDict[str, dict] = OrderedDict()
        self.counts: dict[tuple[str, str], int] = {}
        self.guard = SocketGuard(platform)

    def connect(self, socket, user, credential: Credential | None = None) -> HubClient:
        client = HubClient(self, socket, user, credential)
        self.clients.add(client)
        self.guard.add(client)
        self.platform.fanout.add(client)
        client.reply(
            {"component": "hub", "action": "hello"},
            {
                "session": client.session,
                "server": "isomer-data",
                "version": __version__,
                "user": None if client.anonymous else client.user.username,
                "roles": list(client.roles),
                "limits": {
                    "maxMessage": self.config.ws_max_message,
                    "rate": self.config.ws_rate,
                    "burst": self.config.ws_burst,
                    "queue": self.config.ws_queue,
                    "queueBytes": self.config.ws_queue_bytes,
                },
            },
        )
        return client

    def disconnect(self, client: HubClient) -> None:
        self.guard.remove(client)
        self.platform.fanout.remove(client)
        self.clients.discard(client)
        if client.subscriptions or client.object_subscriptions:
            self.sessions[client.session] = {
                "user": getattr(client.user, "username", None),
                "live": [s.to_json() for s in client.subscriptions.values()],
                "objects": sorted(client.object_subscriptions),
                "expires": time.monotonic() + SESSION_SECONDS,
            }
            while len(self.sessions) > MAX_SESSIONS:
                self.sessions.popitem(last=False)

    def resume(self, client: HubClient, session: str) -> dict:
        now = time.monotonic()
        for sid in [s for s, v in self.sessions.items() if v["expires"] < now]:
            del self.sessions[sid]
        saved = self.sessions.get(session)
        if saved is None or saved["user"] != getattr(client.user, "username", None):
            raise DomainError("unknown_session", "no such session to resume (expired or not yours)")
        del self.sessions[session]
        client.subscribe([Subscription.parse(s["context"], s) for s in saved["live"]])
        client.object_subscriptions.update(tuple(x) for x in saved["objects"])
        if client.timed:
            self.platform.fanout.ensure_ticker()
        return {"live": saved["live"], "objects": [list(x) for x in saved["objects"]]}

    def object_event(self, action: str, schema: str, obj: dict, can_read) -> None:
        """Push objectcreation/objectchange/objectdeletion to clients that may read it."""
        if schema == "user":  # roles or disabled may have changed: re-check that user's sockets
            self.guard.user_changed(obj.get("uuid"))
        for client in list(self.clients):
            subs = client.object_subscriptions
            if (schema, "*") not in subs and (schema, obj.get("uuid")) not in subs:
                continue
            if not can_read(client.user):
                continue
            client.push("objects", action, {"schema": schema, "object": obj})

    def notify_role(self, role: str, component: str, action: str, data) -> None:
        """Push to every connected client holding ``role`` (admins always count)."""
        for client in list(self.clients):
            if role in client.roles or "admin" in client.roles:
                client.push(component, action, data)

    def status(self) -> dict:
        return {
            "clients": len(self.clients),
            "sessions": len(self.sessions),
            "dropped": sum(c.dropped for c in self.clients),
        }
