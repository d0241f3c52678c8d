"""The object and schema managers over REST, for scripts and tools that do not keep a socket.

``/isomer/api/objects/SCHEMA``: GET lists (``?filter=<json>&sort=-time&skip=&limit=`` or
``?q=text``), POST creates; ``/isomer/api/objects/SCHEMA/UUID``: GET, PATCH (partial
change), DELETE. ``/isomer/api/schemas[/NAME]``. Errors are the hub's, as JSON with a status.

Each method is the same as a hub event (GET list = ``objects/getlist``, POST =
``objects/put``, …) and allowed to the same roles; the object manager behind both does the
per-object and per-field checks. Bodies are parsed strictly (no NaN, at most 64 levels,
at most ``MAX_BODY`` bytes).
"""

from __future__ import annotations

import json

from jupyter_server.base.handlers import APIHandler
from pymongo.errors import PyMongoError
from tornado import web

from isomer_data.services.auth.roles import roles_of
from isomer_data.services.hub.events import EVENTS, HubError
from isomer_data.services.hub.hub import database_error
from isomer_data.services.hub.parsing import coded, parse

MAX_BODY = 1 << 20

STATUS = {
    "bad_request": 400,
    "invalid": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown_schema": 404,
    "exists": 409,
    "too_large": 413,
}


class _Base(APIHandler):
    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None))[1]
        if isinstance(exc, HubError):
            self.finish(json.dumps({"error": exc.to_json()}))
            return
        super().write_error(status_code, **kwargs)

    async def _call(self, action: str, call, status: int = 200):
        """Run ``call()`` (a coroutine function) as the hub event ``objects/<action>``."""
        try:
            if not EVENTS[("objects", action)].allows(roles_of(self.current_user)):
                raise HubError("forbidden", f"objects/{action} is not allowed for your roles")
            result = await call()
        except HubError as exc:
            self.set_status(STATUS.get(exc.code, 400))
            self.finish(json.dumps({"error": exc.to_json()}, default=str))
            return
        except PyMongoError as exc:
            error = database_error(exc)
            self.set_status(STATUS.get(error.code, 503))
            self.finish(json.dumps({"error": error.to_json()}))
            return
        self.set_status(status)
        self.finish(json.dumps(result, default=str))

    def _json_body(self):
        body = self.request.body or b"null"
        if len(body) > MAX_BODY:
            raise coded("too_large", 40203, f"{len(body)} bytes, at most {MAX_BODY}")
        return parse(body, strict=True)

    @property
    def objects(self):
        return self.settings["isomer"].objects


class ObjectListHandler(_Base):
    @web.authenticated
    async def get(self, schema: str):
        text = self.get_argument("q", None)
        if text is not None:
            await self._call("search", lambda: self.objects.search(self.current_user, schema, text))
            return

        async def getlist():
            raw_filter = self.get_argument("filter", None)
            try:
                skip = int(self.get_argument("skip", "0"))
                limit = int(self.get_argument("limit", "100"))
            except ValueError:
                raise HubError("invalid", "skip and limit are integers") from None
            return await self.objects.getlist(
                self.current_user,
                schema,
                filter=parse(raw_filter, strict=True) if raw_filter else None,
                sort=self.get_argument("sort", None),
                skip=skip,
                limit=limit,
            )

        await self._call("getlist", getlist)

    @web.authenticated
    async def post(self, schema: str):
        await self._call(
            "put", lambda: self.objects.put(self.current_user, schema, self._json_body()), 201
        )


class ObjectHandler(_Base):
    @web.authenticated
    async def get(self, schema: str, object_id: str):
        await self._call("get", lambda: self.objects.get(self.current_user, schema, object_id))

    @web.authenticated
    async def patch(self, schema: str, object_id: str):
        await self._call(
            "change",
            lambda: self.objects.change(self.current_user, schema, object_id, self._json_body()),
        )

    @web.authenticated
    async def delete(self, schema: str, object_id: str):
        await self._call(
            "delete", lambda: self.objects.delete(self.current_user, schema, object_id)
        )


class SchemasHandler(_Base):
    @web.authenticated
    async def get(self, name: str | None = None):
        registry = self.settings["isomer"].schemas
        if name is None:
            self.finish(json.dumps({n: registry.describe(n) for n in registry.object_schemas}))
        elif name in registry.schemas:
            self.finish(json.dumps(registry.describe(name)))
        else:
            self.set_status(404)
            self.finish(json.dumps({"error": {"code": "unknown_schema", "message": name}}))


handlers = [
    (r"/isomer/api/objects/([a-z0-9_]+)", ObjectListHandler),
    (r"/isomer/api/objects/([a-z0-9_]+)/([A-Za-z0-9_-]+)", ObjectHandler),
    (r"/isomer/api/schemas", SchemasHandler),
    (r"/isomer/api/schemas/([a-z0-9_]+)", SchemasHandler),
]
