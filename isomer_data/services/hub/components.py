"""The hub's own events: ping, who am I, resume a session."""

from __future__ import annotations

import json
import time

from isomer_data.core.events import ANYONE, EVERYONE, DomainError, event

MAX_ECHO = 1024  # bytes of echoed data (as JSON): a ping measures latency, it is no mirror


@event("hub", "ping", roles=ANYONE)
async def ping(client, data):
    """Latency check: echoes ``data`` (up to 1 KiB as JSON) with the server's time (POSIX s)."""
    size = len(json.dumps(data, separators=(",", ":"), default=str))
    if size > MAX_ECHO:
        raise DomainError(
            "too_large", f"ping echoes at most {MAX_ECHO} bytes of data, not {size}: send less"
        )
    return {"echo": data, "time": time.time()}


@event("hub", "whoami", roles=ANYONE)
async def whoami(client, data):
    """The connection's user and roles (anonymous before login)."""
    return {
        "user": None if client.anonymous else client.user.username,
        "roles": list(client.roles),
        "session": client.session,
    }


@event("hub", "status", roles=EVERYONE)
async def status(client, data):
    """This connection's counters: sent, dropped, deferred, errors, flood, and what waits."""
    return {
        "sent": client.sent,
        "dropped": client.dropped,
        "deferred": client.deferred,
        "errors": client.errors,
        "flooded": client.flooded,
        "in_flight": client.in_flight,
        "queued_bytes": client.bytes_in_flight,
    }


@event("hub", "resume", roles=EVERYONE)
async def resume(client, data):
    """Restore the live and object subscriptions of an earlier connection's session."""
    if not isinstance(data, dict) or not isinstance(data.get("session"), str):
        raise DomainError("bad_request", 'expected {"session": "<id from the old hello>"}')
    return client.hub.resume(client, data["session"])
