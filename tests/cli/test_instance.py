"""``isomer instance create|list|info|remove`` as a user runs them."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import termios
import time

from isomer_data.cli.instance_lock import InstanceLock
from isomer_data.cli.main import main

ISOMER = [sys.executable, "-m", "isomer_data"]


def run(*args, stdin=subprocess.DEVNULL, timeout=60):
    return subprocess.run(
        ISOMER + list(args), capture_output=True, text=True, timeout=timeout, stdin=stdin
    )


def test_create_list_info_remove(isomer_home, capsys):
    assert main(["instance", "create", "sv-one", "--port", "9101", "--source", "tcp://h:1"]) == 0
    assert main(["instance", "create", "sv-two"]) == 0
    capsys.readouterr()
    assert main(["instance", "list", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["sv-one"]["port"] == 9101 and rows["sv-one"]["state"] == "stopped"
    assert rows["sv-two"]["port"] == 8888 and rows["sv-two"]["database"] == "embedded"

    assert main(["instance", "info", "sv-one", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["instance_dir"] == str(isomer_home / "instances" / "sv-one")
    assert info["sources"] == ["tcp://h:1"]
    assert info["state"] == "stopped" and info["database"] == "embedded"
    config_file = isomer_home / "instances" / "sv-one" / "isomer_config.json"
    assert config_file.stat().st_mode & 0o077 == 0

    assert main(["instance", "remove", "sv-two", "--yes"]) == 0
    assert not (isomer_home / "instances" / "sv-two").exists()


def test_failures_are_numbered(isomer_home, capsys):
    assert main(["instance", "create", "sv-x"]) == 0
    assert main(["instance", "create", "sv-x"]) != 0
    assert "50102: That instance already exists" in capsys.readouterr().err
    assert main(["instance", "info", "nowhere"]) != 0
    assert "50101: No such instance" in capsys.readouterr().err
    assert main(["instance", "remove", "nowhere", "--yes"]) != 0
    assert "50101" in capsys.readouterr().err
    assert main(["instance", "create", "bad/name"]) != 0
    assert "50030" in capsys.readouterr().err
    assert main(["instance", "create", "sv-y", "--port", "99999"]) != 0
    assert "50111" in capsys.readouterr().err
    assert not (isomer_home / "instances" / "sv-y").exists()


def test_remove_without_a_terminal_needs_yes(isomer_home):
    assert main(["instance", "create", "sv-keep"]) == 0
    result = run("instance", "remove", "sv-keep")
    assert result.returncode != 0
    assert "50104: Not confirmed" in result.stderr and "--yes" in result.stderr
    assert "Traceback" not in result.stderr
    # Piped text is not a confirmation either.
    piped = subprocess.run(
        ISOMER + ["instance", "remove", "sv-keep"],
        input="sv-keep\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert piped.returncode != 0 and "50104" in piped.stderr
    assert (isomer_home / "instances" / "sv-keep").is_dir()


def test_a_running_instance_shows_running_and_is_not_removed(isomer_home, capsys):
    assert main(["instance", "create", "sv-live"]) == 0
    lock = InstanceLock(isomer_home / "instances" / "sv-live")
    lock.acquire()  # what a running `isomer launch` holds
    lock.describe("http://127.0.0.1:9999")
    try:
        capsys.readouterr()
        assert main(["instance", "info", "sv-live", "--json"]) == 0
        info = json.loads(capsys.readouterr().out)
        assert info["state"] == "running"
        assert info["pid"] == os.getpid() and info["url"] == "http://127.0.0.1:9999"
        result = run("instance", "remove", "sv-live", "--yes")
        assert result.returncode != 0
        assert "50103: The instance is in use" in result.stderr
        assert f"platform process {os.getpid()}" in result.stderr
        assert (isomer_home / "instances" / "sv-live").is_dir()
    finally:
        lock.release()
    assert main(["instance", "info", "sv-live", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "stopped"


def _controlling_tty():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _remove_on_terminal(name: str, answer: bytes) -> tuple[int, bytes]:
    controller, terminal = os.openpty()
    proc = subprocess.Popen(
        ISOMER + ["instance", "remove", name],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        preexec_fn=_controlling_tty,
    )
    os.close(terminal)
    output = b""
    answered = False
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 1024)
        except OSError:
            break
        output += chunk
        if not answered and b"to confirm" in output:
            answered = True
            os.write(controller, answer)
    proc.wait(timeout=30)
    os.close(controller)
    return proc.returncode, output


def test_remove_on_a_terminal_asks_for_the_name(isomer_home):
    assert main(["instance", "create", "sv-ask"]) == 0
    code, output = _remove_on_terminal("sv-ask", b"yes\n")
    assert code != 0 and b"50104" in output, output
    assert (isomer_home / "instances" / "sv-ask").is_dir()
    code, output = _remove_on_terminal("sv-ask", b"sv-ask\n")
    assert code == 0, output
    assert not (isomer_home / "instances" / "sv-ask").exists()
