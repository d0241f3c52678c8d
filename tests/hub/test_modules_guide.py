"""docs/modules.md, followed to the letter: its files make a package that pip installs, and
once enabled from the command line it runs, without any build step.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from modules_kit import forget

from isomer_data.cli.main import main

GUIDE = Path(__file__).parents[2] / "docs" / "modules.md"
FILE = re.compile(r"<!-- file: (\S+) -->\n```\w+\n(.*?)\n```", re.S)


@pytest.fixture(scope="session")
def guide_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("guide")
    source = root / "isomer-harbour"
    files = FILE.findall(GUIDE.read_text())
    assert {path for path, _ in files} == {
        "pyproject.toml",
        "isomer_harbour/__init__.py",
        "isomer_harbour/components.py",
        "isomer_harbour/handlers.py",
        "isomer_harbour/schemas/berth.json",
        "isomer_harbour/web/panel.js",
    }
    for path, text in files:
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text(text + "\n")
    target = root / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        + ["--no-deps", "--no-build-isolation", "--no-index", "--target", str(target)]
        + [str(source)],
        check=True,
        capture_output=True,
    )
    return target


@pytest.fixture
def jp_server_config(jp_server_config, guide_site, monkeypatch, db_url, capsys):
    monkeypatch.syspath_prepend(str(guide_site))
    assert main(["module", "enable", "harbour", "--db", db_url]) == 0
    capsys.readouterr()
    yield jp_server_config
    forget("isomer_harbour")


@pytest.fixture
def get(http_server_client, jp_http_port, jp_base_url):
    import tornado.httpclient

    client = tornado.httpclient.AsyncHTTPClient()

    async def fetch(path, token):
        return await client.fetch(
            f"http://localhost:{jp_http_port}{jp_base_url}{path}",
            headers={"Authorization": f"token {token}"},
            raise_error=False,
        )

    return fetch


async def test_the_guide_s_module_runs_once_enabled(started, tokens, hub_connect, get):
    crew = await hub_connect(tokens["crew"])
    assert (await crew.call("harbour", "tide", {}))["data"] == {"height": 1.5}
    assert (await crew.call("harbour", "tide", []))["error"]["code"] == "bad_request"
    berths = await crew.call("objects", "getlist", {"schema": "berth"})
    assert [b["name"] for b in berths["data"]["items"]] == ["Visitors' pontoon"]
    scientist = await hub_connect(tokens["scientist"])
    assert (await scientist.call("harbour", "tide", {}))["error"]["code"] == "forbidden"
    panels = json.loads((await get("isomer/api/modules/panels", tokens["crew"])).body)
    assert "harbour" in [p["id"] for p in panels["panels"]]
    panels = json.loads((await get("isomer/api/modules/panels", tokens["scientist"])).body)
    assert "harbour" not in [p["id"] for p in panels["panels"]]
    assert json.loads((await get("isomer/m/harbour/tide", tokens["scientist"])).body) == {
        "height": 1.5
    }
    assert (await get("isomer/m/harbour/tide", tokens["vessel"])).code == 403
    admin = await hub_connect(tokens["admin"])
    saved = await admin.call(
        "modules", "configure", {"name": "harbour", "config": {"height": 2.5, "api_key": "k"}}
    )
    assert saved["data"]["config"] == {"height": 2.5}  # the key never leaves the server
    assert (await crew.call("harbour", "tide", {}))["data"] == {"height": 2.5}


async def test_the_guide_s_panel_mounts_in_the_browser(
    started, tokens, password, http_server_client, jp_http_port, jp_base_url
):
    from playwright.async_api import async_playwright

    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        page = await browser.new_page()
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        await page.goto(base + "isomer/")
        await page.fill("#username", "crew1")
        await page.fill("#password", password)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/isomer/")
        await page.click("#harbour-tab")
        await page.wait_for_function(
            "document.getElementById('harbour-height')?.textContent === '1.5 m at the harbour'"
        )
        assert problems == []
        await browser.close()
