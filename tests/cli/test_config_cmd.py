"""``isomer config show|get|set|unset``: the instance file, checked against the traits."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from isomer_data.cli.main import main

ISOMER = [sys.executable, "-m", "isomer_data"]


def config(*args) -> int:
    return main(["config", *args, "--instance", "sv-conf"])


def show(capsys, *flags) -> dict:
    capsys.readouterr()
    assert main(["config", "show", "--json", "--instance", "sv-conf", *flags]) == 0
    return json.loads(capsys.readouterr().out)["settings"]


def test_set_get_unset_and_origins(isomer_home, monkeypatch, capsys):
    assert config("set", "port", "9200") == 0
    assert config("set", "sources", "tcp://10.0.0.5:10110, udp://0.0.0.0:10110") == 0
    assert config("set", "sample", "off") == 0
    assert config("set", "backup_interval", "3600") == 0
    file = isomer_home / "instances" / "sv-conf" / "isomer_config.json"
    assert json.loads(file.read_text())["IsomerConfig"] == {
        "port": 9200,
        "sources": ["tcp://10.0.0.5:10110", "udp://0.0.0.0:10110"],
        "sample": False,
        "backup_interval": 3600,
    }
    assert file.stat().st_mode & 0o077 == 0
    capsys.readouterr()
    assert config("get", "port") == 0
    assert capsys.readouterr().out.strip() == "9200"

    settings = show(capsys)
    assert settings["port"] == {"value": 9200, "origin": "file"}
    assert settings["host"] == {"value": "127.0.0.1", "origin": "default"}
    assert settings["home"]["origin"] == "environment"
    monkeypatch.setenv("ISOMER_PORT", "9300")
    assert show(capsys)["port"] == {"value": 9300, "origin": "environment"}
    assert show(capsys, "--port", "9400")["port"] == {"value": 9400, "origin": "flag"}
    monkeypatch.delenv("ISOMER_PORT")

    assert config("unset", "port") == 0
    assert show(capsys)["port"] == {"value": 8888, "origin": "default"}
    assert "port" not in json.loads(file.read_text())["IsomerConfig"]


def test_bad_keys_and_values_are_numbered_and_change_nothing(isomer_home, capsys):
    assert config("set", "port", "9200") == 0
    file = isomer_home / "instances" / "sv-conf" / "isomer_config.json"
    before = file.read_text()
    cases = [
        (("set", "colour", "red"), "50110: Unknown configuration key"),
        (("set", "instance", "other"), "50110"),
        (("set", "home", "/tmp"), "50110"),
        (("unset", "colour"), "50110"),
        (("get", "colour"), "50110"),
        (("set", "port", "eighty"), "50111: Invalid configuration value"),
        (("set", "port", "70000"), "50111"),
        (("set", "backup_keep", "0"), "50111"),
        (("set", "sample", "perhaps"), "50111"),
        (("set", "db_url", "postgres://x"), "50111"),
        (("set", "sources", "[1, 2]"), "50111"),
    ]
    for args, expected in cases:
        capsys.readouterr()
        assert config(*args) != 0, args
        err = capsys.readouterr().err
        assert expected in err, (args, err)
        assert "Traceback" not in err
    assert file.read_text() == before


def test_secrets_are_not_printed(isomer_home, capsys):
    assert config("set", "db_url", "mongodb://skipper:s3cret-pw@db.local:27017/fleet") == 0
    out = capsys.readouterr().out
    assert "s3cret-pw" not in out
    assert config("get", "db_url") == 0
    assert main(["config", "show", "--instance", "sv-conf"]) == 0
    out = capsys.readouterr().out
    assert "s3cret-pw" not in out and "mongodb://skipper:***@db.local:27017/fleet" in out


def test_launch_and_every_command_read_the_instance_file(isomer_home):
    assert config("set", "port", "9201") == 0
    assert config("set", "db_url", "mongodb://127.0.0.1:9/fleet") == 0
    env = {**os.environ, "ISOMER_INSTANCE": "sv-conf"}
    result = subprocess.run(
        ISOMER + ["launch", "--no-run", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    described = json.loads(result.stdout)
    assert described["port"] == 9201 and described["database_name"] == "fleet"
    # A data command uses the file's database too (here: one that does not answer).
    result = subprocess.run(
        ISOMER + ["db", "user", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0 and "50020" in result.stderr


def test_a_broken_file_is_50113_and_unset_repairs_it(isomer_home, capsys):
    file = isomer_home / "instances" / "sv-conf" / "isomer_config.json"
    file.parent.mkdir(parents=True)
    file.write_text(json.dumps({"IsomerConfig": {"port": "many", "colour": "red"}}))
    result = subprocess.run(
        ISOMER + ["launch", "--no-run", "--instance", "sv-conf"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0
    assert "50113: The instance's configuration file is invalid" in result.stderr
    assert "Traceback" not in result.stderr
    assert config("unset", "colour") == 0
    capsys.readouterr()
    assert config("show") != 0
    assert "50113" in capsys.readouterr().err and "port" in file.read_text()
    assert config("unset", "port") == 0
    assert config("show") == 0
    file.write_text("{not json")
    capsys.readouterr()
    assert config("show") != 0
    assert "50113" in capsys.readouterr().err
