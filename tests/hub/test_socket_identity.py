"""Open websockets follow their login: revoked, deleted, disabled or demoted takes effect.

Security finding 5: a websocket was authenticated once, when it opened, and kept its roles
for as long as it stayed open; ``auth/createtoken`` over it even minted a token that never
expired. Each test opens a hub socket and a Signal K stream, changes the login behind them
the way an admin (or another process) would, and watches both sockets.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import tornado.httpclient
import tornado.websocket

from isomer_data.services.auth.users import token_hash


async def _stream(jp_http_port, jp_base_url, token):
    request = tornado.httpclient.HTTPRequest(
        f"ws://localhost:{jp_http_port}{jp_base_url}signalk/v1/stream?subscribe=none",
        headers={"Authorization": f"Bearer {token}"},
    )
    conn = await tornado.websocket.websocket_connect(request)
    hello = json.loads(await asyncio.wait_for(conn.read_message(), 5))
    assert "self" in hello
    return conn


async def _closed(conn, timeout: float = 5.0) -> tuple[int, str]:
    """Read until the server closes; the close code and reason."""
    while True:
        msg = await asyncio.wait_for(conn.read_message(), timeout)
        if msg is None:
            return conn.close_code, conn.close_reason


async def _user(started, username: str) -> dict:
    return await started.users.get(username)


async def test_revoked_token_closes_the_hub_socket_and_the_stream(
    started, tokens, hub_connect, jp_http_port, jp_base_url
):
    crew = await hub_connect(tokens["crew"])
    assert "error" not in await crew.call("live", "subscribe", {"paths": ["navigation.*"]})
    stream = await _stream(jp_http_port, jp_base_url, tokens["crew"])
    other = await hub_connect(tokens["scientist"])
    admin = await hub_connect(tokens["admin"])
    token_id = token_hash(tokens["crew"])[:12]
    assert "error" not in await admin.call("auth", "revoketoken", {"id": token_id})
    code, reason = await _closed(crew.conn)
    assert code == 4401 and "token was revoked" in reason
    code, reason = await _closed(stream)
    assert code == 4401 and "token was revoked" in reason
    assert "data" in await other.call("hub", "ping")  # nobody else is touched


async def test_deleted_user_is_disconnected(
    started, tokens, hub_connect, jp_http_port, jp_base_url
):
    crew = await hub_connect(tokens["crew"])
    stream = await _stream(jp_http_port, jp_base_url, tokens["crew"])
    admin = await hub_connect(tokens["admin"])
    uuid = (await _user(started, "crew1"))["uuid"]
    assert "error" not in await admin.call("objects", "delete", {"schema": "user", "uuid": uuid})
    for conn in (crew.conn, stream):
        code, reason = await _closed(conn)
        assert code == 4401 and "user was deleted" in reason


async def test_disabled_user_is_disconnected(
    started, tokens, hub_connect, jp_http_port, jp_base_url, password
):
    # logged in over the socket with a password, as the panels do
    crew = await hub_connect()
    assert "error" not in await crew.call(
        "auth", "login", {"username": "crew1", "password": password}
    )
    stream = await _stream(jp_http_port, jp_base_url, tokens["crew"])
    admin = await hub_connect(tokens["admin"])
    uuid = (await _user(started, "crew1"))["uuid"]
    change = {"schema": "user", "uuid": uuid, "change": {"disabled": True}}
    assert "error" not in await admin.call("objects", "change", change)
    for conn in (crew.conn, stream):
        code, reason = await _closed(conn)
        assert code == 4401 and "user was disabled" in reason


async def test_demoted_user_keeps_the_connection_with_the_new_roles(
    started, tokens, hub_connect, jp_http_port, jp_base_url
):
    boss = await started.users.create("boss", "long enough password", ["admin"])
    boss_token, _ = await started.users.issue_token(boss)
    boat = await started.users.get("vessel1")
    demoted = await hub_connect(boss_token)
    assert "error" not in await demoted.call("access", "list")
    stream = await _stream(jp_http_port, jp_base_url, tokens["vessel"])
    admin = await hub_connect(tokens["admin"])
    for uuid in (boss["uuid"], boat["uuid"]):
        change = {"schema": "user", "uuid": uuid, "change": {"roles": ["crew"]}}
        assert "error" not in await admin.call("objects", "change", change)
    notice = await demoted.push("identity")
    assert notice["data"] == {"user": "boss", "roles": ["crew"]}
    refused = await demoted.call("access", "list")
    assert refused["error"]["code"] == "forbidden"
    assert (await demoted.call("hub", "whoami"))["data"]["roles"] == ["crew"]
    # the stream stays open, but its vessel may no longer publish
    deadline = asyncio.get_running_loop().time() + 5
    while any("vessel" in s.roles for s in started.guard.sockets):
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)
    update = {"context": "vessels.self", "updates": [{"values": [{"path": "a.b", "value": 1}]}]}
    await stream.write_message(json.dumps(update))
    reply = json.loads(await asyncio.wait_for(stream.read_message(), 5))
    assert "only vessel identities" in reply["error"]["message"]


async def test_changes_made_elsewhere_are_caught_by_the_timer(
    started, tokens, hub_connect, jp_http_port, jp_base_url
):
    """Another process (``isomer db user delete``) or an expiring token: no event here."""
    started.config.ws_recheck_seconds = 1
    crew = await hub_connect(tokens["crew"])
    stream = await _stream(jp_http_port, jp_base_url, tokens["crew"])
    scientist = await hub_connect(tokens["scientist"])
    # straight in the database, as another process would: this server hears nothing
    await started.users.users.delete_one({"username": "crew1"})
    for conn in (crew.conn, stream):
        code, reason = await _closed(conn, timeout=10)
        assert code == 4401 and "user was deleted" in reason
    await started.users.tokens.update_one(
        {"id": token_hash(tokens["scientist"])[:12]},
        {"$set": {"expires": datetime.now(UTC) - timedelta(seconds=1)}},
    )
    code, reason = await _closed(scientist.conn, timeout=10)
    assert code == 4401 and "token expired" in reason


async def test_tokens_made_over_a_socket_do_not_outlive_its_login(
    started, tokens, hub_connect, http_server_client, jp_http_port, jp_base_url
):
    crew = await started.users.get("crew1")
    short, _ = await started.users.issue_token(crew, name="short", ttl=120)
    client = await hub_connect(short)
    made = await client.call("auth", "createtoken", {"name": "for a script"})
    expires = datetime.fromisoformat(made["data"]["expires"].replace("Z", "+00:00"))
    assert expires <= datetime.now(UTC) + timedelta(seconds=121)
    # a token without expiry still cannot mint a token that never expires
    forever = await hub_connect(tokens["crew"])
    other = await forever.call("auth", "createtoken", {"name": "x"})
    expires = datetime.fromisoformat(other["data"]["expires"].replace("Z", "+00:00"))
    assert expires <= datetime.now(UTC) + timedelta(days=30, seconds=1)
    bad = await forever.call("auth", "createtoken", {"ttl": "forever"})
    assert bad["error"]["code"] == "invalid"
    # revoking the socket's token revokes what was made with it
    assert "error" not in await forever.call("auth", "revoketoken", {"id": token_hash(short)[:12]})
    child = made["data"]["token"]
    assert await started.users.user_for_token(child) is None
    code, _ = await _closed(client.conn)
    assert code == 4401
