"""``isomer module add-webapp`` / ``remove-webapp``: npm into the instance, offline here
(packages made by ``npm pack`` in the test), a package without the keyword refused."""

from __future__ import annotations

import json
import tarfile

import pytest

from isomer_data.cli.main import main
from isomer_data.core import webapps


def npm_package(folder, name: str, keywords: list[str]) -> str:
    """A package tarball as the registry would hand it over."""
    folder.mkdir(parents=True)
    (folder / "public").mkdir()
    (folder / "public" / "index.html").write_text("<!doctype html><title>chart</title>")
    (folder / "package.json").write_text(
        json.dumps(
            {
                "name": name,
                "version": "1.2.3",
                "description": "a test chart app",
                "keywords": keywords,
                "signalk": {"displayName": "Harbour chart", "appIcon": "./icon.png"},
            }
        )
    )
    tgz = folder.with_suffix(".tgz")
    with tarfile.open(tgz, "w:gz") as tar:  # what npm pack makes: the files under package/
        tar.add(folder, arcname="package")
    return str(tgz)


@pytest.fixture
def packages(tmp_path):
    return {
        "app": npm_package(tmp_path / "app", "@test/harbour-chart", ["signalk-webapp"]),
        "other": npm_package(tmp_path / "other", "not-an-app", ["signalk-node-server-plugin"]),
    }


def test_add_list_and_remove_a_webapp(packages, isomer_home, db_url, capsys):
    offline = "--npm-arg=--offline"
    assert main(["module", "add-webapp", packages["app"], offline]) == 0
    out = capsys.readouterr().out
    assert "module test-harbour-chart, served at /@test/harbour-chart/" in out
    root = isomer_home / "instances" / "default" / "webapps"
    found, problems = webapps.find([root])
    assert [app.package for app in found] == ["@test/harbour-chart"] and problems == {}

    assert main(["module", "list", "--db", db_url]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "test-harbour-chart" in x)
    assert "yes" in line and "web app at /@test/harbour-chart/" in line

    # not a web app: refused with its number, and not kept
    assert main(["module", "add-webapp", packages["other"], offline]) == 2
    assert "50700" in capsys.readouterr().err
    assert "not-an-app" not in json.loads((root / "package.json").read_text())["dependencies"]
    assert main(["module", "add-webapp", "Not A Package!"]) == 2
    assert "50704" in capsys.readouterr().err

    assert main(["module", "remove-webapp", "test-harbour-chart"]) == 0
    assert webapps.find([root]) == ([], {})
    assert main(["module", "remove-webapp", "@signalk/freeboard-sk"]) == 2  # the platform's own
    assert "50703" in capsys.readouterr().err
