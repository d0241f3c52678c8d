"""``isomer launch`` as a user runs it: a real process, a real embedded database."""

import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from isomer_data.database.embedded import free_port, pid_alive

ISOMER = [sys.executable, "-m", "isomer_data"]
# A test's own client never waits for ever: a server that stops answering fails the test
# in seconds, with the platform's output, instead of hanging the suite.
TIMEOUTS = {"serverSelectionTimeoutMS": 10_000, "socketTimeoutMS": 30_000}


def run(args, env, timeout=60):
    return subprocess.run(
        ISOMER + args,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_no_run_prints_resolved_configuration(isomer_home):
    env = {**os.environ, "ISOMER_PORT": "9321"}
    result = run(["launch", "--no-run", "--json", "--instance", "sv-test"], env)
    assert result.returncode == 0, result.stderr
    described = json.loads(result.stdout)
    assert described["port"] == 9321
    assert described["database"] == "embedded"
    assert described["instance_dir"] == str(isomer_home / "instances" / "sv-test")


def test_unreachable_database_exits_with_50020(isomer_home):
    # The server-selection timeout bounds it (5 s); the deadline is generous for a busy
    # machine and only a hang reaches it.
    result = run(["launch", "--db", "mongodb://127.0.0.1:9/x"], dict(os.environ), timeout=90)
    assert result.returncode != 0
    assert "50020: No database is available" in result.stderr


def wait_status(port: int, proc, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.output.read_text()
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/isomer/api/status", timeout=2
            ) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.3)
    raise AssertionError("platform did not answer")


def launch(port: int, env, output: Path) -> subprocess.Popen:
    """The platform, its output to a file: a pipe nobody reads while the test runs would
    stop a chatty platform at its first write past the pipe's 64 KiB."""
    with output.open("ab") as sink:
        proc = subprocess.Popen(
            [*ISOMER, "launch", "--port", str(port), "--no-sample"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    proc.output = output
    return proc


def stop(proc, sig) -> str:
    proc.send_signal(sig)
    proc.wait(timeout=30)
    return proc.output.read_text()


def test_sigterm_leaves_no_database_child_and_data_survives(isomer_home):
    env = dict(os.environ)
    runtime = Path(isomer_home) / "instances" / "default" / "embedded-db.json"
    port = free_port()
    log = Path(isomer_home).parent / "platform.log"
    proc = launch(port, env, log)
    try:
        status = wait_status(port, proc)
        assert status["database"] == "embedded"
        assert status["healthy"] is True
        info = json.loads(runtime.read_text())
        client = MongoClient(info["url"], **TIMEOUTS)
        # Not a collection the platform creates while it starts: SecantusDB 0.7.0b3
        # deadlocks when one client creates a collection (createIndexes, create) while
        # another's insert creates the same one, and the objects service creates its
        # indexes after the status endpoint already answers.
        client.isomer_default.launch_marker.insert_one({"entry": "anchored"})
        client.close()
    finally:
        output = stop(proc, signal.SIGTERM)
    assert proc.returncode == 0, output
    assert not pid_alive(info["pid"]), output
    assert not runtime.exists()

    proc = launch(port, env, log)
    try:
        assert wait_status(port, proc)["healthy"] is True
        info = json.loads(runtime.read_text())
        client = MongoClient(info["url"], **TIMEOUTS)
        found = client.isomer_default.launch_marker.find_one({}, {"_id": 0})
        assert found == {"entry": "anchored"}
        client.close()
    finally:
        output = stop(proc, signal.SIGINT)
    assert proc.returncode == 0, output
    assert not pid_alive(info["pid"])


def test_second_launch_of_a_running_instance_is_refused_with_50026(isomer_home, tmp_path):
    env = dict(os.environ)
    first_port, second_port = free_port(), free_port()
    proc = launch(first_port, env, tmp_path / "first.log")
    try:
        wait_status(first_port, proc)
        started = time.monotonic()
        second = run(["launch", "--port", str(second_port), "--no-sample"], env, timeout=60)
        assert time.monotonic() - started < 30
        assert second.returncode != 0
        assert "50026: This instance is already running" in second.stderr
        assert f"process {proc.pid} serves it at http://127.0.0.1:{first_port}" in second.stderr
        assert "Traceback" not in second.stderr
        info = Path(isomer_home) / "instances" / "default" / "platform.json"
        assert info.stat().st_mode & 0o077 == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    # Stopped: the instance is free again, and says nobody runs it.
    assert not (Path(isomer_home) / "instances" / "default" / "platform.json").exists()
    proc = launch(first_port, env, tmp_path / "again.log")
    try:
        assert wait_status(first_port, proc)["healthy"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def test_instance_and_runtime_files_are_private(isomer_home, tmp_path):
    """Finding 12: the database, its login and Jupyter's token files, for the owner only."""
    runtime_dir = tmp_path / "jupyter-runtime"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime_dir)}
    instance = Path(isomer_home) / "instances" / "default"
    port = free_port()
    proc = launch(port, env, tmp_path / "platform.log")
    try:
        wait_status(port, proc)
        mode = lambda path: stat.S_IMODE(path.stat().st_mode)  # noqa: E731
        assert mode(instance) == 0o700
        assert mode(instance / "db") == 0o700
        for path in (instance / "db").rglob("*"):
            assert mode(path) & 0o077 == 0, f"{path} is {oct(mode(path))}"
        for name in ("embedded-db.json", "embedded-db.secret"):
            assert mode(instance / name) == 0o600, name
        assert mode(instance / "logs" / "db.log") == 0o600
        jupyter_files = list(runtime_dir.glob("jpserver-*"))
        assert {p.suffix for p in jupyter_files} >= {".json", ".html"}
        for path in jupyter_files:
            assert mode(path) & 0o077 == 0, f"{path.name} is {oct(mode(path))}"
        # the port answers only to the platform's login
        info = json.loads((instance / "embedded-db.json").read_text())
        anonymous = MongoClient(f"mongodb://127.0.0.1:{info['port']}/?directConnection=true")
        with pytest.raises(OperationFailure) as err:
            anonymous.isomer_default.users.find_one()
        assert err.value.code == 13
        anonymous.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
