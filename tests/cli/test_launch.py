"""``isomer launch`` as a user runs it: a real process, a real embedded database."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from pymongo import MongoClient

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
