"""Signal K PUT requests: asking the boat to *do* something at a path (``platform.puts``).

A client ``PUT``\\s ``{"value": …, "source"?}`` to ``/signalk/v1/api/vessels/self/PATH`` or
sends ``{"context", "requestId"?, "put": {"path", "value"}}`` on the stream. Only paths a
module or service registered a handler for take PUTs; any other is ``405`` (Signal K's
"not supported"). Each request gets an id and a state that the client may poll at
``/signalk/v1/requests/ID`` (its own only) and, on the stream, is pushed:
``PENDING`` (``statusCode`` 202) while a handler works, ``COMPLETED`` with the handler's
``statusCode`` (200 done, 4xx refused, 502 the device failed) when it is done.

Registering (a module's ``start``)::

    async def set_anchor_radius(context, path, value, request):
        if not isinstance(value, (int, float)):
            return {"state": "COMPLETED", "statusCode": 400, "message": "a number"}
        ...
        return {"state": "COMPLETED", "statusCode": 200}

    unregister = platform.puts.register("navigation.anchor.maxRadius", set_anchor_radius)

A handler returns (or its coroutine returns) ``{"state": "COMPLETED", "statusCode"}``,
Signal K's ``{"state": "SUCCESS"}`` / ``{"state": "FAILURE", "message"}``, or
``{"state": "PENDING"}`` and calls ``request.complete(status_code, message)`` later. A handler
that raises completes the request with 500 (or the status of a ``DomainError``) and a
message, never a traceback. ``roles`` (default crew and scientist; admins always) say who may
PUT there; others get ``403``.
"""

from __future__ import annotations

import inspect
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from isomer_data.core.errors import DomainError
from isomer_data.core.parsing import coded
from isomer_data.core.roles import ADMIN, CREW, SCIENTIST, roles_of
from isomer_data.wildcards import Wildcard

log = logging.getLogger(__name__)

MAX_REQUESTS = 1000  # kept for polling; the oldest go first
KEEP_SECONDS = 3600.0
REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PATH = re.compile(r"^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$")
MAX_PATH = 256


@dataclass
class Registration:
    context: Wildcard
    path: Wildcard
    source: str | None
    handler: Callable
    roles: frozenset


@dataclass
class PutRequest:
    request_id: str
    user: str
    context: str
    path: str
    value: object
    created: float = field(default_factory=time.monotonic)
    state: str = "PENDING"
    status_code: int | None = None
    message: str | None = None
    listeners: list = field(default_factory=list)

    def reply(self) -> dict:
        out = {
            "state": self.state,
            "requestId": self.request_id,
            "statusCode": 202 if self.state == "PENDING" else self.status_code,
            "href": f"/signalk/v1/requests/{self.request_id}",
            "user": self.user,
        }
        if self.message:
            out["message"] = self.message
        if self.state == "PENDING":
            out["action"] = {"href": out["href"]}  # what older Signal K clients read
        return out

    def complete(self, status_code: int = 200, message: str | None = None) -> None:
        """Finish a PENDING request (a handler's later answer); pushed to stream clients."""
        if self.state == "COMPLETED":
            return
        self.state = "COMPLETED"
        self.status_code = int(status_code)
        self.message = str(message)[:1000] if message else None
        reply = self.reply()
        for listener in list(self.listeners):
            try:
                listener(reply)
            except Exception:
                log.exception("PUT request listener failed")

    def settle(self, result) -> None:
        """A handler's return value, in any of the shapes Signal K handlers use."""
        if not isinstance(result, dict):
            self.complete(200)
            return
        state = result.get("state")
        message = result.get("message")
        message = message if isinstance(message, str) else None
        if state == "PENDING":
            return
        if state == "FAILURE":
            self.complete(int(result.get("statusCode") or 502), message)
        elif state == "SUCCESS":
            self.complete(200, message)
        else:
            code = result.get("statusCode", 200)
            self.complete(code if isinstance(code, int) and 100 <= code < 600 else 200, message)


class PutRequests:
    def __init__(self, platform):
        self.platform = platform
        self.registrations: list[Registration] = []
        self.requests: dict[str, PutRequest] = {}

    def register(
        self,
        path: str,
        handler: Callable,
        *,
        context: str = "vessels.self",
        source: str | None = None,
        roles=frozenset({CREW, SCIENTIST}),
    ) -> Callable[[], None]:
        """Take PUTs on ``path`` (``*`` wildcards); returns the function that unregisters."""
        registration = Registration(
            Wildcard(context), Wildcard(path), source, handler, frozenset(roles)
        )
        self.registrations.append(registration)

        def unregister() -> None:
            if registration in self.registrations:
                self.registrations.remove(registration)

        return unregister

    def _context(self, context: str) -> str:
        from isomer_data.services.signalk.model import self_urn

        if context == f"vessels.{self_urn(self.platform.config.instance)}":
            return "vessels.self"
        return context

    def _new(self, user, context: str, path: str, value, request_id: str | None) -> PutRequest:
        self._prune()
        if request_id is None:
            request_id = str(uuid.uuid4())
        elif not REQUEST_ID.match(request_id) or request_id in self.requests:
            raise coded(
                "invalid",
                40249,
                "requestId: 1–64 letters, digits, _ or -, not in use",
                {"field": "requestId"},
            )
        request = PutRequest(request_id, getattr(user, "username", ""), context, path, value)
        self.requests[request_id] = request
        return request

    def _prune(self) -> None:
        now = time.monotonic()
        old = [k for k, r in self.requests.items() if now - r.created > KEEP_SECONDS]
        for key in old:
            del self.requests[key]
        while len(self.requests) >= MAX_REQUESTS:
            del self.requests[next(iter(self.requests))]

    async def put(
        self,
        user,
        context: str,
        path: str,
        value,
        *,
        source: str | None = None,
        request_id: str | None = None,
        listener: Callable | None = None,
    ) -> dict:
        """Run the PUT; the reply of its first state (PENDING or COMPLETED)."""
        if not isinstance(path, str) or len(path) > MAX_PATH or not PATH.match(path):
            raise coded("invalid", 40249, "path: dot-separated names", {"field": "path"})
        if not isinstance(context, str) or len(context) > MAX_PATH:
            raise coded(
                "invalid", 40249, "context: vessels.self or vessels.<id>", {"field": "context"}
            )
        context = self._context(context)
        request = self._new(user, context, path, value, request_id)
        if listener is not None:
            request.listeners.append(listener)
        found = [
            r for r in self.registrations if r.context.matches(context) and r.path.matches(path)
        ]
        if source is not None:
            found = [r for r in found if r.source in (None, source)]
        if not found:
            request.complete(405, f"PUT not supported for {path}")
            return request.reply()
        if len(found) > 1 and len({r.source for r in found}) > 1:
            request.complete(
                400,
                "there are multiple sources for the given path, but no source was specified "
                "in the request",
            )
            return request.reply()
        registration = found[0]
        roles = set(roles_of(user))
        if ADMIN not in roles and not roles & registration.roles:
            request.complete(403, "your roles may not PUT here")
            return request.reply()
        try:
            result = registration.handler(context, path, value, request)
            if inspect.isawaitable(result):
                result = await result
            request.settle(result)
        except DomainError as exc:
            request.complete(exc.http_status, exc.message)
        except Exception:
            log.exception("PUT handler for %s failed", path)
            request.complete(500, f"the handler for {path} failed; see the server log")
        return request.reply()

    def query(self, user, request_id: str) -> dict | None:
        """A request's state, for the user who made it (or an admin)."""
        request = self.requests.get(request_id)
        if request is None:
            return None
        if request.user != getattr(user, "username", None) and ADMIN not in roles_of(user):
            return None
        return request.reply()
