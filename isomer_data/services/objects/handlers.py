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

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from pymongo.errors import PyMongoError
from tornado import web

from isomer_data.core.errors import DomainError, database_error
from isomer_data.core.parsing import coded, parse
from isomer_data.services.auth.authorizer import OBJECTS, SCHEMAS

MAX_BODY = 1 << 20


class _Base(APIHandler):
    auth_resource = OBJECTS

    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None))[1]
        if isinstance(exc, DomainError):
            self.finish(json.dumps({"error": exc.to_json()}))
            return
        if status_code == 403:  # the Authorizer said no (@authorized): the same shape
            message = "not allowed for your roles"
            self.finish(json.dumps({"error": {"code": "forbidden", "message": message}}))
            return
        super().write_error(status_code, **kwargs)

    async def _call(self, call, status: int = 200):
        """Run ``call()`` (a coroutine function); domain errors become their HTTP status."""
        try:
            result = await call()
        except DomainError as exc:
            self.set_status(exc.http_status)
            self.finish(json.dumps({"error": exc.to_json()}, default=str))
            return
        except PyMongoError as exc:
            error = database_error(exc)
            self.set_status(error.http_status)
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
    @authorized
    async def get(self, schema: str):
        text = self.get_argument("q", None)
        if text is not None:
            await self._call(lambda: self.objects.search(self.current_user, schema, text))
            return

        async def getlist():
            raw_filter = self.get_argument("filter", None)
            try:
                skip = int(self.get_argument("skip", "0"))
                limit = int(self.get_argument("limit", "100"))
            except ValueError:
                raise DomainError("invalid", "skip and limit are integers") from None
            return await self.objects.getlist(
                self.current_user,
                schema,
                filter=parse(raw_filter, strict=True) if raw_filter else None,
                sort=self.get_argument("sort", None),
                skip=skip,
                limit=limit,
            )

        await self._call(getlist)

    @web.authenticated
    @authorized
    async def post(self, schema: str):
        await self._call(
            lambda: self.objects.put(self.current_user, schema, self._json_body()), 201
        )


class ObjectHandler(_Base):
    @web.authenticated
    @authorized
    async def get(self, schema: str, object_id: str):
        await self._call(lambda: self.objects.get(self.current_user, schema, object_id))

    @web.authenticated
    @authorized
    async def patch(self, schema: str, object_id: str):
        await self._call(
            lambda: self.objects.change(self.current_user, schema, object_id, self._json_body()),
        )

    @web.authenticated
    @authorized
    async def delete(self, schema: str, object_id: str):
        await self._call(lambda: self.objects.delete(self.current_user, schema, object_id))


class SchemasHandler(_Base):
    auth_resource = SCHEMAS

    @web.authenticated
    @authorized
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
