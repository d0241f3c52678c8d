"""Signal K v1 compatibility, so existing marine apps (chart plotters, instrument displays)
connect: discovery, the REST full model, the delta stream, and token login.

Security is on: everything but discovery and login needs a token (``Authorization: Bearer``,
the ``JAUTHENTICATION`` cookie, or ``?token=``) or the platform's login cookie.
"""

from __future__ import annotations

import json
import time

from jupyter_server.auth.decorator import allow_unauthenticated, authorized
from jupyter_server.base.handlers import JupyterHandler
from tornado import web, websocket

from isomer_data import __version__
from isomer_data.core.events import DomainError
from isomer_data.core.parsing import coded
from isomer_data.core.parsing import parse as parse_json
from isomer_data.core.roles import ADMIN, VESSEL, roles_of
from isomer_data.services.auth.guard import CLOSE_NO_ROLE, CLOSE_TRY_LATER, credential_of
from isomer_data.services.auth.login import JSONLoginHandler, LogoutHandler
from isomer_data.services.hub.hub import TokenBucket
from isomer_data.services.live.components import MAX_SUBSCRIBE
from isomer_data.services.live.subscriptions import (
    Subscriber,
    Subscription,
    SubscriptionError,
)
from isomer_data.services.live.wsframes import write_text_frame
from isomer_data.services.signalk import api2
from isomer_data.services.signalk.api2 import SignalKHandler
from isomer_data.services.signalk.model import SIGNALK_VERSION, full_model, meta_for, self_urn

# Groups web apps poll whether or not anything is in them (Freeboard-SK asks for the own
# vessel and the anchor watch's state at start, before any data may have come in): an empty
# group is an answer, a 404 would be an error there.
ALWAYS_THERE = frozenset({("vessels", "self"), ("vessels", "self", "navigation", "anchor")})


# What ``"path": ""`` (the vessel's root object) stands for in a Signal K subscription:
# Freeboard-SK asks for it beside the named paths; the platform keeps these as paths.
ROOT_PATHS = ("name", "mmsi", "uuid", "url", "flag", "port")


def _root_expanded(specs: list) -> list:
    """Subscription entries with a root entry (``path: ""``) replaced by the root's paths."""
    out = []
    for spec in specs:
        if isinstance(spec, dict) and spec.get("path") == "":
            out += [{**spec, "path": path} for path in ROOT_PATHS]
        else:
            out.append(spec)
    return out


def _urn(handler) -> str:
    return self_urn(handler.settings["isomer"].config.instance)


class DiscoveryHandler(JupyterHandler):
    @allow_unauthenticated
    def get(self):
        host = self.request.host
        ws = "wss" if self.request.protocol == "https" else "ws"
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {
                    "endpoints": {
                        "v1": {
                            "version": SIGNALK_VERSION,
                            "signalk-http": f"{self.request.protocol}://{host}/signalk/v1/api/",
                            "signalk-ws": f"{ws}://{host}/signalk/v1/stream",
                        }
                    },
                    "server": {"id": "isomer-data", "version": __version__},
                }
            )
        )


class ApiHandler(SignalKHandler):
    """``/signalk/v1/api/`` and any node below it (``vessels/self/navigation/position``);
    ``PUT`` asks a registered handler to act on a path (:mod:`.puts`)."""

    def write_error(self, status_code, **kwargs):
        if self.request.method == "PUT":
            super().write_error(status_code, **kwargs)
            return
        exc = kwargs.get("exc_info", (None, None))[1]
        message = exc.log_message if isinstance(exc, web.HTTPError) and exc.log_message else ""
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message or self._reason}))

    def _not_logged_in(self):
        self.set_status(401)
        self.finish(json.dumps({"message": "log in: POST /signalk/v1/auth/login"}))

    @allow_unauthenticated
    async def get(self, path: str = ""):
        if self.current_user is None:
            self._not_logged_in()
            return
        urn = _urn(self)
        node = full_model(self.settings["isomer"].live.latest, urn)
        previous = ""
        parts = [p for p in path.strip("/").split("/") if p]
        if len(parts) > 3 and parts[:2] == ["vessels", "self"] and parts[-1] == "meta":
            # a leaf's meta (instrument apps ask it for units and labels)
            leaf = node
            for part in [urn if i == 1 else p for i, p in enumerate(parts[:-1])]:
                leaf = leaf.get(part) if isinstance(leaf, dict) else None
            if not (isinstance(leaf, dict) and "value" in leaf):
                raise web.HTTPError(404, f"no Signal K data at {path}")
            self.finish(json.dumps(meta_for(".".join(parts[2:-1]))))
            return
        for part in parts:
            if previous == "vessels" and part == "self":
                part = urn
            previous = part
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                if tuple(parts) in ALWAYS_THERE:
                    node = {}
                    break
                raise web.HTTPError(404, f"no Signal K data at {path}")
        self.finish(json.dumps(node))

    @web.authenticated
    @authorized
    async def put(self, path: str = ""):
        await api2.put_v1(self, path)


class StreamClient(Subscriber):
    def __init__(self, socket, urn: str, max_in_flight: int, max_bytes: int):
        super().__init__(max_in_flight=max_in_flight, max_bytes=max_bytes)
        self.socket = socket
        self.urn = urn

    def write(self, text: str):
        return write_text_frame(self.socket, text)

    @property
    def user(self):
        return self.socket.current_user

    def context_name(self, vessel: str) -> str:
        return f"vessels.{self.urn}" if vessel == "self" else f"vessels.{vessel}"


class StreamHandler(JupyterHandler, websocket.WebSocketHandler):
    """``/signalk/v1/stream[?subscribe=self|all|none]``: hello, then deltas."""

    client: StreamClient | None = None
    credential = None
    guarded = False

    @property
    def max_message_size(self) -> int:
        return max(4 * self.settings["isomer"].config.ws_max_message, 1 << 20)

    # what the socket guard needs (isomer_data.services.auth.guard) ---------------------------

    @property
    def address(self) -> str:
        return self.request.remote_ip or "?"

    @property
    def roles(self) -> tuple[str, ...]:
        return roles_of(self.current_user)

    @property
    def kind(self) -> str:
        return getattr(self.current_user, "kind", "person")

    def is_anonymous(self) -> bool:
        return False  # the stream needs a login

    def end(self, code: int, reason: str) -> None:
        if self.client is not None:
            self.client.closed = True
        self.close(code, reason)

    def apply_user(self, user) -> None:
        if not user.roles:
            self.end(CLOSE_NO_ROLE, "login ended: the user has no role any more")
            return
        self.current_user = user  # publishing rights follow the new roles

    @allow_unauthenticated
    async def get(self, *args, **kwargs):
        if self.current_user is None:
            raise web.HTTPError(401, "log in: POST /signalk/v1/auth/login")
        mode = self.get_argument("subscribe", "self")
        if mode not in ("self", "all", "none"):
            raise web.HTTPError(400, "subscribe must be self, all or none")
        self.credential = await credential_of(self)
        result = super().get(*args, **kwargs)
        if result is not None:
            await result

    def open(self, *args, **kwargs) -> None:
        platform = self.settings["isomer"]
        config = platform.config
        self.set_nodelay(True)
        refusal = platform.guard.refusal(self.address, anonymous=False)
        if refusal is not None:
            self.close(CLOSE_TRY_LATER, refusal)
            return
        platform.guard.add(self)
        self.guarded = True
        self.urn = _urn(self)
        self.bucket = TokenBucket(config.ws_rate, config.ws_burst)
        self.client = StreamClient(self, self.urn, config.ws_queue, config.ws_queue_bytes)
        mode = self.get_argument("subscribe", "self")
        initial = []
        if mode != "none":
            context = "vessels.self" if mode == "self" else "vessels.*"
            initial = [Subscription(context, "*", policy="instant")]
            self.client.subscribe(initial)
        platform.fanout.add(self.client)
        self.write_message(
            json.dumps(
                {
                    "name": "isomer-data",
                    "version": __version__,
                    "self": f"vessels.{self.urn}",
                    "roles": ["master", "main"],
                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
            )
        )
        # As Signal K server: the latest values right after the hello, unless the client
        # asks not to (subscribe=none has nothing to send). Still in open(), on the loop:
        # no live delta can come between the hello and these.
        if initial and self.get_argument("sendCachedValues", "true") != "false":
            self._send_current(initial)

    def _send_current(self, subs: list[Subscription]) -> None:
        """The current values these (just made) subscriptions match, as deltas; the client
        is told (70311) when some were left out (``Subscriber.send_current``)."""
        platform = self.settings["isomer"]
        sent, matched = self.client.send_current(
            platform.live.latest, subs, platform.config.ws_cached_values
        )
        if sent < matched:
            detail = f"{sent} of {matched} sent; the others arrive as they change"
            self._error(coded("partial", 70311, detail).message)

    def _error(self, message: str) -> None:
        # Through the bounded queue: a client that sends but never reads cannot make the
        # server hold its error replies.
        if self.client is not None:
            self.client.send(json.dumps({"error": {"message": message}}))

    def _context(self, context: str) -> str:
        if context in (f"vessels.{self.urn}", "vessels.self"):
            return "vessels.self"
        return context

    async def on_message(self, message) -> None:
        if self.client is None or self.client.closed:
            return
        config = self.settings["isomer"].config
        if len(message) > config.ws_max_message:
            self._error(f"message exceeds {config.ws_max_message} bytes")
            return
        if not self.bucket.take():
            return
        try:
            msg = parse_json(message)  # bounded depth: never a RecursionError
            if not isinstance(msg, dict):
                raise ValueError("not an object")
        except (DomainError, ValueError) as exc:
            self._error(f"not a JSON object: {exc}")
            return
        try:
            if "subscribe" in msg:
                context = self._context(str(msg.get("context", "vessels.self")))
                if not isinstance(msg["subscribe"], list) or len(msg["subscribe"]) > MAX_SUBSCRIBE:
                    raise SubscriptionError(f"subscribe is a list of at most {MAX_SUBSCRIBE}")
                subs = [Subscription.parse(context, s) for s in _root_expanded(msg["subscribe"])]
                self.client.subscribe(subs)
                if self.client.timed:
                    self.settings["isomer"].fanout.ensure_ticker()
                # Signal K server sends what a subscription matches when it is made,
                # whatever sendCachedValues said about the connection's start
                self._send_current(subs)
            elif "unsubscribe" in msg:
                context = self._context(str(msg.get("context", "*")))
                if (
                    not isinstance(msg["unsubscribe"], list)
                    or len(msg["unsubscribe"]) > MAX_SUBSCRIBE
                ):
                    raise SubscriptionError(f"unsubscribe is a list of at most {MAX_SUBSCRIBE}")
                for spec in msg["unsubscribe"]:
                    self.client.unsubscribe(context, str(spec.get("path", "*")))
            elif "updates" in msg:
                self._publish(msg)
            elif "put" in msg:
                await self._put(msg)
            else:
                self._error("expected subscribe, unsubscribe, updates or put")
        except (SubscriptionError, TypeError, AttributeError) as exc:
            self._error(f"bad subscription: {exc}")
        except DomainError as exc:
            self._error(exc.message)

    def _publish(self, msg: dict) -> None:
        from isomer_data.services.live.components import publish_delta

        if not ({VESSEL, ADMIN} & set(roles_of(self.current_user))):
            self._error("only vessel identities may send updates")
            return
        context = self._context(str(msg.get("context", "vessels.self")))
        vessel = context.split(".", 1)[1] if context.startswith("vessels.") else "self"
        platform = self.settings["isomer"]
        reply = publish_delta(platform, msg, vessel, f"signalk.{self.current_user.username}")
        if reply.get("rejected") and self.client is not None:
            # Signal K has no reply to updates; say what was refused, item by item (through
            # the bounded queue, as every reply: a client that never reads holds nothing)
            self.client.send(
                json.dumps(
                    {
                        "error": {
                            "message": f"{reply['rejected']} value(s) refused, "
                            f"{reply['accepted']} kept",
                            "errors": reply["errors"],
                        }
                    }
                )
            )

    async def _put(self, msg: dict) -> None:
        """``{"context", "requestId"?, "put": {"path", "value", "source"?}}`` → the request's
        states, pushed on this stream (PENDING, then COMPLETED)."""
        from isomer_data.core.roles import CREW, SCIENTIST

        client = self.client
        put = msg.get("put")
        request_id = msg.get("requestId")
        if not isinstance(put, dict) or "path" not in put or "value" not in put:
            self._error('expected {"put": {"path", "value"}}')
            return
        if request_id is not None and not isinstance(request_id, str):
            self._error("requestId must be a string")
            return
        if not ({CREW, SCIENTIST, ADMIN} & set(roles_of(self.current_user))):
            # the stream's PUTs need what PUT over REST needs: write on isomer.signalk
            reply = {"requestId": request_id, "state": "COMPLETED", "statusCode": 403}
            client.send(json.dumps({**reply, "message": "your roles may not PUT"}))
            return

        def pushed(reply: dict) -> None:
            if not client.closed:
                client.send(json.dumps(reply))

        source = put.get("source") if isinstance(put.get("source"), str) else None
        reply = await self.settings["isomer"].puts.put(
            self.current_user,
            str(msg.get("context", "vessels.self")),
            put["path"],
            put["value"],
            source=source,
            request_id=request_id,
            listener=pushed,
        )
        if reply["state"] == "PENDING":
            client.send(json.dumps(reply))

    def on_close(self) -> None:
        if self.guarded:
            self.settings["isomer"].guard.remove(self)
            self.guarded = False
        if self.client is not None:
            self.settings["isomer"].fanout.remove(self.client)
            self.client = None


handlers = [
    (r"/signalk/?", DiscoveryHandler),
    (r"/signalk/v1/api/?(.*)", ApiHandler),
    (r"/signalk/v1/stream/?", StreamHandler),
    (r"/signalk/v1/auth/login", JSONLoginHandler),
    (r"/signalk/v1/auth/logout", LogoutHandler),
]


class AccessRequestHandler(JupyterHandler):
    """``POST /signalk/v1/access/requests``: a device asks; no login needed, by design."""

    def check_xsrf_cookie(self):
        return None  # devices have no cookie to forge; this is how they get a credential

    @allow_unauthenticated
    async def post(self):
        self.set_header("Content-Type", "application/json")
        try:
            body = parse_json(self.request.body or b"null", strict=True)
            doc = await self.settings["isomer"].access.request(body, self.request.remote_ip or "?")
        except ValueError:
            self.set_status(400)
            self.finish(json.dumps({"message": "body is not JSON"}))
            return
        except DomainError as exc:
            self.set_status({"flood": 429, "conflict": 409}.get(exc.code, 400))
            self.finish(json.dumps({"message": exc.message}))
            return
        self.set_status(202)
        self.finish(
            json.dumps(
                {
                    "state": "PENDING",
                    "requestId": doc["_id"],
                    "href": f"{self.base_url}signalk/v1/requests/{doc['_id']}",
                }
            )
        )


class RequestStateHandler(JupyterHandler):
    """``GET /signalk/v1/requests/ID``: the device polls (the id is its claim ticket)."""

    @allow_unauthenticated
    async def get(self, request_id: str):
        reply = await self.settings["isomer"].access.poll(request_id)
        if reply is None:
            raise web.HTTPError(404, "no such request")
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(reply))


handlers += [
    (r"/signalk/v1/access/requests", AccessRequestHandler),
    (r"/signalk/v1/requests/([0-9a-f]{32})", RequestStateHandler),
    *api2.handlers,
]


def _app_support() -> list:
    # What web apps ask beside the data; first in the table, since tornado tries routes in
    # order and /signalk/v1/api/(.*) above would take /signalk/v1/api/tracks.
    from isomer_data.services.signalk import appdata, probes

    return probes.handlers + appdata.handlers


handlers = _app_support() + handlers
