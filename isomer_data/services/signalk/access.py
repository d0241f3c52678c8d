"""Signal K device access requests: how an instrument display or app without a user
account asks for a token, and an admin says yes or no.

The device ``POST``\\s ``/signalk/v1/access/requests`` with a ``clientId``, a
``description`` and the ``permissions`` it wants (``readonly``, ``readwrite``, ``admin``),
then polls ``/signalk/v1/requests/<id>``. An admin approves or denies in the hub
(``access/approve``, ``access/deny``). Approval creates a new device user
(``device-<clientId>-<random>``, roles: readonly → viewer, readwrite → crew + vessel,
admin → admin) and a device token, handed to the device once on its next poll.

Nobody can take over another device's request or identity:

- the ``requestId`` is a 128-bit secret returned only to the device that asked; it is the
  device's claim ticket for the token. A second request with a ``clientId`` that is still
  pending is refused (409), so nobody else learns the ticket;
- every approval creates a new user with exactly the roles the admin saw requested: a
  ``clientId`` names nothing on the platform, so reusing an admin device's ``clientId``
  gets its own, new identity, never the admin device's record or roles.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from pymongo import ReturnDocument

from isomer_data.core.errors import IsomerError
from isomer_data.core.events import DomainError

COLLECTION = "access_requests"
# Signal K's levels onto roles: readonly reads and writes nothing (a stolen display token
# cannot acknowledge or silence the anchor alarm), readwrite is crew and a vessel identity.
PERMISSIONS = {"readonly": ["viewer"], "readwrite": ["crew", "vessel"], "admin": ["admin"]}
MAX_PENDING = 100
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.@-]{8,64}$")  # a UUID fits; so does the user name rule


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
        "user": doc.get("user"),
    }


class AccessRequests:
    def __init__(self, platform):
        self.platform = platform
        self.coll = platform.adb[COLLECTION]

    async def request(self, body, address: str) -> dict:
        if not isinstance(body, dict):
            raise DomainError("invalid", 'expected {"clientId", "description", "permissions"}')
        client_id = body.get("clientId")
        if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
            raise DomainError(
                "invalid",
                "clientId must be 8–64 letters, digits or _ . @ - (a UUID will do)",
                {"field": "clientId"},
            )
        permissions = body.get("permissions", "readonly")
        if permissions not in PERMISSIONS:
            raise DomainError(
                "invalid",
                f"permissions must be one of {sorted(PERMISSIONS)}",
                {"field": "permissions"},
            )
        # One pending request per clientId: answering a second asker with the first one's
        # requestId handed them the first device's token (finding 7).
        existing = await self.coll.find_one(
            {"clientId": client_id, "state": {"$in": ["PENDING", "DECIDING"]}}, {"_id": 1}
        )
        if existing is not None:
            raise DomainError(
                "conflict",
                f"a request for clientId {client_id} is already pending; the device that made "
                "it polls with its requestId",
                {"field": "clientId"},
            )
        if await self.coll.count_documents({"state": "PENDING"}) >= MAX_PENDING:
            raise DomainError("flood", "too many pending access requests; ask the admin")
        doc = {
            "_id": secrets.token_hex(16),  # the claim ticket: 128 random bits
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
        state = "PENDING" if doc["state"] == "DECIDING" else doc["state"]
        reply = {"state": state, "requestId": doc["_id"]}
        if doc["state"] == "COMPLETED":
            reply["statusCode"] = 200
            reply["accessRequest"] = {"permission": doc["permission"]}
            if doc.get("token"):
                reply["accessRequest"]["token"] = doc["token"]
        return reply

    async def pending(self) -> list[dict]:
        return [public(d) async for d in self.coll.find({"state": "PENDING"}).sort("created", 1)]

    async def decide(self, request_id: str, approve: bool, permissions=None) -> dict:
        """Approve or deny; ``permissions``, when given, must be what the admin was shown."""
        if permissions is not None and permissions not in PERMISSIONS:
            raise DomainError(
                "invalid",
                f"permissions must be one of {sorted(PERMISSIONS)}",
                {"field": "permissions"},
            )
        # Taken atomically: two admins approving at once make one device, not two.
        doc = await self.coll.find_one_and_update(
            {"_id": request_id, "state": "PENDING"},
            {"$set": {"state": "DECIDING"}},
            return_document=ReturnDocument.BEFORE,
        )
        if doc is None:
            raise DomainError("not_found", f"no pending access request {request_id}")
        if permissions is not None and permissions != doc["permissions"]:
            await self.coll.update_one({"_id": request_id}, {"$set": {"state": "PENDING"}})
            raise DomainError(
                "conflict",
                f"the request asks for {doc['permissions']}, not {permissions}; nothing decided",
                {"field": "permissions"},
            )
        update = {"state": "COMPLETED", "permission": "APPROVED" if approve else "DENIED"}
        try:
            if approve:
                user = await self._new_device(doc)
                token, _ = await self.platform.users.issue_token(
                    user, name=doc.get("description") or "device", kind="device"
                )
                update["token"] = token
                update["user"] = user["username"]
        except BaseException:
            await self.coll.update_one({"_id": request_id}, {"$set": {"state": "PENDING"}})
            raise
        await self.coll.update_one({"_id": request_id}, {"$set": update})
        return public({**doc, **update})

    async def _new_device(self, doc: dict) -> dict:
        """A new user for this approval alone, with exactly the roles the request showed."""
        for _ in range(5):
            username = f"device-{doc['clientId'][:40]}-{secrets.token_hex(4)}"
            try:
                return await self.platform.users.create(
                    username,
                    secrets.token_urlsafe(24),  # never used: devices log in with the token
                    PERMISSIONS[doc["permissions"]],
                    name=(doc.get("description") or username)[:128],
                )
            except IsomerError as exc:
                if exc.code != 70001:  # anything but "exists" is a real problem
                    raise
        raise DomainError("internal", "could not find a free device user name; try again")
