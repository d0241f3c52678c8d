"""Who am I, and my API tokens: ``/isomer/api/whoami``, ``/isomer/api/tokens[/ID]``."""

from __future__ import annotations

import json

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from isomer_data.core.roles import roles_of
from isomer_data.services.auth.authorizer import IDENTITY, TOKENS
from isomer_data.services.auth.login import JSONLoginHandler, LogoutHandler
from isomer_data.services.database_errors import DatabaseErrorsMixin


def _jsonable(doc: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in doc.items()}


class WhoAmIHandler(APIHandler):
    auth_resource = IDENTITY

    @web.authenticated
    @authorized
    async def get(self):
        user = self.current_user
        self.finish(
            json.dumps(
                {
                    "username": user.username,
                    "name": user.name,
                    "roles": list(roles_of(user)),
                    "kind": getattr(user, "kind", "person"),
                }
            )
        )


class TokensHandler(DatabaseErrorsMixin, APIHandler):
    auth_resource = TOKENS

    """A user's own tokens: for notebooks, scripts and the vessels they run."""

    async def _me(self) -> dict:
        users = self.settings["isomer"].users
        doc = await users.get_by_id(getattr(self.current_user, "user_id", ""))
        if doc is None:
            raise web.HTTPError(403, "tokens belong to platform users; log in as one")
        return doc

    @web.authenticated
    @authorized
    async def get(self):
        me = await self._me()
        tokens = await self.settings["isomer"].users.list_tokens(me)
        self.finish(json.dumps([_jsonable(t) for t in tokens]))

    @web.authenticated
    @authorized
    async def post(self):
        me = await self._me()
        body = self.get_json_body() or {}
        kind = body.get("kind", "person")
        if kind not in ("person", "device"):
            raise web.HTTPError(400, 'kind must be "person" or "device"')
        ttl = body.get("ttl")
        if ttl is not None and not (isinstance(ttl, int | float) and ttl > 0):
            raise web.HTTPError(400, "ttl must be a positive number of seconds")
        token, record = await self.settings["isomer"].users.issue_token(
            me, name=str(body.get("name", "")), kind=kind, ttl=ttl
        )
        self.set_status(201)
        self.finish(
            json.dumps(
                {"token": token, **_jsonable({k: v for k, v in record.items() if k != "_id"})}
            )
        )

    @web.authenticated
    @authorized
    async def delete(self, token_id: str):
        me = await self._me()
        admin = "admin" in roles_of(self.current_user)
        if not await self.settings["isomer"].users.revoke_token(me, token_id, any_user=admin):
            raise web.HTTPError(404, f"no token {token_id}")
        self.set_status(204)
        self.finish()


handlers = [
    (r"/isomer/api/login", JSONLoginHandler),
    (r"/isomer/api/logout", LogoutHandler),
    (r"/isomer/api/whoami", WhoAmIHandler),
    (r"/isomer/api/tokens", TokensHandler),
    (r"/isomer/api/tokens/([A-Za-z0-9]+)", TokensHandler),
]
