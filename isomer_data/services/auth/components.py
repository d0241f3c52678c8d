"""Logging in over the hub, as the original Isomer's clients did, and managing own tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from isomer_data.core.events import ACTORS, ANYONE, EVERYONE, DomainError, event
from isomer_data.services.auth.guard import Credential
from isomer_data.services.auth.identity import user_from_doc
from isomer_data.services.auth.login import TOKEN_TTL_SECONDS, attempt_succeeded, begin_attempt

# A token made over a websocket lives at most this long, and never beyond the token the
# socket logged in with: a socket's credential cannot be stretched into a longer one.
SOCKET_TOKEN_SECONDS = 30 * 24 * 3600


def _address(client) -> str:
    return client.socket.request.remote_ip or "?"


@event("auth", "login", roles=ANYONE)
async def login(client, data):
    """Log this connection in with ``{username, password}`` (or ``{token}``); returns a token."""
    if not isinstance(data, dict):
        raise DomainError("bad_request", 'expected {"username", "password"} or {"token"}')
    users = client.platform.users
    address = _address(client)
    if not begin_attempt(address):
        raise DomainError("throttled", "too many failed logins: wait a minute")
    token = None
    if "token" in data:
        doc = await users.user_for_token(str(data["token"]))
        record = None
        if doc is not None:
            record = await users.tokens.find_one({"id": doc["token_id"], "user": doc["_id"]})
    else:
        doc = await users.verify(str(data.get("username", "")), str(data.get("password", "")))
        record = None
        if doc is not None:
            token, record = await users.issue_token(
                doc, name="hub login", ttl=TOKEN_TTL_SECONDS, password_bound=True
            )
    if doc is None:
        raise DomainError("unauthenticated", "wrong user name, password or token")
    attempt_succeeded(address)
    client.user = user_from_doc(doc)
    # The connection now rests on this token: revoking it ends the connection.
    client.credential = Credential(
        doc["_id"], record["id"] if record else "", record.get("expires") if record else None
    )
    client.subscribe([])  # re-evaluate nothing, but clear match caches for the new identity
    return {"user": client.user.username, "roles": list(client.roles), "token": token}


@event("auth", "logout", roles=EVERYONE)
async def logout(client, data):
    """Back to anonymous: subscriptions end, the connection stays."""
    client.unsubscribe("*", "*")
    client.object_subscriptions.clear()
    client.user = None
    client.credential = Credential()
    return {"user": None}


async def _me(client) -> dict:
    doc = await client.platform.users.get_by_id(getattr(client.user, "user_id", ""))
    if doc is None:
        raise DomainError("forbidden", "tokens belong to platform users; log in as one")
    return doc


@event("auth", "tokens", roles=EVERYONE)
async def tokens(client, data):
    """List this user's tokens (ids, names, kinds; never the secrets)."""
    return await client.platform.users.list_tokens(await _me(client))


# A viewer (a readonly display) mints and revokes no credentials: a stolen display token
# cannot make itself a second one that outlives its revocation. Its admin manages them.
@event("auth", "createtoken", roles=ACTORS)
async def create_token(client, data):
    """A new token ``{name, kind: person|device, ttl?}`` (at most 30 days, and never beyond
    this connection's own token); the secret is shown only now."""
    data = data if isinstance(data, dict) else {}
    kind = data.get("kind", "person")
    if kind not in ("person", "device"):
        raise DomainError("invalid", 'kind must be "person" or "device"', {"field": "kind"})
    ttl = data.get("ttl", SOCKET_TOKEN_SECONDS)
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl < 1e10:
        raise DomainError("invalid", "ttl must be a positive number of seconds", {"field": "ttl"})
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=min(ttl, SOCKET_TOKEN_SECONDS))
    credential = client.credential
    if credential.expires is not None:
        expires = min(expires, credential.expires)
    if expires <= now:
        raise DomainError("unauthenticated", "this connection's login has expired; log in again")
    token, record = await client.platform.users.issue_token(
        await _me(client),
        name=str(data.get("name", ""))[:100],
        kind=kind,
        ttl=(expires - now).total_seconds(),
        parent=credential.token_id or None,
    )
    return {
        "token": token,
        "id": record["id"],
        "name": record["name"],
        "kind": kind,
        "expires": record["expires"].isoformat().replace("+00:00", "Z"),
    }


@event("auth", "revoketoken", roles=ACTORS)
async def revoke_token(client, data):
    """Revoke one of this user's tokens by id (admins: anyone's)."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise DomainError("bad_request", 'expected {"id": "<token id>"}')
    me = await _me(client)
    ok = await client.platform.users.revoke_token(me, data["id"], any_user="admin" in client.roles)
    if not ok:
        raise DomainError("not_found", f"no token {data['id']}")
    return {"revoked": data["id"]}
