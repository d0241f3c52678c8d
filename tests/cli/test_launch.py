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


def test_unreachable_database_exits_with_50020_within_15_s(isomer_home):
    started = time.monotonic()
    result = run(["launch", "--db", "mongodb://127.0.0.1:9/x"], dict(os.environ), timeout=30)
    assert time.monotonic() - started < 15
    assert result.returncode != 0
    assert "50020: No database is available" in result.stderr


def wait_status(port: int, proc, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/isomer/api/status", timeout=2
            ) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.3)
    raise AssertionError("platform did not answer")


def launch(port: int, env) -> subprocess.Popen:
    return subprocess.Popen(
        ISOMER + ["launch", "--port", str(port), "--no-sample"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sigterm_leaves_no_database_child_and_data_survives(isomer_home):
    env = dict(os.environ)
    runtime = Path(isomer_home) / "instances" / "default" / "embedded-db.json"
    port = free_port()
    proc = launch(port, env)
    try:
        status = wait_status(port, proc)
        assert status["database"] == "embedded"
        assert status["healthy"] is True
        info = json.loads(runtime.read_text())
        client = MongoClient(info["url"])
        client.isomer_default.logbook.insert_one({"entry": "anchored"})
        client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0]
    assert proc.returncode is not None
    assert not pid_alive(info["pid"]), output
    assert not runtime.exists()

    proc = launch(port, env)
    try:
        assert wait_status(port, proc)["healthy"] is True
        info = json.loads(runtime.read_text())
        client = MongoClient(info["url"])
        assert client.isomer_default.logbook.find_one({}, {"_id": 0}) == {"entry": "anchored"}
        client.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert not pid_alive(info["pid"])


def test_second_launch_of_a_running_instance_is_refused_with_50026(isomer_home):
    env = dict(os.environ)
    first_port, second_port = free_port(), free_port()
    proc = launch(first_port, env)
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
    proc = launch(first_port, env)
    try:
        assert wait_status(first_port, proc)["healthy"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
