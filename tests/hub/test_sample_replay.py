"""The README's headline path: a fresh launch replays the sample voyage as live data.

From the bundled file through the platform's ingest worker and the live state to a crew
member's websocket: paced by the log's own times, looping at the end, stamped with the
time of the replay. Pacing is measured in log time: the worker is given a clock that only
moves when the test lets it, so "one second of log is one second of replay" is checked
exactly, with no wall-clock sleep and no timing threshold.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime

import pytest
from isomer_data.ingest.decode import decode_file

from isomer_data.samples import VOYAGE_NMEA
from isomer_data.server.extension import AUTH_CONFIG

DEADLINE = 60.0  # generous: only a broken replay gets near it


class LogClock:
    """A clock that advances only as far as the test grants; the worker's sleeps wait for it.

    ``blocked`` is set when the worker waits for time not granted yet: everything due up to
    the granted time has been published by then.
    """

    def __init__(self, wall0: float):
        self.wall0 = wall0
        self.now = 0.0
        self.granted = 0.0
        self.slept = 0.0
        self.blocked = asyncio.Event()
        self._moved = asyncio.Event()

    def time(self) -> float:
        return self.wall0 + self.now

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        target = self.now + seconds
        while target > self.granted + 1e-9:
            self._moved.clear()
            self.blocked.set()
            await self._moved.wait()
        self.slept += seconds
        self.now = target

    async def run_until(self, seconds: float) -> None:
        """Let log time run to ``seconds`` after the start; return when the worker waits again."""
        self.blocked.clear()
        self.granted = seconds
        self._moved.set()
        await asyncio.wait_for(self.blocked.wait(), DEADLINE)


@pytest.fixture
def jp_server_config(db_url, isomer_home, monkeypatch):
    """A fresh launch: no source configured and the sample left at its default."""
    monkeypatch.delenv("ISOMER_SAMPLE", raising=False)
    return {
        "ServerApp": {
            "jpserver_extensions": {"isomer_data": True},
            "allow_unauthenticated_access": False,
            "reraise_server_extension_failures": True,
            "allow_root": os.geteuid() == 0,
            **AUTH_CONFIG,
        },
        "IsomerConfig": {"db_url": db_url},
    }


@pytest.fixture
def clock() -> LogClock:
    return LogClock(float(int(time.time())))


@pytest.fixture
def started(jp_serverapp, platform, jp_asyncio_loop, clock):
    platform.ingest.clock = clock
    jp_asyncio_loop.run_until_complete(jp_serverapp.extension_manager.start_all_extensions())
    return platform


@pytest.fixture
def crew_token(started, jp_asyncio_loop, password) -> str:
    async def make():
        user = await started.users.create("crew1", password, ["crew"])
        token, _ = await started.users.issue_token(user, name="test")
        return token

    return jp_asyncio_loop.run_until_complete(make())


@pytest.fixture(scope="module")
def voyage_positions() -> list[tuple[float, dict]]:
    """(seconds after the voyage's start, position) of own ship, in file order."""
    positions = [
        (o.time, o.value)
        for o in decode_file(VOYAGE_NMEA)
        if o.vessel == "self" and o.path == "navigation.position"
    ]
    t0 = positions[0][0]
    return [(t - t0, value) for t, value in positions]


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def receive_until(client, timestamp: str) -> dict[str, dict]:
    """Position values pushed to the client, by timestamp, until ``timestamp`` arrives."""
    seen: dict[str, dict] = {}
    while timestamp not in seen:
        msg = await client.push("delta", timeout=DEADLINE)
        for update in msg["data"]["updates"]:
            for value in update["values"]:
                assert value["path"] == "navigation.position"
                seen[update["timestamp"]] = value["value"]
    return seen


async def test_fresh_launch_replays_the_sample_paced_looping_and_restamped(
    started, crew_token, hub_connect, clock, voyage_positions
):
    ingest = started.ingest
    assert ingest.urls() == [f"file://{VOYAGE_NMEA}?replay=realtime&loop=1&restamp=1"]
    assert ingest.workers[0].source.spec.kind == "file"
    published = []  # (log clock at publication, restamped time) of own ship's positions
    started.live.listeners.append(
        lambda batch: published.extend(
            (clock.now, o.time)
            for o in batch
            if o.vessel == "self" and o.path == "navigation.position"
        )
    )
    crew = await hub_connect(crew_token)
    await crew.call("live", "subscribe", {"paths": ["navigation.position"], "policy": "instant"})

    # Nothing runs ahead of the log: before time is granted only the first second is out.
    await asyncio.wait_for(clock.blocked.wait(), DEADLINE)
    assert started.live.get("self", "navigation.position")[0] == clock.wall0

    await clock.run_until(60)
    # Every position published at the log time it was logged, stamped with the replay's time.
    expected = [t for t, _ in voyage_positions if t <= 60]
    assert [now for now, _ in published] == expected[len(expected) - len(published) :]
    assert all(stamp == clock.wall0 + now for now, stamp in published)
    assert clock.slept == pytest.approx(60)
    seen = await receive_until(crew, iso(clock.wall0 + 60))
    by_second = {int(t): value for t, value in voyage_positions}
    for second in range(1, 61):  # the crew sees each second's position, stamped now
        assert seen[iso(clock.wall0 + second)] == by_second[second]

    # The voyage is 839 s of log; at its end it starts again, still stamped forward.
    end = voyage_positions[-1][0]
    assert end == 839
    await clock.run_until(end)
    lines_in_file = sum(1 for _ in VOYAGE_NMEA.open("rb"))
    await clock.run_until(end + 5)
    assert ingest.workers[0].source.lines > lines_in_file  # looped
    seen = await receive_until(crew, iso(clock.wall0 + end + 5))
    for second in range(1, 6):  # second k of the new loop is the voyage's second k
        assert seen[iso(clock.wall0 + end + second)] == by_second[second]
    assert by_second[1] != by_second[end]
    stamps = [stamp for _, stamp in published]
    assert stamps == sorted(stamps)  # restamped time never runs backwards across the loop
    assert ingest.status()[0]["state"] == "reading"
