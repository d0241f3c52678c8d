"""``isomer upgrade`` and ``isomer rollback`` against a real running platform.

The builds are real wheels: the source tree is copied, given version 99.0.0 and built once
(offline, no build isolation); each broken build is that wheel with one planted fault (its
RECORD kept consistent). The environments reach third-party packages through a path entry
to this test environment's site-packages, as tests/packaging/test_wheel.py does, so nothing
is downloaded.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from pymongo import MongoClient

from isomer_data.cli.instance_lock import running_platform
from isomer_data.database.embedded import free_port, pid_alive, read_runtime

ROOT = Path(__file__).parents[2]
ISOMER = [sys.executable, "-m", "isomer_data"]
NEW = "99.0.0"
NOT_SOURCE = {".git", ".venv", ".venv-csb", "tests", "bench", "node_modules", "build", "dist"}


def _ignore(folder, names):
    return [n for n in names if n in NOT_SOURCE or n.endswith((".egg-info", "__pycache__"))]


@pytest.fixture(scope="session")
def good_wheel(tmp_path_factory, worker_id) -> Path:
    """Built once per run: pytest-xdist's workers share the session's temporary folder, and
    the first to get the lock builds while the others wait (a build is seconds of CPU)."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent
    with (shared / "upgrade-wheel.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        dist = shared / "upgrade-wheel"
        if not dist.is_dir():
            building = shared / "upgrade-wheel.partial"
            shutil.rmtree(building, ignore_errors=True)
            _build_wheel(tmp_path_factory, building)
            building.rename(dist)
    (wheel,) = dist.glob(f"isomer_data-{NEW}-*.whl")
    return wheel


def _build_wheel(tmp_path_factory, dist: Path) -> None:
    source = tmp_path_factory.mktemp("source") / "isomer-data"
    shutil.copytree(ROOT, source, ignore=_ignore, symlinks=True)
    for name, old, new in (
        ("pyproject.toml", 'version = "0.1.0"', f'version = "{NEW}"'),
        ("isomer_data/__init__.py", '__version__ = "0.1.0"', f'__version__ = "{NEW}"'),
    ):
        path = source / name
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
    dist.mkdir()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "-q", "-w", str(dist)],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=300,
    )


def plant(wheel: Path, out_dir: Path, changes: dict[str, Callable]) -> Path:
    """A copy of ``wheel`` with members changed (``old text → new text``) or added, and its
    RECORD rewritten to match."""
    out_dir.mkdir(exist_ok=True)
    out = out_dir / wheel.name
    with zipfile.ZipFile(wheel) as src:
        members = {name: src.read(name) for name in src.namelist()}
    for name, change in changes.items():
        members[name] = change(members.get(name, b"").decode()).encode()
    (record,) = [n for n in members if n.endswith(".dist-info/RECORD")]
    lines = []
    for name, data in members.items():
        if name == record:
            continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{name},sha256={digest},{len(data)}")
    lines.append(f"{record},,")
    members[record] = ("\n".join(lines) + "\n").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members.items():
            dst.writestr(name, data)
    return out


def replace(old: str, new: str):
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return change


def cli(args, env, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(
        ISOMER + args,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def status(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/isomer/api/status", timeout=5) as r:
        return json.loads(r.read())


def wait_status(port: int, proc, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.output.read_text()
        try:
            return status(port)
        except OSError:
            time.sleep(0.3)
    raise AssertionError("platform did not answer")


def documents(instance_dir: Path) -> list:
    """The voyage log as the running platform's database holds it."""
    url = read_runtime(instance_dir / "db")["url"]
    client = MongoClient(url, serverSelectionTimeoutMS=10_000)
    try:
        return list(client["isomer_boat"]["voyage_log"].find({}, sort=[("n", 1)]))
    finally:
        client.close()


def insert(instance_dir: Path, docs: list[dict]) -> None:
    url = read_runtime(instance_dir / "db")["url"]
    client = MongoClient(url, serverSelectionTimeoutMS=10_000)
    try:
        client["isomer_boat"]["voyage_log"].insert_many(docs)
    finally:
        client.close()


@pytest.fixture
def env(isomer_home):
    return {k: v for k, v in os.environ.items() if not k.startswith("ISOMER_")} | {
        "ISOMER_HOME": str(isomer_home)
    }


@pytest.fixture
def serving(env, isomer_home, tmp_path):
    """Instance ``boat`` served by this installation (0.1.0), with a voyage log in its
    database; whatever platform serves it at the end is stopped."""
    port = free_port()
    assert cli(["instance", "create", "boat", "--port", str(port)], env).returncode == 0
    instance_dir = isomer_home / "instances" / "boat"
    output = tmp_path / "platform.log"
    with output.open("ab") as sink:
        old = subprocess.Popen(
            [*ISOMER, "launch", "--instance", "boat", "--no-sample"],
            env=env | {"JUPYTER_TOKEN": "upgrade-test-token-0123456789"},
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    old.output = output
    try:
        assert wait_status(port, old)["version"] == "0.1.0"
        insert(instance_dir, [{"n": i, "log": f"waypoint {i}"} for i in range(50)])
        yield port, instance_dir, old, documents(instance_dir)
    finally:
        running = running_platform(instance_dir)
        if running and running["pid"] != old.pid and pid_alive(running["pid"]):
            os.kill(running["pid"], signal.SIGTERM)  # a platform the upgrade started
            deadline = time.monotonic() + 60
            while pid_alive(running["pid"]) and time.monotonic() < deadline:
                time.sleep(0.2)
        if old.poll() is None:
            old.terminate()
            old.wait(timeout=60)


BROKEN = {
    "import error": (
        {"isomer_data/__init__.py": lambda t: t + '\nraise ImportError("planted")\n'},
        "50301: The new version does not start",
    ),
    "failing migration": (
        {
            "isomer_data/migrations/m0002_planted.py": lambda _: (
                'DESCRIPTION = "planted"\n\n\ndef up(db):\n    raise RuntimeError("planted fault")\n'
            )
        },
        "50302: The new version's data migrations failed on the copy",
    ),
    "failing health check": (
        {
            "isomer_data/platform.py": replace(
                'healthy, problem = True, ""', 'healthy, problem = False, "planted"'
            )
        },
        "50303: The new version failed its health check",
    ),
    "hub does not take data": (
        {
            "isomer_data/services/live/components.py": replace(
                '    reply = {"accepted": len(observations)}',
                '    reply = {"accepted": 0}  # planted: the hub takes nothing',
            )
        },
        "50303: The new version failed its health check (ingest",
    ),
}


def test_broken_builds_are_refused_while_the_old_version_keeps_serving_its_data(
    good_wheel, tmp_path, env, serving
):
    port, instance_dir, old, before = serving
    for name, (changes, expected) in BROKEN.items():
        wheel = plant(good_wheel, tmp_path / name.replace(" ", "-"), changes)
        result = cli(["upgrade", "--instance", "boat", "--to", str(wheel)], env)
        assert result.returncode != 0, name
        assert expected in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stderr, name
        # The old version still serves, the same process, with its data as it was.
        assert old.poll() is None, name
        assert status(port)["version"] == "0.1.0"
        assert running_platform(instance_dir)["pid"] == old.pid
        assert documents(instance_dir) == before, name
        assert not (instance_dir / "envs" / "current").exists(), name
        assert not (instance_dir / "upgrade").exists(), name


def test_a_failed_switch_is_undone_then_a_good_build_switches_and_rolls_back(
    good_wheel, tmp_path, env, serving
):
    port, instance_dir, old, before = serving
    # A build that passes on the copy but fails on the live data: the switch is undone,
    # the old version restarted on its own data (a new process, started by the upgrade).
    wheel = plant(
        good_wheel,
        tmp_path / "live-only",
        {
            "isomer_data/platform.py": replace(
                'healthy, problem = True, ""',
                'healthy, problem = self.config.home.endswith("/upgrade"), "planted"',
            )
        },
    )
    result = cli(["upgrade", "--instance", "boat", "--to", str(wheel)], env)
    assert result.returncode != 0
    assert "health check passed" in result.stdout
    assert "50307: The switched platform did not come up" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    old.wait(timeout=60)
    assert status(port)["version"] == "0.1.0"
    assert running_platform(instance_dir)["pid"] != old.pid
    assert documents(instance_dir) == before
    assert (instance_dir / "envs" / "current").resolve() == Path(sys.prefix).resolve()
    assert not any((instance_dir / "snapshots").iterdir())

    # A good build switches: the platform restarts, the new version serves the data.
    # This time by version, from a wheelhouse folder.
    upgrade = ["upgrade", "--instance", "boat", "--to", NEW, "--wheelhouse"]
    result = cli([*upgrade, str(good_wheel.parent)], env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "health check passed" in result.stdout
    assert status(port)["version"] == NEW
    new_pid = running_platform(instance_dir)["pid"]
    assert documents(instance_dir) == before
    assert (instance_dir / "envs" / "current").resolve() == instance_dir / "envs" / "blue"
    shown = json.loads(cli(["upgrade", "--status", "--json", "--instance", "boat"], env).stdout)
    roles = {row["name"]: (row["role"], row["version"]) for row in shown["environments"]}
    assert roles["blue"] == ("current", NEW)
    assert roles["external"] == ("previous", "0.1.0")
    assert shown["platform"]["state"] == "running"
    # Written under the new version: gone after the rollback, back after a second one.
    insert(instance_dir, [{"n": 1000, "log": "written by 99.0.0"}])

    result = cli(["rollback", "--instance", "boat"], env)
    assert result.returncode == 0, result.stderr
    assert status(port)["version"] == "0.1.0"
    assert not pid_alive(new_pid)
    assert documents(instance_dir) == before
    shown = json.loads(cli(["upgrade", "--status", "--json", "--instance", "boat"], env).stdout)
    roles = {row["name"]: row["role"] for row in shown["environments"]}
    assert roles == {"blue": "previous", "green": "idle", "external": "current"}

    result = cli(["rollback", "--instance", "boat"], env)
    assert result.returncode == 0, result.stderr
    assert status(port)["version"] == NEW
    assert [d["n"] for d in documents(instance_dir)][-1] == 1000

    # The next upgrade runs from the current environment (as under systemd): it installs
    # into green, which depends on no other environment of the instance.
    result = subprocess.run(
        [instance_dir / "envs" / "current" / "bin" / "isomer", "upgrade", "--instance", "boat"]
        + ["--to", str(good_wheel)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert (instance_dir / "envs" / "current").resolve() == instance_dir / "envs" / "green"
    deps = next((instance_dir / "envs" / "green").glob("lib/python*/site-packages/isomer-deps.pth"))
    assert str(instance_dir / "envs") not in deps.read_text()
    assert status(port)["version"] == NEW
    assert [d["n"] for d in documents(instance_dir)][-1] == 1000
