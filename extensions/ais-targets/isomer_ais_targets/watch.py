"""The watch: AIS targets from the live state, their CPA/TCPA, notifications, the list.

The watch keeps its own small table of targets (the vessels whose Signal K context is an
MMSI URN), fed by a live-state listener, so listing and judging never walk the whole live
state. Times are the observations' own: the reference instant is the own ship's latest fix,
so a replayed encounter raises and clears exactly as a live one would, and a target is
stale when its last position is older than ``stale_age`` at that instant.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from dataclasses import dataclass

from isomer_data.ingest.observation import Observation

from isomer_ais_targets.cpa import Encounter, Motion, encounter

NOTIFICATION = "notifications.navigation.closestApproach"
SOURCE = "ais-targets"
MMSI_CONTEXT = re.compile(r"^urn:mrn:imo:mmsi:([0-9]{9})$")
POSITION, SOG, COG = (
    "navigation.position",
    "navigation.speedOverGround",
    "navigation.courseOverGroundTrue",
)
NAME, SHIP_TYPE = "name", "design.aisShipType"
WATCHED = frozenset({POSITION, SOG, COG, NAME, SHIP_TYPE})
MAX_TARGETS = 2000  # targets kept; beyond that the one heard from longest ago goes
MAX_LIST = 500  # rows of one ``ais/targets`` reply
# Every target is judged again on an own fix, at most once a second (wall clock): a fix
# sooner is judged a second after the last time. That bounds the work whatever rate fixes
# or list requests come at (2000 targets take about 50 ms here).
FULL_EVERY = 1.0
CLEAR_MARGIN = 1.1  # a raised target clears beyond 110 % of a limit (no flapping)
FORGET_AFTER = 10  # stale targets stay listed up to this many stale ages
# Order of the list: most dangerous first.
RANK = {"alarm": 0, "warn": 1, "closing": 2, "diverging": 3, "steady": 3, "ignored": 4}
RANK_LAST = 5  # stale, or no fix to measure from


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _position(value) -> tuple[float, float] | None:
    if not isinstance(value, dict):
        return None
    lat, lon = _number(value.get("latitude")), _number(value.get("longitude"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


@dataclass(slots=True)
class Fix:
    """What the watch knows of one vessel's motion (and, for targets, who it is)."""

    position: tuple[float, float] | None = None
    time: float = 0.0  # of the position
    sog: float | None = None
    cog: float | None = None
    name: str | None = None
    ship_type: str | None = None
    heard: float = 0.0  # latest observation of any watched path

    def take(self, path: str, t: float, value) -> bool:
        """Record one observation; True when it moved the position."""
        self.heard = max(self.heard, t)
        if path == POSITION:
            position = _position(value)
            if position is None or t < self.time:
                return False
            self.position, self.time = position, t
            return True
        if path == SOG:
            self.sog = _number(value)
        elif path == COG:
            self.cog = _number(value)
        elif path == NAME:
            self.name = value[:40] if isinstance(value, str) else None
        elif path == SHIP_TYPE and isinstance(value, dict):
            name = value.get("name")
            self.ship_type = name[:40] if isinstance(name, str) else None
        return False

    def motion(self) -> Motion | None:
        if self.position is None:
            return None
        return Motion(self.position[0], self.position[1], self.time, self.sog, self.cog)


class TargetWatch:
    def __init__(self, platform, config: dict):
        self.platform = platform
        self.cpa_limit = float(config["cpa_limit"])
        self.tcpa_limit = float(config["tcpa_limit"])
        self.stale_age = float(config["stale_age"])
        self.ignored = frozenset(config.get("ignored", ()))
        self.own = Fix()
        self.targets: dict[str, Fix] = {}  # mmsi -> fix
        self.states: dict[str, str] = {}  # mmsi -> raised notification state (warn, alarm)
        self.judged: dict[str, dict] = {}  # mmsi -> the latest row
        self._full_at = -math.inf  # time.monotonic() of the last full judgement
        self._pending: asyncio.TimerHandle | None = None  # a full judgement to come
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- lifetime ---------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        live = self.platform.live
        for (vessel, path), (t, value, _source) in list(live.latest.items()):
            if path in WATCHED:
                self._take(vessel, path, t, value)
            elif vessel == "self" and path.startswith(NOTIFICATION + "."):
                # raised by an earlier run: judged again below, so it clears if it should
                mmsi = path.rsplit(".", 1)[1]
                state = value.get("state") if isinstance(value, dict) else None
                if state in ("warn", "alarm"):
                    self.states[mmsi] = state
        live.listeners.append(self.observe)
        self.judge_all()
        for mmsi in [m for m in self.states if m not in self.targets]:
            self._raise(mmsi, "normal", f"{self._label(mmsi)}: no longer tracked")

    def stop(self) -> None:
        """Stop listening; a raised notification is cleared (nobody would clear it later)."""
        if self.observe in self.platform.live.listeners:
            self.platform.live.listeners.remove(self.observe)
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        now = time.time()
        self.platform.live.publish(
            [
                self._notification(now, mmsi, "normal", f"{self._label(mmsi)}: watch off")
                for mmsi in self.states
            ]
        )
        self.states.clear()

    # ---- the live state -------------------------------------------------------------------
    def _take(self, vessel: str, path: str, t: float, value) -> str | None:
        """Record one observation; the MMSI it concerns, ``"self"`` for an own fix, or None."""
        if vessel == "self":
            return "self" if self.own.take(path, t, value) else None
        match = MMSI_CONTEXT.match(vessel)
        if match is None:
            return None  # another vessel of the fleet, not an AIS target
        mmsi = match.group(1)
        fix = self.targets.get(mmsi)
        if fix is None:
            if len(self.targets) >= MAX_TARGETS:
                oldest = min(self.targets, key=lambda m: self.targets[m].heard)
                self._forget(oldest)
            fix = self.targets[mmsi] = Fix()
        fix.take(path, t, value)
        return mmsi

    def observe(self, batch: list) -> None:
        """A live-state listener: on the event loop, never waits."""
        touched: set[str] = set()
        own_moved = False
        for o in batch:
            if o.path not in WATCHED:
                continue
            which = self._take(o.vessel, o.path, o.time, o.value)
            if which == "self":
                own_moved = True
            elif which is not None:
                touched.add(which)
        for mmsi in touched:
            self._judge(mmsi)
        if own_moved:
            self._judge_all_soon()

    def _judge_all_soon(self) -> None:
        wait = self._full_at + FULL_EVERY - time.monotonic()
        if wait <= 0:
            self.judge_all()
        elif self._pending is None:
            self._pending = self._loop.call_later(wait, self.judge_all)

    def _forget(self, mmsi: str) -> None:
        label = self._label(mmsi)
        self.targets.pop(mmsi, None)
        self.judged.pop(mmsi, None)
        if mmsi in self.states:
            self._raise(mmsi, "normal", f"{label}: no longer tracked")

    # ---- judging ----------------------------------------------------------------------------
    def judge_all(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self._full_at = time.monotonic()
        for mmsi in list(self.targets):
            self._judge(mmsi)

    def _judge(self, mmsi: str) -> None:
        fix = self.targets[mmsi]
        own, target = self.own.motion(), fix.motion()
        row = {
            "mmsi": mmsi,
            "name": fix.name,
            "shipType": fix.ship_type,
            "sog": fix.sog,
            "cog": None if fix.cog is None else round(math.degrees(fix.cog) % 360, 1),
            "distance": None,
            "bearing": None,
            "cpa": None,
            "tcpa": None,
            "age": None,
            "state": "normal",
        }
        status, enc = self._status(mmsi, own, target)
        if own is not None and target is not None:
            row["age"] = round(own.time - target.time, 1)
        if enc is not None:
            row.update(
                distance=round(enc.distance, 1),
                bearing=round(enc.bearing, 1),
                cpa=round(enc.cpa, 1),
                tcpa=None if enc.tcpa is None else round(enc.tcpa, 1),
            )
        if status in ("alarm", "warn"):
            row["state"] = status
            label = self._label(mmsi)
            self._raise(mmsi, status, f"{label}: CPA {enc.cpa:.0f} m in {_duration(enc.tcpa)}")
        elif mmsi in self.states:
            reason = {"stale": f"lost, no position for {row['age']:.0f} s", "ignored": "ignored"}
            self._raise(mmsi, "normal", f"{self._label(mmsi)}: {reason.get(status, 'clear')}")
        row["status"] = status
        self.judged[mmsi] = row

    def _status(
        self, mmsi: str, own: Motion | None, target: Motion | None
    ) -> tuple[str, Encounter | None]:
        """alarm, warn (inside the limits), closing, diverging, steady, stale, ignored, unknown."""
        if own is None or target is None:
            return "unknown", None
        enc = encounter(own, target)
        if own.time - target.time > self.stale_age:
            return "stale", enc
        if mmsi in self.ignored:
            return "ignored", enc
        margin = CLEAR_MARGIN if mmsi in self.states else 1.0
        if (
            enc.tcpa is not None
            and 0 <= enc.tcpa <= self.tcpa_limit * margin
            and enc.cpa <= self.cpa_limit * margin
        ):
            return ("alarm" if enc.cpa <= self.cpa_limit / 2 else "warn"), enc
        if enc.tcpa is None:
            return "steady", enc
        return ("closing" if enc.tcpa > 0 else "diverging"), enc

    # ---- notifications ----------------------------------------------------------------------
    def _label(self, mmsi: str) -> str:
        fix = self.targets.get(mmsi)
        name = fix.name if fix is not None else None
        return f"{name} ({mmsi})" if name else f"MMSI {mmsi}"

    def _raise(self, mmsi: str, state: str, message: str) -> None:
        """Publish the target's notification when its state changes (``t``: the wall clock)."""
        if self.states.get(mmsi, "normal") == state:
            return
        if state == "normal":
            self.states.pop(mmsi, None)
        else:
            self.states[mmsi] = state
        notification = self._notification(time.time(), mmsi, state, message)
        # From inside a listener, publish after it returns: the other listeners see the
        # batch that was published first, in order.
        self._loop.call_soon(self.platform.live.publish, [notification])

    @staticmethod
    def _notification(t: float, mmsi: str, state: str, message: str) -> Observation:
        method = {"alarm": ["visual", "sound"], "warn": ["visual"]}.get(state, [])
        value = {"state": state, "method": method, "message": message}
        return Observation(t, "self", f"{NOTIFICATION}.{mmsi}", value, SOURCE)

    # ---- the list ---------------------------------------------------------------------------
    def listing(self) -> dict:
        """Every target, most dangerous first (at most :data:`MAX_LIST`)."""
        if time.monotonic() - self._full_at >= FULL_EVERY:
            self.judge_all()  # else judged a moment ago: the ages are a moment old too
        own = self.own
        forget = self.stale_age * FORGET_AFTER
        rows = [
            row
            for row in self.judged.values()
            if row["age"] is None or row["age"] <= forget or row["state"] != "normal"
        ]
        rows.sort(key=_danger)
        return {
            "time": own.time if own.position is not None else None,
            "own": None
            if own.position is None
            else {
                "latitude": own.position[0],
                "longitude": own.position[1],
                "sog": own.sog,
                "cog": None if own.cog is None else round(math.degrees(own.cog) % 360, 1),
            },
            "limits": {
                "cpa": self.cpa_limit,
                "tcpa": self.tcpa_limit,
                "stale_age": self.stale_age,
            },
            "total": len(rows),
            "targets": rows[:MAX_LIST],
        }


def _danger(row: dict) -> tuple:
    """Raised first (soonest first), then closing (closest pass first), then by distance."""
    rank = RANK.get(row["status"], RANK_LAST)
    if rank <= 1:
        return rank, row["tcpa"], row["mmsi"]
    if rank == 2:
        return rank, row["cpa"], row["mmsi"]
    distance = row["distance"]
    return rank, math.inf if distance is None else distance, row["mmsi"]


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"
