"""The embedded SecantusDB child: lifetimes and failures a user can act on."""

import json
import os
import signal
import socket
import time

import pytest
from pymongo import MongoClient
from traitlets.config import Config

from isomer_data.config import IsomerConfig
from isomer_data.core.errors import IsomerError
from isomer_data.database import EmbeddedMongo, open_database
from isomer_data.database.embedded import pid_alive


def test_data_survives_a_restart(tmp_path):
    with EmbeddedMongo(tmp_path / "db") as server:
        client = MongoClient(server.url, serverSelectionTimeoutMS=10_000, socketTimeoutMS=60_000)
        client.isomer.log.insert_one({"entry": "cast off", "n": 1})
        client.close()
        pid = server.process.pid
    assert not pid_alive(pid)
    assert not (tmp_path / "embedded-db.json").exists()
    with EmbeddedMongo(tmp_path / "db") as server:
        client = MongoClient(server.url, serverSelectionTimeoutMS=10_000, socketTimeoutMS=60_000)
        assert client.isomer.log.find_one({}, {"_id": 0}) == {"entry": "cast off", "n": 1}
        client.close()


def test_a_stop_does_not_wait_out_the_servers_accept_thread(tmp_path):
    """SecantusDB's own stop waits 2 s for an accept() that its closed socket never wakes;
    the platform wakes it, so a stop (paid on every restart and upgrade step) is quick.
    The bound is generous for a loaded machine: the median of three stops under 1.5 s."""
    server = EmbeddedMongo(tmp_path / "db", auth=False)
    took = []
    for _ in range(3):
        server.start()
        pid = server.process.pid
        client = MongoClient(server.url, serverSelectionTimeoutMS=10_000)
        client.isomer.log.insert_one({"entry": "moored"})
        client.close()  # no client left whose reconnection would wake it instead
        started = time.monotonic()
        server.stop()
        took.append(time.monotonic() - started)
        assert not pid_alive(pid)
    assert sorted(took)[1] < 1.5, took


def test_port_in_use_is_error_50021(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(IsomerError) as err:
            # Waiting for readiness would take the whole 600 s: failing fast takes ~1 s.
            EmbeddedMongo(tmp_path / "db", port=port, ready_timeout=600).start()
    assert err.value.code == 50021
    assert time.monotonic() - started < 120


def test_second_server_on_same_data_is_error_50022(tmp_path):
    with EmbeddedMongo(tmp_path / "db") as server:
        with pytest.raises(IsomerError) as err:
            EmbeddedMongo(tmp_path / "db").start()
        assert err.value.code == 50022
        assert str(server.process.pid) in str(err.value)
        assert server.alive


def test_stale_runtime_record_is_removed(tmp_path):
    (tmp_path / "db").mkdir()
    (tmp_path / "embedded-db.json").write_text(
        json.dumps({"pid": 2**22 + 7, "port": 1, "url": "x"})
    )
    with EmbeddedMongo(tmp_path / "db") as server:
        info = json.loads((tmp_path / "embedded-db.json").read_text())
        assert info["pid"] == server.process.pid


def test_crashed_child_is_error_50023(tmp_path):
    server = EmbeddedMongo(tmp_path / "db")
    server.start()
    try:
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        assert not server.alive
        with pytest.raises(IsomerError) as err:
            server.check()
        assert err.value.code == 50023
    finally:
        server.stop()


def test_commands_attach_to_the_instance_running_database(tmp_path):
    config = IsomerConfig(config=Config({"IsomerConfig": {"home": str(tmp_path)}}))
    with open_database(config) as owner:
        assert owner.kind == "embedded" and owner.embedded is not None
        owner.db.marks.insert_one({"mark": "A"})
        with open_database(config) as attached:
            assert attached.embedded is None
            assert attached.url == owner.url
            assert attached.db.marks.count_documents({}) == 1


def test_unreachable_url_is_error_50020_within_seconds():
    config = IsomerConfig(config=Config({"IsomerConfig": {"db_url": "mongodb://127.0.0.1:9/x"}}))
    started = time.monotonic()
    with pytest.raises(IsomerError) as err:
        open_database(config)
    assert err.value.code == 50020
    # bounded by the server-selection timeout (seconds); generous for a busy machine
    assert time.monotonic() - started < 120
