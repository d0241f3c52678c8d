"""Signal K device access requests cannot be hijacked.

Security finding 7: a second request with the same ``clientId`` got the first one's
``requestId`` (and could collect its token); a ``readonly`` request reusing an admin
device's ``clientId`` was approved as that admin device.
"""

from __future__ import annotations

import json
import re

import pytest
import tornado.httpclient


@pytest.fixture
def fetch(http_server_client, jp_http_port, jp_base_url, started):
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    client = tornado.httpclient.AsyncHTTPClient()

    async def fetch(path, method="GET", body=None, headers=None):
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
        return await client.fetch(
            base + path, method=method, body=body, headers=headers or {}, raise_error=False
        )

    return fetch


async def _ask(fetch, client_id, permissions="readonly", description="display"):
    return await fetch(
        "signalk/v1/access/requests",
        "POST",
        {"clientId": client_id, "description": description, "permissions": permissions},
    )


async def _collect(fetch, request_id) -> str | None:
    reply = json.loads((await fetch(f"signalk/v1/requests/{request_id}")).body)
    return reply.get("accessRequest", {}).get("token")


async def test_a_second_request_with_a_pending_client_id_is_refused(
    started, tokens, fetch, hub_connect
):
    first = await _ask(fetch, "aaaa-bbbb-cccc-dddd")
    assert first.code == 202
    ticket = json.loads(first.body)["requestId"]
    assert re.fullmatch(r"[0-9a-f]{32}", ticket)
    second = await _ask(fetch, "aaaa-bbbb-cccc-dddd", "admin", "an impostor")
    assert second.code == 409
    body = json.loads(second.body)
    assert "already pending" in body["message"] and "requestId" not in body
    assert ticket not in second.body.decode()
    admin = await hub_connect(tokens["admin"])
    pending = (await admin.call("access", "list"))["data"]
    assert [r["requestId"] for r in pending] == [ticket]  # one request, the first one's
    assert pending[0]["permissions"] == "readonly"
    assert "error" not in await admin.call("access", "approve", {"requestId": ticket})
    token = await _collect(fetch, ticket)
    assert (await started.users.user_for_token(token))["roles"] == ["viewer"]
    # once decided, the same clientId may ask again: a new request, a new ticket
    again = await _ask(fetch, "aaaa-bbbb-cccc-dddd")
    assert again.code == 202 and json.loads(again.body)["requestId"] != ticket


async def test_reusing_an_admin_devices_client_id_gets_a_new_identity(
    started, tokens, fetch, hub_connect
):
    admin = await hub_connect(tokens["admin"])
    chart = json.loads((await _ask(fetch, "chartplotter-01", "admin")).body)["requestId"]
    assert "error" not in await admin.call("access", "approve", {"requestId": chart})
    chart_user = await started.users.user_for_token(await _collect(fetch, chart))
    assert chart_user["roles"] == ["admin"]

    sneaky = json.loads((await _ask(fetch, "chartplotter-01", "readonly")).body)["requestId"]
    approved = await admin.call("access", "approve", {"requestId": sneaky})
    assert approved["data"]["permissions"] == "readonly"
    device = await started.users.user_for_token(await _collect(fetch, sneaky))
    assert device["roles"] == ["viewer"]  # exactly what was shown: readonly
    assert device["_id"] != chart_user["_id"]
    assert device["username"] != chart_user["username"]
    assert device["username"].startswith("device-chartplotter-01-")
    # the admin device's record is untouched
    assert (await started.users.get(chart_user["username"]))["roles"] == ["admin"]


async def test_approval_checks_the_permissions_the_admin_saw(started, tokens, fetch, hub_connect):
    admin = await hub_connect(tokens["admin"])
    ticket = json.loads((await _ask(fetch, "logger-0001", "readwrite")).body)["requestId"]
    wrong = await admin.call("access", "approve", {"requestId": ticket, "permissions": "readonly"})
    assert wrong["error"]["code"] == "conflict"
    assert "readwrite" in wrong["error"]["message"]
    assert json.loads((await fetch(f"signalk/v1/requests/{ticket}")).body)["state"] == "PENDING"
    bad = await admin.call("access", "approve", {"requestId": ticket, "permissions": "root"})
    assert bad["error"]["code"] == "invalid"
    ok = await admin.call("access", "approve", {"requestId": ticket, "permissions": "readwrite"})
    assert ok["data"]["permission"] == "APPROVED"
    device = await started.users.user_for_token(await _collect(fetch, ticket))
    assert device["roles"] == ["crew", "vessel"]
    twice = await admin.call("access", "approve", {"requestId": ticket})
    assert twice["error"]["code"] == "not_found"


@pytest.mark.parametrize("role", ["crew", "scientist", "vessel", "viewer", None])
async def test_only_admins_decide(started, tokens, fetch, hub_connect, role):
    ticket = json.loads((await _ask(fetch, "display-0042")).body)["requestId"]
    client = await hub_connect(tokens[role] if role else None)
    for action in ("approve", "deny", "list"):
        reply = await client.call("access", action, {"requestId": ticket})
        assert reply["error"]["code"] == ("forbidden" if role else "unauthenticated")
    assert json.loads((await fetch(f"signalk/v1/requests/{ticket}")).body)["state"] == "PENDING"


async def test_client_ids_are_plain_names(started, fetch):
    for bad in ("short", "x" * 65, "has space in it", "../../etc/passwd", 12345678):
        reply = await _ask(fetch, bad)
        assert reply.code == 400
        assert "clientId" in json.loads(reply.body)["message"]
