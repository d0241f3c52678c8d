"""``isomer module …`` against a real database, with a module installed by the test."""

from __future__ import annotations

import pytest
from modules_kit import forget, harbour

from isomer_data.cli.main import main


@pytest.fixture
def installed(tmp_path, monkeypatch):
    root = tmp_path / "site-packages"
    root.mkdir()
    package = harbour(root)
    monkeypatch.syspath_prepend(str(root))
    yield package
    forget(package)


def isomer(db_url, *args) -> int:
    return main(["module", *args, "--db", db_url])


def test_list_shows_built_in_and_installed_modules(installed, db_url, mongo_db, capsys):
    assert isomer(db_url, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["module", "version", "enabled", "state"]
    names = [line.split()[0] for line in lines[1:]]
    assert names[:5] == ["instruments", "map", "logbook", "users", "modules"]
    assert "harbour" in names  # with any other installed module (extensions/)
    assert "harbour              1.2.0      yes      not started yet" in lines
    # what a running platform reported is shown
    mongo_db.modules.insert_one(
        {"_id": "harbour", "state": "failed", "error": {"stage": "start", "message": "no sensor"}}
    )
    assert isomer(db_url, "list") == 0
    assert "failed (start: no sensor)" in capsys.readouterr().out


def test_config_is_validated_and_stored_with_a_new_revision(installed, db_url, mongo_db, capsys):
    assert (
        isomer(db_url, "config", "harbour", "--set", "height=3.5", "--set", "place=Yarmouth") == 0
    )
    stored = mongo_db.modules.find_one({"_id": "harbour"})
    assert stored["config"] == {"height": 3.5, "place": "Yarmouth"}
    assert stored["revision"] == 1
    assert isomer(db_url, "config", "harbour", "--set", "height=99") == 2
    err = capsys.readouterr().err
    assert "50201" in err and "height: 99 is greater than the maximum of 20" in err
    assert isomer(db_url, "config", "harbour", "--set", "height=NaN") == 2
    assert "height: 40211" in capsys.readouterr().err  # Python's json reads NaN: refused
    assert mongo_db.modules.find_one({"_id": "harbour"})["revision"] == 1  # nothing stored
    assert isomer(db_url, "config", "harbour", "--set", "secret=s3", "--unset", "place") == 0
    capsys.readouterr()
    assert isomer(db_url, "config", "harbour") == 0
    shown = capsys.readouterr().out
    assert '"place": "Cowes"' in shown and '"secret": "********"' in shown and "s3" not in shown
    assert isomer(db_url, "info", "harbour") == 0
    info = capsys.readouterr().out
    assert "version:     1.2.0" in info and "height: number" in info and "s3" not in info


def test_enable_and_disable_store_the_choice(installed, db_url, mongo_db, capsys):
    assert isomer(db_url, "disable", "harbour") == 0
    assert mongo_db.modules.find_one({"_id": "harbour"})["enabled"] is False
    assert isomer(db_url, "enable", "harbour") == 0
    doc = mongo_db.modules.find_one({"_id": "harbour"})
    assert doc["enabled"] is True and doc["revision"] == 2
    assert isomer(db_url, "enable", "nonesuch") == 2
    assert "50200: No such module" in capsys.readouterr().err
    assert isomer(db_url, "disable", "modules") == 2
    assert "50205" in capsys.readouterr().err
    assert mongo_db.modules.find_one({"_id": "modules"}) is None


def test_a_module_adds_its_own_verbs(installed, db_url, capsys):
    assert main(["module", "harbour", "tides", "--days", "3"]) == 0
    assert capsys.readouterr().out.strip() == "tides for 3 day(s)"
    assert main(["module", "instruments"]) == 2
    assert "50203" in capsys.readouterr().err


def test_launch_safe_mode_reaches_the_server_configuration(isomer_home, monkeypatch):
    from isomer_data.cli.launch import server_config
    from isomer_data.cli.main import build_parser
    from isomer_data.cli.options import config_from_args

    args = build_parser().parse_args(["launch", "--safe-mode"])
    assert server_config(config_from_args(args)).IsomerConfig.safe_mode is True
    args = build_parser().parse_args(["launch"])
    assert server_config(config_from_args(args)).IsomerConfig.safe_mode is False
    monkeypatch.setenv("ISOMER_SAFE_MODE", "1")
    assert server_config(config_from_args(args)).IsomerConfig.safe_mode is True


def test_install_pip_installs_a_module_and_says_a_restart_is_needed(tmp_path, capsys):
    import shutil
    from pathlib import Path

    source = tmp_path / "anchor-watch"
    extension = Path(__file__).parents[2] / "extensions" / "anchor-watch"
    shutil.copytree(extension, source, ignore=shutil.ignore_patterns("*.egg-info", "build"))
    target = tmp_path / "site"
    offline = ["--pip-arg=--no-index", "--pip-arg=--no-build-isolation", "--pip-arg=--no-deps"]
    args = ["module", "install", str(source), "--target-dir", str(target), *offline]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "module anchor-watch: isomer-anchor-watch 0.1.0" in out
    assert "Restart the platform" in out and "isomer module enable anchor-watch" in out
    assert (target / "isomer_anchor_watch" / "web" / "anchor.js").is_file()
    # the same again: nothing new
    assert main([*args, "--upgrade"]) == 0
    assert "declares no new module" in capsys.readouterr().out
    assert main(["module", "install", str(tmp_path / "nothing-here"), *offline]) == 2
    assert "50204" in capsys.readouterr().err
