"""A running platform with one user per role, and a small websocket client for the hub."""

from __future__ import annotations

import asyncio
import json

import pytest
import tornado.httpclient
import tornado.websocket

from isomer_data.core.roles import ROLES

PASSWORD = "correct horse battery"


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def platform(jp_serverapp):
    return jp_serverapp.web_app.settings["isomer"]


@pytest.fixture
def started(jp_serverapp, platform, jp_asyncio_loop):
    """The platform with its services started (pytest-jupyter does not run start hooks)."""
    jp_asyncio_loop.run_until_complete(jp_serverapp.extension_manager.start_all_extensions())
    return platform


@pytest.fixture
def tokens(started, jp_asyncio_loop) -> dict[str, str]:
    """``role -> API token`` of a user ``<role>1`` holding just that role."""

    async def make():
        out = {}
        for role in ROLES:
            user = await started.users.create(f"{role}1", PASSWORD, [role])
            out[role], _ = await started.users.issue_token(user, name="test")
        return out

    return jp_asyncio_loop.run_until_complete(make())


class HubClient:
    """Speaks the hub protocol: request/reply by id, pushes kept in order."""

    def __init__(self, conn):
        self.conn = conn
        self.hello = None
        self.pushes: list[dict] = []
        self._next = 0

    async def recv(self, timeout: float = 5.0) -> dict:
        raw = await asyncio.wait_for(self.conn.read_message(), timeout)
        if raw is None:
            raise ConnectionError("closed")
        return json.loads(raw)

    async def call(self, component: str, action: str, data=None, timeout: float = 5.0) -> dict:
        self._next += 1
        rid = self._next
        await self.conn.write_message(
            json.dumps({"component": component, "action": action, "data": data, "id": rid})
        )
        return await self.reply(rid, timeout)

    async def reply(self, rid, timeout: float = 5.0) -> dict:
        while True:
            msg = await self.recv(timeout)
            if msg.get("id") == rid:
                return msg
            self.pushes.append(msg)  # a push, or an error about an earlier message

    async def push(self, action: str | None = None, timeout: float = 5.0) -> dict:
        for i, msg in enumerate(self.pushes):
            if action is None or msg.get("action") == action:
                return self.pushes.pop(i)
        while True:
            msg = await self.recv(timeout)
            if action is None or msg.get("action") == action:
                return msg
            self.pushes.append(msg)

    def close(self):
        self.conn.close()


@pytest.fixture
def hub_connect(http_server_client, jp_http_port, jp_base_url):
    opened = []

    async def connect(token: str | None = None, path: str = "isomer/ws", query: str = ""):
        url = f"ws://localhost:{jp_http_port}{jp_base_url}{path}"
        if query:
            url += "?" + query
        headers = {"Authorization": f"token {token}"} if token else {}
        request = tornado.httpclient.HTTPRequest(url, headers=headers)
        conn = await tornado.websocket.websocket_connect(request)
        client = HubClient(conn)
        opened.append(client)
        if path == "isomer/ws":
            client.hello = await client.recv()
        return client

    yield connect
    for client in opened:
        client.close()


@pytest.fixture
def skv2(http_server_client, jp_http_port, jp_base_url, started):
    base = f"localhost:{jp_http_port}{jp_base_url}"
    client = tornado.httpclient.AsyncHTTPClient()
    opened = []

    async def fetch(path, method="GET", body=None, token=None, headers=None):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None and not isinstance(body, str | bytes):
            body = json.dumps(body)
        reply = await client.fetch(
            f"http://{base}{path}",
            method=method,
            body=body,
            headers=headers,
            raise_error=False,
            allow_nonstandard_methods=True,
            follow_redirects=False,
        )
        try:
            data = json.loads(reply.body) if reply.body else None
        except ValueError:
            data = reply.body
        return reply.code, data

    async def stream(token):
        request = tornado.httpclient.HTTPRequest(
            f"ws://{base}signalk/v1/stream?subscribe=self",
            headers={"Authorization": f"Bearer {token}"},
        )
        conn = await tornado.websocket.websocket_connect(request)
        opened.append(conn)
        await conn.read_message()  # hello
        return conn

    fetch.origin = f"http://localhost:{jp_http_port}"
    yield fetch, stream
    for conn in opened:
        conn.close()
