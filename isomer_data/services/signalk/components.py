"""Admins answer Signal K device access requests over the hub."""

from __future__ import annotations

from isomer_data.core.events import ADMIN, DomainError, event


@event("access", "list", roles={ADMIN})
async def pending(client, data):
    """Pending device access requests, oldest first."""
    return await client.platform.access.pending()


async def _decide(client, data, approve: bool):
    if not isinstance(data, dict) or not isinstance(data.get("requestId"), str):
        raise DomainError("bad_request", 'expected {"requestId": …}')
    return await client.platform.access.decide(
        data["requestId"], approve, data.get("permissions") if approve else None
    )


@event("access", "approve", roles={ADMIN})
async def approve(client, data):
    """Approve ``{requestId, permissions?}`` (the permissions shown, checked): creates a new
    device user with exactly those roles, and its token."""
    return await _decide(client, data, True)


@event("access", "deny", roles={ADMIN})
async def deny(client, data):
    """Deny ``{requestId}``."""
    return await _decide(client, data, False)
