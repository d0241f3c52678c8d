"""Logging in over the hub, as the original Isomer's clients did, and managing own tokens."""

from __future__ import annotations

from isomer_data.services.auth.identity import user_from_doc
from isomer_data.services.auth.login import TOKEN_TTL_SECONDS, attempt_succeeded, begin_attempt
from isomer_data.services.hub.events import ANYONE, EVERYONE, HubError, event


def _address(client) -> str:
    return client.socket.request.remote_ip or "?"


@event("auth", "login", roles=ANYONE)
async def login(client, data):
    """Log this connection in with ``{username, password}`` (or ``{token}``); returns a token."""
    if not isinstance(data, dict):
        raise HubError("bad_request", 'expected {"username", "password"} or {"token"}')
    users = client.platform.users
    address = _address(client)
    if not begin_attempt(address):
        raise HubError("throttled", "too many failed logins: wait a minute")
    token = None
    if "token" in data:
        doc = await users.user_for_token(str(data["token"]))
    else:
        doc = await users.verify(str(data.get("username", "")), str(data.get("password", "")))
        if doc is not None:
            token, _ = await users.issue_token(
                doc, name="hub login", ttl=TOKEN_TTL_SECONDS, password_bound=True
            )
    if doc is None:
        raise HubError("unauthenticated", "wrong user name, password or token")
    attempt_succeeded(address)
    client.user = user_from_doc(doc)
    client.subscribe([])  # re-evaluate nothing, but clear match caches for the new identity
    return {"user": client.user.username, "roles": list(client.roles), "token": token}


@event("auth", "logout", roles=EVERYONE)
async def logout(client, data):
    """Back to anonymous: subscriptions end, the connection stays."""
    client.unsubscribe("*", "*")
    client.object_subscriptions.clear()
    client.user = None
    return {"user": None}


async def _me(client) -> dict:
    doc = await client.platform.users.get_by_id(getattr(client.user, "user_id", ""))
    if doc is None:
        raise HubError("forbidden", "tokens belong to platform users; log in as one")
    return doc


@event("auth", "tokens", roles=EVERYONE)
async def tokens(client, data):
    """List this user's tokens (ids, names, kinds; never the secrets)."""
    return await client.platform.users.list_tokens(await _me(client))


@event("auth", "createtoken", roles=EVERYONE)
async def create_token(client, data):
    """A new token ``{name, kind: person|device}``; the secret is shown only now."""
    data = data if isinstance(data, dict) else {}
    kind = data.get("kind", "person")
    if kind not in ("person", "device"):
        raise HubError("invalid", 'kind must be "person" or "device"')
    token, record = await client.platform.users.issue_token(
        await _me(client), name=str(data.get("name", "")), kind=kind
    )
    return {"token": token, "id": record["id"], "name": record["name"], "kind": kind}


@event("auth", "revoketoken", roles=EVERYONE)
async def revoke_token(client, data):
    """Revoke one of this user's tokens by id (admins: anyone's)."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise HubError("bad_request", 'expected {"id": "<token id>"}')
    me = await _me(client)
    ok = await client.platform.users.revoke_token(me, data["id"], any_user="admin" in client.roles)
    if not ok:
        raise HubError("not_found", f"no token {data['id']}")
    return {"revoked": data["id"]}
