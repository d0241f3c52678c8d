"""The watch itself: distance to the anchor, the delay, the Signal K notification."""

from __future__ import annotations

import asyncio
import math
import time

from isomer_data.ingest.observation import Observation

EARTH_RADIUS = 6_371_008.8  # m, mean radius (IUGG)
NOTIFICATION = "notifications.navigation.anchor"
SOURCE = "anchor-watch"
COLLECTION = "anchor_watch"


def distance(a: dict, b: dict) -> float:
    """Great-circle distance in metres between two ``{latitude, longitude}`` (haversine)."""
    lat1, lat2 = math.radians(a["latitude"]), math.radians(b["latitude"])
    dlat = lat2 - lat1
    dlon = math.radians(b["longitude"] - a["longitude"])
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS * math.asin(min(1.0, math.sqrt(h)))


def valid_position(value) -> bool:
    if not isinstance(value, dict):
        return False
    lat, lon = value.get("latitude"), value.get("longitude")
    return (
        all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon))
        and math.isfinite(lat)
        and math.isfinite(lon)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    )


class AnchorWatch:
    def __init__(self, platform, config: dict):
        self.platform = platform
        self.default_radius = float(config["default_radius"])
        self.alarm_delay = float(config["alarm_delay"])
        self.anchor: dict | None = None
        self.radius = self.default_radius
        self.distance: float | None = None
        self.state = "normal"
        self.outside_since: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def collection(self):
        return self.platform.adb[COLLECTION]

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        doc = await self.collection.find_one({"_id": "self"})
        if doc and doc.get("anchor"):
            self.anchor, self.radius = doc["anchor"], float(doc["radius"])
        self.platform.live.listeners.append(self.observe)

    def stop(self) -> None:
        if self.observe in self.platform.live.listeners:
            self.platform.live.listeners.remove(self.observe)

    async def drop(self, position: dict, radius: float) -> dict:
        self.anchor = {"latitude": position["latitude"], "longitude": position["longitude"]}
        self.radius = radius
        self.outside_since = None
        self.distance = None
        await self.collection.update_one(
            {"_id": "self"}, {"$set": {"anchor": self.anchor, "radius": radius}}, upsert=True
        )
        now = time.time()
        self._publish(
            [
                Observation(now, "self", "navigation.anchor.position", self.anchor, SOURCE),
                Observation(now, "self", "navigation.anchor.maxRadius", radius, SOURCE),
            ]
        )
        self._notify(now, "normal", "Anchor watch set")
        return self.status()

    async def raise_anchor(self) -> dict:
        self.anchor = None
        self.outside_since = None
        self.distance = None
        await self.collection.delete_one({"_id": "self"})
        self._notify(time.time(), "normal", "Anchor watch off")
        return self.status()

    def status(self) -> dict:
        return {
            "anchor": self.anchor,
            "radius": self.radius,
            "distance": None if self.distance is None else round(self.distance, 1),
            "state": self.state,
            "alarm_delay": self.alarm_delay,
        }

    def observe(self, batch: list) -> None:
        """A live-state listener: on the event loop, never waits."""
        if self.anchor is None:
            return
        for o in batch:
            if o.vessel != "self" or o.path != "navigation.position":
                continue
            if not valid_position(o.value):
                continue
            self.distance = d = distance(self.anchor, o.value)
            self._publish(
                [Observation(o.time, "self", "navigation.anchor.currentRadius", d, SOURCE)]
            )
            if d <= self.radius:
                self.outside_since = None
                if self.state == "alarm":
                    self._notify(time.time(), "normal", "Back inside the anchor circle")
                continue
            if self.outside_since is None:
                self.outside_since = o.time
            if self.state != "alarm" and o.time - self.outside_since >= self.alarm_delay:
                self._notify(
                    time.time(),
                    "alarm",
                    f"Anchor dragging: {d:.0f} m from the anchor (radius {self.radius:.0f} m)",
                )

    def _notify(self, t: float, state: str, message: str) -> None:
        """Raised now (``t`` is the wall clock), whatever the time of the track that did it."""
        self.state = state
        method = ["visual", "sound"] if state == "alarm" else []
        value = {"state": state, "method": method, "message": message}
        self._publish([Observation(t, "self", NOTIFICATION, value, SOURCE)])

    def _publish(self, observations: list) -> None:
        # From inside a listener, publish after it returns: the other listeners see the
        # batch that was published first, in order.
        self._loop.call_soon(self.platform.live.publish, observations)
