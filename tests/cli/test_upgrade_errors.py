"""Every way ``isomer upgrade`` and ``isomer rollback`` refuse, each with its number, and
nothing switched. (The full story with real builds is in test_upgrade.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from isomer_data import upgrades
from isomer_data.cli.main import main
from isomer_data.core.errors import IsomerError


def run(capsys, *argv) -> tuple[int, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


@pytest.fixture
def boat(isomer_home, capsys):
    assert run(capsys, "instance", "create", "boat")[0] == 0
    return isomer_home / "instances" / "boat"


def test_nothing_to_upgrade_to(boat, capsys, tmp_path):
    status, out = run(capsys, "upgrade", "--instance", "boat", "--to", str(tmp_path / "x.whl"))
    assert status != 0 and "50304: No version to upgrade to" in out
    status, out = run(capsys, "upgrade", "--instance", "boat", "--to", "2.0")
    assert status != 0 and "50304" in out and "wheelhouse" in out
    status, out = run(
        capsys, "upgrade", "--instance", "boat", "--to", "1;rm", "--wheelhouse", str(tmp_path)
    )
    assert status != 0 and "50304" in out and "neither a wheel file nor a version" in out
    assert not (boat / "envs" / "current").exists()


def test_a_file_that_is_no_wheel_is_not_installed(boat, capsys, tmp_path):
    bogus = tmp_path / "isomer_data-9.0.0-py3-none-any.whl"
    bogus.write_text("not a zip")
    status, out = run(capsys, "upgrade", "--instance", "boat", "--to", str(bogus))
    assert status != 0 and "50300: The new version could not be installed" in out
    assert not (boat / "envs" / "current").exists()
    assert not (boat / "envs" / "state.json").exists()


def test_the_version_is_found_in_the_wheelhouse(tmp_path):
    assert upgrades.resolve_target("2.1.0", tmp_path) == "isomer-data==2.1.0"
    assert upgrades.resolve_target(None, tmp_path) == "isomer-data"


def test_an_instance_on_a_mongodb_server_is_not_upgraded_blue_green(boat, capsys, tmp_path, db_url):
    assert run(capsys, "config", "set", "db_url", db_url, "--instance", "boat")[0] == 0
    wheel = tmp_path / "isomer_data-9.0.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    status, out = run(capsys, "upgrade", "--instance", "boat", "--to", str(wheel))
    assert status != 0 and "50308: Blue/green upgrades need the embedded database" in out
    assert run(capsys, "rollback", "--instance", "boat")[0] != 0


def test_unknown_instance(isomer_home, capsys):
    status, out = run(capsys, "rollback", "--instance", "ghost")
    assert status != 0 and "50101" in out
    status, out = run(capsys, "upgrade", "--instance", "ghost", "--to", "x.whl")
    assert status != 0 and "50101" in out
    status, out = run(capsys, "upgrade", "--status", "--instance", "ghost")
    assert status != 0 and "50101" in out


def test_rollback_with_nothing_to_return_to(boat, capsys):
    status, out = run(capsys, "rollback", "--instance", "boat")
    assert status != 0 and "50306: There is nothing to roll back to" in out


def test_a_damaged_state_file_is_named(boat, capsys):
    (boat / "envs").mkdir()
    (boat / "envs" / "state.json").write_text(json.dumps({"current": "purple", "envs": {}}))
    status, out = run(capsys, "upgrade", "--status", "--instance", "boat")
    assert status != 0 and "50313" in out and "state.json" in out
    (boat / "envs" / "state.json").write_text("{not json")
    status, out = run(capsys, "rollback", "--instance", "boat")
    assert status != 0 and "50313" in out


def test_one_upgrade_or_rollback_at_a_time(boat, capsys):
    envs = upgrades.Environments(boat)
    with envs.locked():
        status, out = run(capsys, "rollback", "--instance", "boat")
    assert status != 0 and "50305" in out and f"process {os.getpid()}" in out


def test_status_before_any_upgrade_shows_the_running_installation(boat, capsys):
    status, out = run(capsys, "upgrade", "--status", "--json", "--instance", "boat")
    assert status == 0
    shown = json.loads(out)
    roles = {row["name"]: row["role"] for row in shown["environments"]}
    assert roles == {"blue": "idle", "green": "idle", "external": "current"}
    assert shown["snapshot"] is None and shown["platform"]["state"] == "stopped"


def test_a_platform_that_does_not_stop_stops_the_switch(boat, monkeypatch, tmp_path):
    """A process holding the instance and ignoring SIGTERM: 50309, nothing switched."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, sys, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "from isomer_data.cli.instance_lock import InstanceLock\n"
            f"lock = InstanceLock({str(boat)!r}); lock.acquire(); lock.describe('http://x')\n"
            "print('held', flush=True)\n"
            "time.sleep(120)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(upgrades, "STOP_TIMEOUT", 1.0)
        from isomer_data.instances import instance_config

        with pytest.raises(IsomerError) as caught:
            upgrades._stop_running(instance_config("boat"), lambda _: None)
        assert caught.value.code == 50309
        assert holder.poll() is None
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 10
    while upgrades_running(boat) and time.monotonic() < deadline:
        time.sleep(0.1)


def upgrades_running(boat) -> bool:
    from isomer_data.cli.instance_lock import running_platform

    return running_platform(boat) is not None


def test_a_snapshot_that_cannot_be_written_switches_nothing(boat):
    """The disk full (here: ``snapshots`` is a file): 50314, the state and link unchanged."""
    from isomer_data.instances import instance_config

    (boat / "db").mkdir()
    (boat / "db" / "data").write_text("x")
    (boat / "snapshots").write_text("in the way")
    envs = upgrades.Environments(boat)
    with pytest.raises(IsomerError) as caught:
        upgrades._switch(instance_config("boat"), envs, envs.state(), "blue", "9.9.9", print)
    assert caught.value.code == 50314
    assert not envs.state_path.exists() and not envs.current_link.exists()
    assert (boat / "db" / "data").read_text() == "x"


def test_the_idle_environment_keeps_the_rollback_target_while_it_can(boat):
    from isomer_data.instances import instance_config

    envs = upgrades.Environments(boat)
    first = envs.state()  # before any upgrade: the installation running this
    assert envs.claim_idle(first)[0] == "blue"
    after_first = {**first, "current": "blue", "previous": "external", "snapshot": "s/1"}
    after_first["envs"] = {**first["envs"], "blue": {"prefix": str(envs.root / "blue")}}
    idle, state = envs.claim_idle(after_first)
    assert idle == "green" and state == after_first  # external stays the rollback target
    # The third upgrade must replace blue, the previous one: no rollback target any more,
    # recorded before anything is installed over it.
    after_second = {
        "current": "green",
        "previous": "blue",
        "snapshot": "s/2",
        "envs": {**after_first["envs"], "green": {"prefix": str(envs.root / "green")}},
    }
    envs.save(after_second)
    idle, state = envs.claim_idle(after_second)
    assert idle == "blue" and state["previous"] is None and state["snapshot"] is None
    assert "blue" not in state["envs"]
    assert envs.state() == state
    with pytest.raises(IsomerError) as caught:
        upgrades.rollback(instance_config("boat"))
    assert caught.value.code == 50306
