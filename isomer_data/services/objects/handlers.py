"""The object and schema managers over REST, for scripts and tools that do not keep a socket.

``/isomer/api/objects/SCHEMA``: GET lists (``?filter=<json>&sort=-time&skip=&limit=`` or
``?q=text``), POST creates; ``/isomer/api/objects/SCHEMA/UUID``: GET, PATCH (partial
change), DELETE. ``/isomer/api/schemas[/NAME]``. Errors are the hub's, as JSON with a status.
"""

from __future__ import annotations

import json

from jupyter_server.base.handlers import APIHandler
from pymongo.errors import PyMongoError
from tornado import web

from isomer_data.services.hub.events import HubError
from isomer_data.services.hub.hub import database_error

STATUS = {
    "bad_request": 400,
    "invalid": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown_schema": 404,
    "exists": 409,
}


class _Base(APIHandler):
    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None))[1]
        if isinstance(exc, HubError):
            self.finish(json.dumps({"error": exc.to_json()}))
            return
        super().write_error(status_code, **kwargs)

    async def _call(self, coro, status: int = 200):
        try:
            result = await coro
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
        try:
            return json.loads(self.request.body or b"null")
        except ValueError as exc:
            raise web.HTTPError(400, f"body is not JSON: {exc}") from None

    @property
    def objects(self):
        return self.settings["isomer"].objects


class ObjectListHandler(_Base):
    @web.authenticated
    async def get(self, schema: str):
        text = self.get_argument("q", None)
        if text is not None:
            await self._call(self.objects.search(self.current_user, schema, text))
            return
        raw_filter = self.get_argument("filter", None)
        try:
            filter_ = json.loads(raw_filter) if raw_filter else None
        except ValueError:
            raise web.HTTPError(400, "filter is not JSON") from None
        try:
            skip = int(self.get_argument("skip", "0"))
            limit = int(self.get_argument("limit", "100"))
        except ValueError:
            raise web.HTTPError(400, "skip and limit are integers") from None
        await self._call(
            self.objects.getlist(
                self.current_user,
                schema,
                filter=filter_,
                sort=self.get_argument("sort", None),
                skip=skip,
                limit=limit,
            )
        )

    @web.authenticated
    async def post(self, schema: str):
        await self._call(self.objects.put(self.current_user, schema, self._json_body()), 201)


class ObjectHandler(_Base):
    @web.authenticated
    async def get(self, schema: str, object_id: str):
        await self._call(self.objects.get(self.current_user, schema, object_id))

    @web.authenticated
    async def patch(self, schema: str, object_id: str):
        await self._call(
            self.objects.change(self.current_user, schema, object_id, self._json_body())
        )

    @web.authenticated
    async def delete(self, schema: str, object_id: str):
        await self._call(self.objects.delete(self.current_user, schema, object_id))


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
