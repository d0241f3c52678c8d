"""``isomer db user …`` against the test database: the users the platform logs in with."""

from __future__ import annotations

import asyncio
import fcntl
import io
import os
import subprocess
import sys
import termios
import time

import pytest
from pymongo import AsyncMongoClient

from isomer_data.cli.main import main
from isomer_data.services.auth.users import UserStore


def verify(db_url: str, username: str, password: str):
    async def check():
        client = AsyncMongoClient(db_url, serverSelectionTimeoutMS=10_000, socketTimeoutMS=60_000)
        try:
            return await UserStore(client.get_default_database()).verify(username, password)
        finally:
            await client.close()

    return asyncio.run(check())


def user_cmd(db_url: str, *args: str) -> int:
    return main(["db", "user", *args, "--db", db_url])


def test_an_admin_creates_a_viewer(db_url, isomer_home):
    """A person who only looks (reads what crew reads, changes nothing)."""
    args = ("create-user", "--username", "guest", "--password", "guest-pass", "--role")
    assert user_cmd(db_url, *args, "viewer") == 0
    assert verify(db_url, "guest", "guest-pass")["roles"] == ["viewer"]


def test_create_list_passwd_delete(db_url, isomer_home, capsys):
    assert user_cmd(db_url, "create-user", "--username", "ole", "--password", "first-pass") == 0
    assert (
        user_cmd(
            db_url,
            "create-user",
            "--username",
            "ida",
            "--password",
            "ida-pass-1",
            "--role",
            "scientist",
        )
        == 0
    )
    assert (
        user_cmd(db_url, "create-admin", "--username", "skipper", "--password", "admin-pass") == 0
    )
    capsys.readouterr()
    assert user_cmd(db_url, "list") == 0
    listing = capsys.readouterr().out
    assert "ole" in listing and "crew" in listing
    assert "ida" in listing and "scientist" in listing
    assert "skipper" in listing and "admin" in listing
    assert verify(db_url, "ole", "first-pass")["roles"] == ["crew"]

    assert user_cmd(db_url, "passwd", "--username", "ole", "--password", "second-pass") == 0
    assert verify(db_url, "ole", "first-pass") is None
    assert verify(db_url, "ole", "second-pass") is not None

    # duplicates, unknown users and short passwords are numbered errors, nothing changes
    assert user_cmd(db_url, "create-user", "--username", "ole", "--password", "whatever1") != 0
    assert "70001" in capsys.readouterr().err
    assert user_cmd(db_url, "delete", "--username", "nobody") != 0
    assert "70002" in capsys.readouterr().err
    assert user_cmd(db_url, "create-user", "--username", "kim", "--password", "short") != 0
    assert "70005" in capsys.readouterr().err

    assert user_cmd(db_url, "delete", "--username", "ole") == 0
    assert verify(db_url, "ole", "second-pass") is None


def test_missing_password_without_terminal_is_an_error(db_url, isomer_home):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "isomer_data.cli.main",
            "db",
            "user",
            "create-user",
            "--username",
            "bo",
            "--db",
            db_url,
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "70003" in result.stderr


def _controlling_tty():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_asks_for_the_password_on_a_terminal(db_url, isomer_home):
    controller, terminal = os.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "isomer_data.cli.main",
            "db",
            "user",
            "create-user",
            "--username",
            "tove",
            "--db",
            db_url,
        ],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        preexec_fn=_controlling_tty,
    )
    os.close(terminal)
    output = b""
    answered = 0
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 1024)
        except OSError:
            break
        output += chunk
        if output.count(b"Password") > answered:
            answered += 1
            os.write(controller, b"tty-secret-1\n")
    proc.wait(timeout=30)
    os.close(controller)
    assert proc.returncode == 0, output.decode(errors="replace")
    assert answered == 2
    assert verify(db_url, "tove", "tty-secret-1")["roles"] == ["crew"]


def _cli(db_url: str, *args: str, stdin: str | None = None, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "isomer_data.cli.main", "db", "user", *args, "--db", db_url],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_password_from_stdin_or_the_environment_stays_out_of_the_process_list(
    db_url, isomer_home, monkeypatch, capsys
):
    """Real processes for the two ways scripts use; the variations run in-process."""
    monkeypatch.delenv("ISOMER_PASSWORD", raising=False)
    made = _cli(
        db_url, "create-user", "--username", "una", "--password-stdin", stdin="stdin pw 1\n"
    )
    assert made.returncode == 0, made.stderr
    assert verify(db_url, "una", "stdin pw 1")["roles"] == ["crew"]
    made = _cli(
        db_url, "create-admin", "--username", "vera", env={"ISOMER_PASSWORD": "env secret 1"}
    )
    assert made.returncode == 0, made.stderr
    assert verify(db_url, "vera", "env secret 1")["roles"] == ["admin"]

    monkeypatch.setattr("sys.stdin", io.StringIO("stdin pw 2\r\n"))
    assert user_cmd(db_url, "passwd", "--username", "una", "--password-stdin") == 0
    assert verify(db_url, "una", "stdin pw 2") is not None
    monkeypatch.setenv("ISOMER_PASSWORD", "env pw 3x")
    assert user_cmd(db_url, "passwd", "--username", "una") == 0
    assert verify(db_url, "una", "env pw 3x") is not None

    # two sources at once is a numbered error, nothing changes
    monkeypatch.setattr("sys.stdin", io.StringIO("other pw 5\n"))
    capsys.readouterr()
    assert user_cmd(db_url, "passwd", "--username", "una", "--password-stdin") != 0
    assert "40102" in capsys.readouterr().err
    monkeypatch.delenv("ISOMER_PASSWORD")
    # --password still works, with a warning that it shows in the process list
    assert user_cmd(db_url, "passwd", "--username", "una", "--password", "argv pw 4") == 0
    assert "process list" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert user_cmd(db_url, "passwd", "--username", "una", "--password-stdin") != 0
    assert "70003" in capsys.readouterr().err
    assert verify(db_url, "una", "argv pw 4") is not None


def test_user_names_follow_the_panel_form_rule(db_url, isomer_home, monkeypatch, capsys):
    from isomer_data.services.objects.schemas import SchemaRegistry

    monkeypatch.setenv("ISOMER_PASSWORD", "good password")
    form = SchemaRegistry()
    for name, ok in (
        ("anna.b@boat-1_x", True),
        ("has space", False),
        ("x" * 65, False),
        ("semi;colon", False),
        ("ünï", False),
        ("<script>", False),
    ):
        form_ok = not [
            e
            for e in form.errors("user", {"username": name, "roles": ["crew"]})
            if e["field"] == "username"
        ]
        assert form_ok is ok, name  # the panel form's verdict
        capsys.readouterr()
        assert (user_cmd(db_url, "create-user", "--username", name) == 0) is ok, name
        if not ok:
            assert "40101" in capsys.readouterr().err
            assert verify(db_url, name, "good password") is None
    refused = _cli(
        db_url, "create-user", "--username", "has space", env={"ISOMER_PASSWORD": "x" * 9}
    )
    assert refused.returncode != 0 and "40101" in refused.stderr


def test_a_vessel_user_carries_its_vessel_urn(db_url, isomer_home, capsys):
    args = ("create-user", "--username", "skylark", "--password", "boat-pass-1", "--role", "vessel")
    assert user_cmd(db_url, *args, "--vessel", "urn:mrn:imo:mmsi:230123456") == 0
    assert verify(db_url, "skylark", "boat-pass-1")["vessel"] == "urn:mrn:imo:mmsi:230123456"
    with pytest.raises(SystemExit) as exc:  # argparse refuses it before anything is stored
        user_cmd(db_url, *args[:2], "other", *args[3:], "--vessel", "urn:mrn:x/../y")
    assert exc.value.code == 2
    assert "vessel URN" in capsys.readouterr().err
    assert verify(db_url, "other", "boat-pass-1") is None
