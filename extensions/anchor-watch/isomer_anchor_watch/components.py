"""Hub events of the anchor watch: crew set and raise the anchor; anyone aboard may look."""

from __future__ import annotations

import math
import sys

from isomer_anchor_watch.watch import valid_position
from isomer_data.core.events import DomainError, event
from isomer_data.core.roles import CREW, SCIENTIST, VESSEL, VIEWER

MIN_RADIUS, MAX_RADIUS = 5.0, 2000.0


def _watch():
    watch = sys.modules["isomer_anchor_watch"].WATCH
    if watch is None:
        raise DomainError("unavailable", "the anchor watch is not running")
    return watch


@event("anchor", "set", roles={CREW})
async def set_anchor(client, data):
    """Set the anchor ``{latitude?, longitude?, radius?}`` (default: here, default radius)."""
    watch = _watch()
    data = data if data is not None else {}
    if not isinstance(data, dict):
        raise DomainError("bad_request", "expected {latitude?, longitude?, radius?}")
    radius = data.get("radius", watch.default_radius)
    if (
        not isinstance(radius, int | float)
        or isinstance(radius, bool)
        or not math.isfinite(radius)
        or not MIN_RADIUS <= radius <= MAX_RADIUS
    ):
        raise DomainError(
            "invalid", f"radius: {MIN_RADIUS:g} to {MAX_RADIUS:g} m", {"field": "radius"}
        )
    if "latitude" in data or "longitude" in data:
        position = {"latitude": data.get("latitude"), "longitude": data.get("longitude")}
        if not valid_position(position):
            raise DomainError(
                "invalid", "latitude -90..90 and longitude -180..180", {"field": "latitude"}
            )
    else:
        latest = client.platform.live.get("self", "navigation.position")
        if latest is None or not valid_position(latest[1]):
            raise DomainError("no_position", "no position of the boat yet: give one")
        position = latest[1]
    return await watch.drop(position, float(radius))


@event("anchor", "raise", roles={CREW})
async def raise_anchor(client, data):
    """Stop watching: the anchor is up."""
    return await _watch().raise_anchor()


@event("anchor", "status", roles={CREW, SCIENTIST, VESSEL, VIEWER})
async def status(client, data):
    """The anchor, radius, distance of the boat from it and the alarm state."""
    return _watch().status()
