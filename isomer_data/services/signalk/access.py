"""Signal K device access requests: how an instrument display or app without a user
account asks for a token, and an admin says yes or no.

The device ``POST``\\s ``/signalk/v1/access/requests`` with a ``clientId``, a
``description`` and the ``permissions`` it wants (``readonly``, ``readwrite``, ``admin``),
then polls ``/signalk/v1/requests/<id>``. An admin approves or denies in the hub
(``access/approve``, ``access/deny``) or over REST. Approval creates a device user
(``device-<clientId>``, roles: readonly → crew, readwrite → crew + vessel, admin → admin)
and a device token, handed to the device once on its next poll.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from isomer_data.services.hub.events import HubError

COLLECTION = "access_requests"
PERMISSIONS = {"readonly": ["crew"], "readwrite": ["crew", "vessel"], "admin": ["admin"]}
MAX_PENDING = 100


def public(doc: dict) -> dict:
    return {
        "requestId": doc["_id"],
        "clientId": doc["clientId"],
        "description": doc.get("description", ""),
        "permissions": doc["permissions"],
        "state": doc["state"],
        "permission": doc.get("permission"),
        "address": doc.get("address", ""),
        "created": doc["created"].isoformat().replace("+00:00", "Z"),
    }


class AccessRequests:
    def __init__(self, platform):
        self.platform = platform
        self.coll = platform.adb[COLLECTION]

    async def request(self, body, address: str) -> dict:
        if not isinstance(body, dict):
            raise HubError("invalid", 'expected {"clientId", "description", "permissions"}')
        client_id = body.get("clientId")
        if not isinstance(client_id, str) or not 8 <= len(client_id) <= 64:
            raise HubError(
                "invalid", "clientId must be a string of 8–64 characters", {"field": "clientId"}
            )
        permissions = body.get("permissions", "readonly")
        if permissions not in PERMISSIONS:
            raise HubError(
                "invalid",
                f"permissions must be one of {sorted(PERMISSIONS)}",
                {"field": "permissions"},
            )
        existing = await self.coll.find_one({"clientId": client_id, "state": "PENDING"})
        if existing is not None:
            return existing
        if await self.coll.count_documents({"state": "PENDING"}) >= MAX_PENDING:
            raise HubError("flood", "too many pending access requests; ask the admin")
        doc = {
            "_id": uuid.uuid4().hex,
            "clientId": client_id,
            "description": str(body.get("description", ""))[:200],
            "permissions": permissions,
            "state": "PENDING",
            "permission": None,
            "address": address,
            "created": datetime.now(UTC),
        }
        await self.coll.insert_one(doc)
        self.platform.hub.notify_role("admin", "access", "accessrequest", public(doc))
        return doc

    async def poll(self, request_id: str) -> dict | None:
        """The state for the device; an approved token is handed out once, then forgotten."""
        doc = await self.coll.find_one_and_update({"_id": request_id}, {"$unset": {"token": ""}})
        if doc is None:
            return None
        reply = {"state": doc["state"], "requestId": doc["_id"]}
        if doc["state"] == "COMPLETED":
            reply["statusCode"] = 200
            reply["accessRequest"] = {"permission": doc["permission"]}
            if doc.get("token"):
                reply["accessRequest"]["token"] = doc["token"]
        return reply

    async def pending(self) -> list[dict]:
        return [public(d) async for d in self.coll.find({"state": "PENDING"}).sort("created", 1)]

    async def decide(self, request_id: str, approve: bool) -> dict:
        doc = await self.coll.find_one({"_id": request_id, "state": "PENDING"})
        if doc is None:
            raise HubError("not_found", f"no pending access request {request_id}")
        update = {"state": "COMPLETED", "permission": "APPROVED" if approve else "DENIED"}
        if approve:
            users = self.platform.users
            username = f"device-{doc['clientId']}"
            user = await users.get(username)
            if user is None:
                user = await users.create(
                    username,
                    secrets.token_urlsafe(24),  # never used: devices log in with the token
                    PERMISSIONS[doc["permissions"]],
                    name=doc.get("description") or username,
                )
            token, _ = await users.issue_token(
                user, name=doc.get("description") or "device", kind="device"
            )
            update["token"] = token
        await self.coll.update_one({"_id": request_id}, {"$set": update})
        return public({**doc, **update})
