"""A Signal K client for the tests of the v2 APIs: REST with a token or cookie, the stream,
and the first delta for a path."""

from __future__ import annotations

import asyncio
import json

WAYPOINT = {
    "name": "Needles",
    "description": "fairway buoy",
    "type": "Waypoint",
    "feature": {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-1.59, 50.66]},
        "properties": {"skIcon": "buoy"},
        "id": "",
    },
}
ROUTE = {
    "name": "Solent",
    "description": "out west",
    "distance": 12000,
    "feature": {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [[-1.30, 50.76], [-1.45, 50.72], [-1.59, 50.66]],
        },
        "properties": {"coordinatesMeta": [{"name": "start"}, {"name": "mid"}, {"name": "end"}]},
        "id": "",
    },
}


async def delta_for(conn, path: str, match=None, timeout: float = 5.0):
    """The next value pushed on the stream for ``path`` (that ``match(value)`` accepts).

    Values of other paths are kept for later calls: one message may carry several.
    """
    pending = conn.__dict__.setdefault("pending_values", [])
    while True:
        for i, (p, value) in enumerate(pending):
            if p == path:
                del pending[i]
                if match is None or match(value):
                    return value
                break
        else:
            msg = json.loads(await asyncio.wait_for(conn.read_message(), timeout))
            for update in msg.get("updates", []):
                pending.extend((v["path"], v["value"]) for v in update["values"])
