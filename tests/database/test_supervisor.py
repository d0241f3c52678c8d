"""A crashed embedded database child comes back by itself, with backoff and a limit."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import time

from pymongo import MongoClient, WriteConcern

from isomer_data.config import IsomerConfig
from isomer_data.database import Database, EmbeddedMongo
from isomer_data.platform import Platform


async def _until(condition, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_a_killed_child_is_restarted_on_the_same_port(tmp_path, caplog):
    server = EmbeddedMongo(tmp_path / "db", cache_size="64M")
    server.start()
    database = Database(server.url, "supervised", "embedded", server)
    platform = Platform(IsomerConfig(home=str(tmp_path / "home")), database)
    client = MongoClient(server.url, serverSelectionTimeoutMS=20_000, heartbeatFrequencyMS=500)

    async def scenario():
        platform.supervise_database(check_seconds=0.05, first_delay=0.05)
        journaled = client.supervised.get_collection("log", write_concern=WriteConcern(w=1, j=True))
        journaled.insert_one({"entry": "cast off"})
        port, pid = server.port, server.process.pid
        os.kill(pid, signal.SIGKILL)
        await _until(lambda: platform.supervisor.restarts == 1)
        assert server.port == port and server.process.pid != pid
        record = json.loads((tmp_path / "embedded-db.json").read_text())
        assert record["pid"] == server.process.pid
        # the same client reconnects by itself: the data folder was reopened intact
        found = await asyncio.to_thread(client.supervised.log.find_one, {}, {"_id": 0})
        assert found == {"entry": "cast off"}
        healthy, problem = await platform.health()
        assert healthy, problem
        client.close()  # before the server stops, or closing waits for it
        await platform.close()

    caplog.set_level(logging.WARNING)
    try:
        asyncio.run(scenario())
    finally:
        client.close()
        server.stop()
    assert "exited with status" in caplog.text and "restarted" in caplog.text


def test_restarts_are_bounded_and_logged(tmp_path, caplog):
    server = EmbeddedMongo(tmp_path / "db", cache_size="64M")
    server.start()
    database = Database(server.url, "supervised", "embedded", server)
    platform = Platform(IsomerConfig(home=str(tmp_path / "home")), database)
    busy = socket.socket()

    async def scenario():
        platform.supervise_database(
            check_seconds=0.05, first_delay=0.05, max_delay=0.1, max_attempts=3
        )
        port = server.port
        server.process.kill()
        server.process.wait()
        # someone else takes the port: every restart fails with 50021
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", port))
        busy.listen()
        await _until(lambda: platform.supervisor.gave_up)
        assert platform.supervisor.failures == 3 and platform.supervisor.restarts == 0
        assert "50021" in platform.supervisor.last_error
        healthy, problem = await platform.health()
        assert not healthy and problem.startswith("50023")
        await platform.close()

    caplog.set_level(logging.WARNING)
    try:
        asyncio.run(scenario())
    finally:
        busy.close()
        server.stop()
    assert "giving up after 3 failed restarts" in caplog.text
