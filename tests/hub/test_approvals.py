"""Signal K device approvals give exactly the permissions asked for; a vessel's publish lands."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
import tornado.httpclient

from isomer_data.store.observations import count_observations

EXPECTED_ROLES = {"readwrite": ["crew", "vessel"], "admin": ["admin"]}


@pytest.fixture
def fetch(http_server_client, jp_http_port, jp_base_url, started):
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    client = tornado.httpclient.AsyncHTTPClient()

    async def go(path, method="GET", body=None):
        return await client.fetch(base + path, method=method, body=body, raise_error=False)

    return go


async def approved_device_token(fetch, admin, permissions: str, client_id: str) -> str:
    asked = await fetch(
        "signalk/v1/access/requests",
        "POST",
        json.dumps({"clientId": client_id, "description": "mast", "permissions": permissions}),
    )
    assert asked.code == 202
    request_id = json.loads(asked.body)["requestId"]
    approved = await admin.call("access", "approve", {"requestId": request_id})
    assert approved["data"]["permission"] == "APPROVED"
    reply = json.loads((await fetch(f"signalk/v1/requests/{request_id}")).body)
    assert reply["state"] == "COMPLETED"
    return reply["accessRequest"]["token"]


@pytest.mark.parametrize("permissions", ["readwrite", "admin"])
async def test_approved_device_gets_exactly_the_permissions_it_asked_for(
    started, tokens, hub_connect, fetch, permissions
):
    admin = await hub_connect(tokens["admin"])
    token = await approved_device_token(fetch, admin, permissions, f"client-{permissions}")
    device = await started.users.user_for_token(token)
    assert device["roles"] == EXPECTED_ROLES[permissions]
    assert device["token_kind"] == "device"

    hub = await hub_connect(token)
    assert (await hub.call("hub", "whoami"))["data"]["roles"] == EXPECTED_ROLES[permissions]
    listing = await hub.call("access", "list")  # reviewing requests is for admins only
    delta = {
        "context": "vessels.self",
        "updates": [{"values": [{"path": "environment.water.temperature", "value": 288.15}]}],
    }
    published = await hub.call("live", "publish", delta)  # admin and vessel may publish
    users = await hub.call("objects", "getlist", {"schema": "user"})
    if permissions == "admin":
        assert "data" in listing
        assert published["data"] == {"accepted": 1}
        names = {u["username"] for u in users["data"]["items"]}
        assert {"admin1", "crew1", "scientist1", "vessel1"} <= names
        # every approval is a new identity: device-<clientId>-<8 hex>
        assert any(re.fullmatch(r"device-client-admin-[0-9a-f]{8}", n) for n in names)
    else:
        assert listing["error"]["code"] == "forbidden"
        assert published["data"] == {"accepted": 1}  # the vessel role feeds data
        # only its own record (every user owns theirs), not the other users
        names = [u["username"] for u in users["data"]["items"]]
        assert len(names) == 1
        assert re.fullmatch(rf"device-client-{permissions}-[0-9a-f]{{8}}", names[0])
        # and cannot approve anything
        other = await fetch(
            "signalk/v1/access/requests", "POST", json.dumps({"clientId": "someone-else"})
        )
        other_id = json.loads(other.body)["requestId"]
        refused = await hub.call("access", "approve", {"requestId": other_id})
        assert refused["error"]["code"] == "forbidden"


async def test_vessel_publish_reaches_subscribers_live_state_and_database(
    started, tokens, hub_connect
):
    crew = await hub_connect(tokens["crew"])
    await crew.call("live", "subscribe", {"paths": ["navigation.speedOverGround"]})
    vessel = await hub_connect(tokens["vessel"])
    delta = {
        "context": "vessels.urn:mrn:imo:mmsi:211000042",
        "updates": [
            {
                "timestamp": "2026-11-25T06:00:00Z",
                "values": [
                    {"path": "navigation.speedOverGround", "value": 3.25},
                    {"path": "navigation.courseOverGroundTrue", "value": 1.5},
                ],
            }
        ],
    }
    reply = await vessel.call("live", "publish", delta)
    assert reply["data"] == {"accepted": 2}
    latest = started.live.get("urn:mrn:imo:mmsi:211000042", "navigation.speedOverGround")
    assert latest[1] == 3.25
    scientist = await hub_connect(tokens["scientist"])
    await scientist.call(
        "live",
        "subscribe",
        {"paths": ["vessels.urn:mrn:imo:mmsi:211000042.navigation.speedOverGround"]},
    )
    pushed = await scientist.push("delta", timeout=30)  # the current value on subscribe
    values = [v for u in pushed["data"]["updates"] for v in u["values"]]
    assert values == [{"path": "navigation.speedOverGround", "value": 3.25}]
    assert pushed["data"]["updates"][0]["timestamp"] == "2026-11-25T06:00:00.000Z"
    await asyncio.to_thread(started.hub_store.flush, True)
    db = started.database.db
    stored = await asyncio.to_thread(count_observations, db, paths="navigation.speedOverGround")
    assert stored == 1
