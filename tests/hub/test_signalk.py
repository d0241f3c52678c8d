"""Signal K v1 compatibility, exercised by a client written from the specification:
discovery → login → REST full model → stream with hello, deltas and subscriptions."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import tornado.httpclient
import tornado.websocket
from isomer_data.ingest.observation import Observation
from tornado.httpclient import HTTPClientError


def publish(platform, path, value, vessel="self"):
    platform.live.publish([Observation(time.time(), vessel, path, value, "nmea0183.test")])


@pytest.fixture
def sk(http_server_client, jp_http_port, jp_base_url, started):
    base = f"localhost:{jp_http_port}{jp_base_url}"
    client = tornado.httpclient.AsyncHTTPClient()

    async def fetch(path, method="GET", body=None, headers=None):
        return await client.fetch(
            f"http://{base}{path}",
            method=method,
            body=body,
            headers=headers or {},
            raise_error=False,
        )

    async def stream(query="", headers=None):
        request = tornado.httpclient.HTTPRequest(
            f"ws://{base}signalk/v1/stream" + (f"?{query}" if query else ""), headers=headers or {}
        )
        return await tornado.websocket.websocket_connect(request)

    return fetch, stream


async def _login(fetch, username, password):
    reply = await fetch(
        "signalk/v1/auth/login", "POST", json.dumps({"username": username, "password": password})
    )
    return reply


async def test_discovery_login_rest_and_stream(started, tokens, sk, password):
    fetch, stream = sk
    discovery = json.loads((await fetch("signalk")).body)
    assert discovery["endpoints"]["v1"]["version"].startswith("1.")
    assert discovery["endpoints"]["v1"]["signalk-ws"].endswith("/signalk/v1/stream")

    # security is on: no token, no data
    assert (await fetch("signalk/v1/api/vessels/self")).code == 401
    with pytest.raises(HTTPClientError) as refused:
        await stream()
    assert refused.value.code == 401

    assert (await _login(fetch, "crew1", "wrong")).code == 401
    reply = await _login(fetch, "crew1", password)
    assert reply.code == 200
    token = json.loads(reply.body)["token"]
    bearer = {"Authorization": f"Bearer {token}"}

    publish(started, "navigation.position", {"latitude": 54.1, "longitude": 10.9})
    position = json.loads(
        (await fetch("signalk/v1/api/vessels/self/navigation/position", headers=bearer)).body
    )
    assert position["value"] == {"latitude": 54.1, "longitude": 10.9}
    assert position["$source"] == "nmea0183.test"
    model = json.loads((await fetch("signalk/v1/api/", headers=bearer)).body)
    self_id = model["self"].split(".", 1)[1]
    assert self_id.startswith("urn:mrn:signalk:uuid:")
    assert model["vessels"][self_id]["navigation"]["position"]["value"]["latitude"] == 54.1

    ws = await stream(headers=bearer)
    hello = json.loads(await ws.read_message())
    assert hello["self"] == model["self"]
    assert "version" in hello and "timestamp" in hello
    # the latest values first, as Signal K server sends them (tests/hub/test_signalk_cached.py)
    cached = json.loads(await ws.read_message())
    assert cached["updates"][0]["values"][0]["path"] == "navigation.position"
    publish(started, "navigation.speedOverGround", 3.5)
    delta = json.loads(await ws.read_message())
    assert delta["context"] == model["self"]
    update = delta["updates"][0]
    assert update["values"] == [{"path": "navigation.speedOverGround", "value": 3.5}]
    assert update["timestamp"].endswith("Z")
    ws.close()

    # the same token works with Jupyter's own REST API, and as the JAUTHENTICATION cookie
    jupyter = await fetch("api/status", headers={"Authorization": f"token {token}"})
    assert jupyter.code == 200
    cookie = await fetch(
        "signalk/v1/api/vessels/self", headers={"Cookie": f"JAUTHENTICATION={token}"}
    )
    assert cookie.code == 200

    # logout revokes it
    assert (await fetch("signalk/v1/auth/logout", "PUT", "", headers=bearer)).code == 200
    assert (await fetch("signalk/v1/api/vessels/self", headers=bearer)).code == 401


async def test_stream_subscribe_none_then_subscribe_messages(started, tokens, sk):
    fetch, stream = sk
    bearer = {"Authorization": f"Bearer {tokens['crew']}"}
    ws = await stream("subscribe=none", headers=bearer)
    json.loads(await ws.read_message())  # hello
    publish(started, "environment.depth.belowTransducer", 7.0)
    publish(
        started,
        "navigation.position",
        {"latitude": 1, "longitude": 2},
        vessel="urn:mrn:imo:mmsi:211000002",
    )
    await ws.write_message(
        json.dumps(
            {
                "context": "vessels.*",
                "subscribe": [{"path": "navigation.position", "policy": "instant"}],
            }
        )
    )
    await ws.write_message("not json")
    # the subscription starts with the latest value it matches
    cached = json.loads(await ws.read_message())
    assert cached["context"] == "vessels.urn:mrn:imo:mmsi:211000002"
    assert cached["updates"][0]["values"][0]["value"]["latitude"] == 1
    error = json.loads(await ws.read_message())
    assert "error" in error
    publish(started, "environment.depth.belowTransducer", 7.5)  # not subscribed
    publish(
        started,
        "navigation.position",
        {"latitude": 1.5, "longitude": 2},
        vessel="urn:mrn:imo:mmsi:211000002",
    )
    delta = json.loads(await ws.read_message())
    assert delta["context"] == "vessels.urn:mrn:imo:mmsi:211000002"
    assert delta["updates"][0]["values"][0]["value"]["latitude"] == 1.5
    await ws.write_message(json.dumps({"context": "*", "unsubscribe": [{"path": "*"}]}))
    await ws.write_message(
        json.dumps(
            {
                "context": "vessels.self",
                "subscribe": [{"path": "environment.*", "policy": "instant"}],
            }
        )
    )
    await ws.write_message("[]")  # a barrier: its error reply means the lines above were handled
    cached = json.loads(await ws.read_message())
    assert cached["updates"][0]["values"] == [
        {"path": "environment.depth.belowTransducer", "value": 7.5}
    ]
    assert "error" in json.loads(await ws.read_message())
    publish(
        started,
        "navigation.position",
        {"latitude": 1.6, "longitude": 2},
        vessel="urn:mrn:imo:mmsi:211000002",
    )
    publish(started, "environment.depth.belowTransducer", 8.0)
    delta = json.loads(await ws.read_message())
    assert delta["updates"][0]["values"] == [
        {"path": "environment.depth.belowTransducer", "value": 8.0}
    ]
    ws.close()


async def test_vessel_identity_sends_updates(started, tokens, sk):
    fetch, stream = sk
    ws = await stream("subscribe=none", headers={"Authorization": f"Bearer {tokens['vessel']}"})
    json.loads(await ws.read_message())
    await ws.write_message(
        json.dumps(
            {
                "context": "vessels.urn:mrn:imo:mmsi:211000003",
                "updates": [
                    {
                        "timestamp": "2026-11-25T06:00:00Z",
                        "values": [{"path": "navigation.speedOverGround", "value": 2.5}],
                    }
                ],
            }
        )
    )
    reader = await stream("subscribe=all", headers={"Authorization": f"Bearer {tokens['crew']}"})
    json.loads(await reader.read_message())
    deadline = time.monotonic() + 30  # generous: only a lost update reaches it
    while started.live.get("urn:mrn:imo:mmsi:211000003", "navigation.speedOverGround") is None:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert started.live.get("urn:mrn:imo:mmsi:211000003", "navigation.speedOverGround")[1] == 2.5
    # crew may not feed data
    crew = await stream("subscribe=none", headers={"Authorization": f"Bearer {tokens['crew']}"})
    json.loads(await crew.read_message())
    await crew.write_message(json.dumps({"updates": [{"values": [{"path": "a.b", "value": 1}]}]}))
    assert "error" in json.loads(await crew.read_message())


async def test_device_access_request_approved_by_an_admin(started, tokens, sk, hub_connect):
    fetch, stream = sk
    admin = await hub_connect(tokens["admin"])
    body = {
        "clientId": "1234-4567-8910-abcd",
        "description": "Cockpit display",
        "permissions": "readonly",
    }
    asked = await fetch("signalk/v1/access/requests", "POST", json.dumps(body))
    assert asked.code == 202
    request = json.loads(asked.body)
    assert request["state"] == "PENDING"
    assert request["href"].endswith(f"signalk/v1/requests/{request['requestId']}")
    poll_path = f"signalk/v1/requests/{request['requestId']}"
    assert json.loads((await fetch(poll_path)).body)["state"] == "PENDING"

    notice = await admin.push("accessrequest")
    assert notice["data"]["description"] == "Cockpit display"
    listed = await admin.call("access", "list")
    assert [r["requestId"] for r in listed["data"]] == [request["requestId"]]
    crew = await hub_connect(tokens["crew"])
    assert (await crew.call("access", "approve", {"requestId": request["requestId"]}))["error"][
        "code"
    ] == "forbidden"
    approved = await admin.call("access", "approve", {"requestId": request["requestId"]})
    assert approved["data"]["permission"] == "APPROVED"

    reply = json.loads((await fetch(poll_path)).body)
    assert reply["state"] == "COMPLETED"
    assert reply["accessRequest"]["permission"] == "APPROVED"
    token = reply["accessRequest"]["token"]
    again = json.loads((await fetch(poll_path)).body)
    assert "token" not in again["accessRequest"]  # handed out once
    device = await started.users.user_for_token(token)
    assert device["roles"] == ["viewer"] and device["token_kind"] == "device"
    ws = await stream(headers={"Authorization": f"Bearer {token}"})
    assert "self" in json.loads(await ws.read_message())
    ws.close()

    other = await fetch(
        "signalk/v1/access/requests",
        "POST",
        json.dumps({"clientId": "9999-8888-7777", "permissions": "admin"}),
    )
    other_id = json.loads(other.body)["requestId"]
    await admin.call("access", "deny", {"requestId": other_id})
    denied = json.loads((await fetch(f"signalk/v1/requests/{other_id}")).body)
    assert denied["accessRequest"] == {"permission": "DENIED"}
    bad = await fetch("signalk/v1/access/requests", "POST", json.dumps({"clientId": "x"}))
    assert bad.code == 400
