"""Third-party modules against a real platform: discovery, RBAC, handlers, configuration,
isolation of broken modules, safe mode.

The modules are packages made by the tests in a temporary folder with a ``.dist-info``
carrying ``entry_points.txt`` (what ``pip install --target`` leaves), put on ``sys.path``.
"""

from __future__ import annotations

import json
import re
import sys
from urllib.parse import urlencode

import pytest
import tornado.httpclient
from modules_kit import (
    broken_at_import,
    broken_at_start,
    events_in_description,
    forget,
    hangs_at_start,
    harbour,
)

from isomer_data.core.roles import ALL_ROLES, ANONYMOUS
from isomer_data.services.auth import login as login_module

A, C, S, V, W, N = "admin", "crew", "scientist", "vessel", "viewer", ANONYMOUS


@pytest.fixture
def safe_mode() -> bool:
    return False


@pytest.fixture
def extra() -> list[str]:
    """Names of more modules like harbour (a test parametrizes it)."""
    return []


@pytest.fixture
def third_party(tmp_path, monkeypatch, extra):
    root = tmp_path / "site-packages"
    root.mkdir()
    packages = {
        "harbour": harbour(root),
        "wreck": broken_at_import(root),
        "reef": broken_at_start(root),
        "doldrums": hangs_at_start(root),
        "eddy": events_in_description(root),
    }
    for spec in extra:  # "name" or "name:panel-id"
        name, _, panel_id = spec.partition(":")
        packages[name] = harbour(root, name, panel_id or None)
    monkeypatch.syspath_prepend(str(root))
    yield packages
    for package in packages.values():
        forget(package)


@pytest.fixture
def jp_server_config(jp_server_config, third_party, safe_mode):
    return {
        **jp_server_config,
        "IsomerConfig": {**jp_server_config["IsomerConfig"], "safe_mode": safe_mode},
    }


@pytest.fixture
def state(third_party):
    """The harbour module's own record of its hooks (set up, started, stopped, config)."""
    return sys.modules[third_party["harbour"]].STATE


@pytest.fixture
def http(http_server_client, jp_http_port, jp_base_url, started):
    client = tornado.httpclient.AsyncHTTPClient()
    base = f"http://localhost:{jp_http_port}{jp_base_url}"

    async def fetch(path, token=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"token {token}"
        kwargs.setdefault("raise_error", False)
        kwargs.setdefault("follow_redirects", False)
        return await client.fetch(base + path, headers=headers, **kwargs)

    fetch.host = f"localhost:{jp_http_port}"
    fetch.base_path = jp_base_url
    login_module._failures.clear()
    yield fetch
    login_module._failures.clear()


async def _as(hub_connect, tokens, role):
    return await hub_connect(None if role == N else tokens[role])


async def test_installed_module_runs_and_its_events_obey_rbac(
    started, tokens, hub_connect, state, mongo_db
):
    assert state["setup"] == 1 and state["starts"] == 1
    assert state["config"] == {"height": 1.5, "place": "Cowes"}  # the schema's defaults
    admin = await hub_connect(tokens[A])
    listed = {m["name"]: m for m in (await admin.call("modules", "list"))["data"]}
    assert list(listed)[:5] == ["instruments", "map", "logbook", "users", "modules"]
    harbour = listed["harbour"]
    assert harbour["state"] == "running" and harbour["version"] == "1.2.0"
    assert harbour["builtin"] is False
    assert harbour["events"] == ["harbour/boom", "harbour/tide"]
    assert harbour["config_schema"]["properties"]["height"]["maximum"] == 20

    expected = {("harbour", "tide"): {A, C}, ("harbour", "boom"): {A, C, S, V, W}}
    failures = []
    for key, allowed in expected.items():
        for role in ALL_ROLES:
            client = await _as(hub_connect, tokens, role)
            reply = await client.call(*key, {})
            client.close()
            code = reply.get("error", {}).get("code")
            was_allowed = code not in ("forbidden", "unauthenticated")
            if was_allowed != (role in allowed):
                failures.append(f"{key} {role}: {code}")
    assert failures == []

    crew = await hub_connect(tokens[C])
    assert (await crew.call("harbour", "tide", {}))["data"] == {"height": 1.5, "starts": 1}
    # its schemas folder joined the schema manager; its provision exists once
    assert "harbourberth" in started.schemas.object_schemas
    berths = list(mongo_db.harbourberths.find({}))
    assert [b["_id"] for b in berths] == ["berth-visitors"]
    assert berths[0]["name"] == "Visitors' pontoon" and berths[0]["owner"] == ""
    listed_berths = await crew.call("objects", "getlist", {"schema": "harbourberth"})
    assert [b["uuid"] for b in listed_berths["data"]["items"]] == ["berth-visitors"]


async def test_an_exception_in_a_module_event_is_an_error_for_that_client_only(
    started, tokens, hub_connect
):
    crew = await hub_connect(tokens[C])
    other = await hub_connect(tokens[S])
    reply = await crew.call("harbour", "boom", {})
    assert reply["error"]["code"] == "internal"
    assert "the module has a bug" in reply["error"]["message"]
    assert (await crew.call("hub", "ping", {}))["data"]  # the connection stays
    assert (await other.call("hub", "ping", {}))["data"]
    assert other.pushes == []  # nobody else heard about it


async def test_broken_modules_are_marked_failed_and_the_platform_stays_healthy(
    started, tokens, hub_connect, http
):
    status = json.loads((await http("isomer/api/status")).body)
    assert status["healthy"] is True
    assert status["failed_modules"] == {
        "wreck": {"stage": "load", "error": "ImportError"},
        "reef": {"stage": "start", "error": "RuntimeError"},
    }
    assert "failed_services" not in status
    # the event wreck registered before raising was taken back out; reef's answers unavailable
    assert ("wreck", "sink") not in started.events
    crew = await hub_connect(tokens[C])
    assert (await crew.call("wreck", "sink", {}))["error"]["code"] == "unknown"
    assert (await crew.call("reef", "depth", {}))["error"]["code"] == "unavailable"
    assert (await crew.call("harbour", "tide", {}))["data"]["height"] == 1.5
    admin = await hub_connect(tokens[A])
    listed = {m["name"]: m for m in (await admin.call("modules", "list"))["data"]}
    assert listed["wreck"]["state"] == "failed"
    assert listed["wreck"]["error"]["message"] == "a dependency of wreck is missing"
    assert listed["reef"]["state"] == "failed"
    assert listed["reef"]["error"] == {
        "stage": "start",
        "error": "RuntimeError",
        "message": "reef cannot reach its sensor",
    }
    assert all(listed[name]["state"] == "running" for name in ("instruments", "map", "harbour"))
    # the command line sees the same (the platform reports into the modules collection)
    stored = await started.adb.modules.find_one({"_id": "reef"})
    assert stored["state"] == "failed" and stored["error"]["stage"] == "start"


async def test_configuration_is_validated_saved_and_restarts_that_module_only(
    started, tokens, hub_connect, state, mongo_db
):
    admin = await hub_connect(tokens[A])
    bad = await admin.call("modules", "configure", {"name": "harbour", "config": {"height": 99}})
    assert bad["error"]["code"] == "invalid"
    assert bad["error"]["details"] == [
        {"field": "height", "message": "99 is greater than the maximum of 20"}
    ]
    unknown = await admin.call("modules", "configure", {"name": "harbour", "config": {"x": 1}})
    assert unknown["error"]["details"][0]["field"] == "x"
    not_object = await admin.call("modules", "configure", {"name": "harbour", "config": [1]})
    assert not_object["error"]["code"] == "invalid"
    dollar = await admin.call(
        "modules", "configure", {"name": "harbour", "config": {"height": 1, "$where": "1"}}
    )
    assert dollar["error"]["details"] == [
        {
            "field": "$where",
            "message": "40210: A field name contains '.' or begins with '$' ('$where')",
        }
    ]
    nobody = await admin.call("modules", "configure", {"name": "nope", "config": {}})
    assert nobody["error"]["code"] == "not_found"
    assert state["starts"] == 1 and state["stops"] == 0  # nothing restarted for bad input
    # someone edits the provisioned berth: a restart must not overwrite it
    mongo_db.harbourberths.update_one({"_id": "berth-visitors"}, {"$set": {"length": 55}})

    good = await admin.call(
        "modules", "configure", {"name": "harbour", "config": {"height": 3.25, "secret": "k"}}
    )
    assert good["data"]["state"] == "running"
    # a write-only field reaches the module, never a client, and is kept when left out
    assert good["data"]["config"] == {"height": 3.25, "place": "Cowes"}
    assert state["config"] == {"height": 3.25, "place": "Cowes", "secret": "k"}
    assert state["stops"] == 1 and state["starts"] == 2
    assert state["config"]["height"] == 3.25
    stored = mongo_db.modules.find_one({"_id": "harbour"})
    assert stored["config"]["height"] == 3.25 and stored["state"] == "running"
    assert mongo_db.harbourberths.find_one({"_id": "berth-visitors"})["length"] == 55
    crew = await hub_connect(tokens[C])
    assert (await crew.call("harbour", "tide", {}))["data"] == {"height": 3.25, "starts": 2}
    listed = {m["name"]: m for m in (await admin.call("modules", "list"))["data"]}
    assert listed["instruments"]["state"] == "running"

    # disabled: its events and handlers go quiet, its panel leaves the manifest
    off = await admin.call("modules", "disable", {"name": "harbour"})
    assert off["data"]["state"] == "disabled" and state["stops"] == 2
    assert (await crew.call("harbour", "tide", {}))["error"]["code"] == "unavailable"
    on = await admin.call("modules", "enable", {"name": "harbour"})
    assert on["data"]["state"] == "running" and state["starts"] == 3
    # the Modules panel stays on: it is how modules are turned on again
    locked = await admin.call("modules", "disable", {"name": "modules"})
    assert locked["error"]["code"] == "invalid"
    assert started.modules.modules["modules"].running
    # reef can be retried once its cause is fixed; it fails again here, reported again
    again = await admin.call("modules", "enable", {"name": "reef"})
    assert again["data"]["state"] == "failed"
    await admin.call("modules", "configure", {"name": "harbour", "config": {"height": 1}})
    assert state["config"] == {"height": 1, "place": "Cowes", "secret": "k"}


@pytest.mark.parametrize("action", ["list", "configure", "enable", "disable"])
async def test_module_administration_is_for_admins(started, tokens, hub_connect, action, state):
    for role in ALL_ROLES:
        client = await _as(hub_connect, tokens, role)
        reply = await client.call("modules", action, {"name": "harbour", "config": {}})
        client.close()
        code = reply.get("error", {}).get("code")
        if role == A:
            assert code is None, reply
        else:
            assert code == ("unauthenticated" if role == N else "forbidden"), (role, reply)
    if action in ("configure", "disable"):
        assert state["stops"] == 1  # only the admin's call reached the module


async def test_the_panel_manifest_follows_roles(started, tokens, http):
    anonymous = await http("isomer/api/modules/panels")
    assert anonymous.code == 403
    seen = {}
    for role in (A, C, S, V):
        reply = await http("isomer/api/modules/panels", token=tokens[role])
        assert reply.code == 200
        panels = json.loads(reply.body)["panels"]
        seen[role] = {p["id"]: p for p in panels if p.get("kind") != "webapp"}
        apps = [p["id"] for p in panels if p.get("kind") == "webapp"]  # docs/webapps.md
        assert ("signalk-freeboard-sk" in apps) == (role != V), role
    assert list(seen[C]) == ["instruments", "map", "logbook", "harbour"]
    assert list(seen[S]) == ["instruments", "map", "logbook"]
    assert list(seen[V]) == []
    assert list(seen[A]) == ["instruments", "map", "logbook", "users", "modules", "harbour"]
    panel = seen[C]["harbour"]
    assert panel["script"].endswith("isomer/m/harbour/static/panel.js")
    assert panel["config"] == {"height": 1.5, "place": "Cowes"}
    assert panel["title"] == "Harbour" and panel["icon"] == "⚓"


async def test_module_handlers_need_a_login_a_role_and_the_same_origin(
    started, tokens, http, state
):
    # anonymous: GET goes to the login page, POST is refused
    page = await http("isomer/m/harbour/tide")
    assert page.code == 302 and "/login" in page.headers["Location"]
    posted = await http("isomer/m/harbour/tide", method="POST", body="x")
    assert posted.code == 403
    script = await http("isomer/m/harbour/static/panel.js")
    assert script.code in (302, 403)
    # roles: crew and scientist may, vessel may not, admin always
    for role, code in ((C, 200), (S, 200), (A, 200), (V, 403)):
        assert (await http("isomer/m/harbour/tide", token=tokens[role])).code == code, role
    reply = await http("isomer/m/harbour/tide", token=tokens[C])
    assert json.loads(reply.body) == {"config": {"height": 1.5, "place": "Cowes"}}
    assert (await http("isomer/m/harbour/static/panel.js", token=tokens[C])).code == 200
    # a state change from another site's page is refused, from ours (or a script) accepted
    evil = {"Origin": "http://evil.example"}
    refused = await http(
        "isomer/m/harbour/tide", token=tokens[C], method="POST", body="evil", headers=evil
    )
    assert refused.code == 403
    ours = {"Origin": f"http://{http.host}"}
    for headers in (ours, {}):
        accepted = await http(
            "isomer/m/harbour/tide", token=tokens[C], method="POST", body="ok", headers=headers
        )
        assert accepted.code == 200
    assert state["posted"] == ["ok", "ok"]
    for role in (V, N):
        token = tokens.get(role)
        assert (
            await http("isomer/m/harbour/tide", token=token, method="POST", body="x")
        ).code == 403
    assert state["posted"] == ["ok", "ok"]


async def test_a_login_cookie_from_a_foreign_origin_cannot_change_state(
    started, tokens, http, password, state
):
    page = await http("login")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.body.decode()).group(1)
    jar = {}
    for header in page.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        jar[name] = rest.split(";")[0]
    body = urlencode({"username": "crew1", "password": password, "_xsrf": xsrf, "next": "/"})
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    login = await http("login", method="POST", body=body, headers={"Cookie": cookie})
    assert login.code == 302
    for header in login.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        jar[name] = rest.split(";")[0]
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    same = {"Cookie": cookie, "X-XSRFToken": jar["_xsrf"], "Origin": f"http://{http.host}"}
    assert (await http("isomer/m/harbour/tide", method="POST", body="a", headers=same)).code == 200
    foreign = {**same, "Origin": "http://evil.example"}
    # Jupyter's own origin check for cookie requests answers first, with 404
    refused = await http("isomer/m/harbour/tide", method="POST", body="b", headers=foreign)
    assert refused.code in (403, 404)
    no_xsrf = {"Cookie": cookie, "Origin": f"http://{http.host}"}
    assert (
        await http("isomer/m/harbour/tide", method="POST", body="c", headers=no_xsrf)
    ).code == 403
    assert state["posted"] == ["a"]


async def test_a_disabled_module_serves_nothing(started, tokens, http, hub_connect):
    admin = await hub_connect(tokens[A])
    await admin.call("modules", "disable", {"name": "harbour"})
    assert (await http("isomer/m/harbour/tide", token=tokens[C])).code == 404
    assert (await http("isomer/m/harbour/static/panel.js", token=tokens[C])).code == 404
    panels = json.loads((await http("isomer/api/modules/panels", token=tokens[C])).body)
    assert "harbour" not in [p["id"] for p in panels["panels"]]
    # the choice survives a restart: it is stored
    assert (await started.adb.modules.find_one({"_id": "harbour"}))["enabled"] is False


@pytest.mark.parametrize("safe_mode", [True])
async def test_safe_mode_starts_without_installed_modules(
    started, tokens, hub_connect, http, third_party, safe_mode
):
    status = json.loads((await http("isomer/api/status")).body)
    assert status["healthy"] is True and "failed_modules" not in status
    admin = await hub_connect(tokens[A])
    listed = (await admin.call("modules", "list"))["data"]
    names = [m["name"] for m in listed if "webapp" not in m]
    assert names == ["instruments", "map", "logbook", "users", "modules"]
    # web apps are files served as they are, no code of theirs runs: safe mode keeps them
    assert "signalk-freeboard-sk" in [m["name"] for m in listed if "webapp" in m]
    assert third_party["harbour"] not in sys.modules  # not even imported
    assert ("harbour", "tide") not in started.events
    assert (await http("isomer/m/harbour/tide", token=tokens[C])).code == 404


async def test_module_events_leave_the_table_when_the_modules_stop(started, state):
    assert ("harbour", "tide") in started.events and ("reef", "depth") in started.events
    await started.modules.close()
    assert state["stops"] == 1
    assert not [key for key in started.events if key[0] in ("harbour", "reef", "wreck", "eddy")]
    assert ("modules", "list") in started.events  # the platform's own events stay


async def test_a_change_from_the_command_line_reaches_the_running_platform(
    started, state, db_url, monkeypatch, capsys
):
    import asyncio

    from isomer_data.cli.main import main
    from isomer_data.services.modules.manager import ModuleManager

    monkeypatch.setattr(ModuleManager, "POLL_SECONDS", 0.1)
    args = ["module", "config", "harbour", "--set", "height=4", "--db", db_url]
    assert await asyncio.to_thread(main, args) == 0
    for _ in range(200):  # generous: the poll runs every 0.1 s here
        if state["config"]["height"] == 4:
            break
        await asyncio.sleep(0.05)
    assert state["config"]["height"] == 4 and state["starts"] == 2 and state["stops"] == 1
    assert await asyncio.to_thread(main, ["module", "disable", "harbour", "--db", db_url]) == 0
    for _ in range(200):
        if started.modules.modules["harbour"].state == "disabled":
            break
        await asyncio.sleep(0.05)
    assert started.modules.modules["harbour"].state == "disabled" and state["stops"] == 2


# ---- in a real browser (Debian's Chromium, headless) ---------------------------------------

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]


async def _login(browser, base, username, password):
    page = await browser.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto(base + "isomer/")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/isomer/")
    await page.wait_for_function("document.getElementById('connection').textContent === 'online'")
    return page, problems


async def test_a_module_panel_mounts_and_the_admin_configures_it_in_the_browser(
    started, tokens, password, state, http_server_client, jp_http_port, jp_base_url
):
    import asyncio

    from playwright.async_api import async_playwright

    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        crew, crew_problems = await _login(browser, base, "crew1", password)
        assert await crew.is_hidden("#modules-tab")  # module administration is for admins
        await crew.click("#harbour-tab")
        await crew.wait_for_selector("#harbour-out[data-height='1.5']")
        assert await crew.text_content("#harbour-out") == "Cowes for crew1 (secret: hidden)"

        admin, admin_problems = await _login(browser, base, "admin1", password)
        await admin.click("#modules-tab")
        await admin.wait_for_selector(
            "#module-list tr[data-module=harbour] .state:text-is('running')"
        )
        assert await admin.text_content("tr[data-module=reef] .state") == "failed"
        assert await admin.text_content("tr[data-module=wreck] .state") == "failed"
        reef_error = await admin.text_content("tr[data-module=reef] + tr.module-error")
        assert "reef cannot reach its sensor" in reef_error
        form = "form[data-module=harbour]"
        assert await admin.input_value(f"{form} input[name=height]") == "1.5"
        await admin.fill(f"{form} input[name=height]", "99")
        await admin.click(f"{form} button[type=submit]")
        await admin.wait_for_selector(f"{form} .field-error[data-field=height]:has-text('maximum')")
        assert state["starts"] == 1  # refused: nothing restarted
        await admin.fill(f"{form} input[name=height]", "2.75")
        await admin.fill(f"{form} input[name=place]", "Yarmouth")
        await admin.click(f"{form} button[type=submit]")
        for _ in range(200):
            if state["starts"] == 2:
                break
            await asyncio.sleep(0.05)
        assert state["config"] == {"height": 2.75, "place": "Yarmouth"}
        assert state["stops"] == 1

        await crew.reload()
        await crew.wait_for_function(
            "document.getElementById('connection').textContent === 'online'"
        )
        await crew.click("#harbour-tab")
        await crew.wait_for_selector("#harbour-out[data-height='2.75']")
        assert (await crew.text_content("#harbour-out")).startswith("Yarmouth for crew1")
        assert crew_problems == [] and admin_problems == []
        await browser.close()


async def test_a_module_websocket_refuses_foreign_origins_and_anonymous_callers(
    started, tokens, http
):
    import tornado.websocket
    from tornado.httpclient import HTTPClientError, HTTPRequest

    url = f"ws://{http.host}{http.base_path}isomer/m/harbour/echo"

    async def connect(headers):
        request = HTTPRequest(url, headers=headers)
        return await tornado.websocket.websocket_connect(request)

    auth = {"Authorization": f"token {tokens[C]}"}
    conn = await connect({**auth, "Origin": f"http://{http.host}"})
    await conn.write_message("hello")
    assert await conn.read_message() == "hello"
    conn.close()
    for headers in (
        {**auth, "Origin": "http://evil.example"},
        {},
        {"Authorization": f"token {tokens[V]}"},
    ):
        with pytest.raises(HTTPClientError) as refused:
            await connect(headers)
        assert refused.value.code in (302, 403), headers


@pytest.mark.parametrize("extra", [["marina"]])
async def test_modules_with_files_of_the_same_name_serve_their_own(started, tokens, http, extra):
    for name in ("harbour", "marina", "harbour"):
        reply = await http(f"isomer/m/{name}/static/panel.js", token=tokens[C])
        assert reply.code == 200, name
        assert f'api.hub.call("{name}", "tide"' in reply.body.decode()


async def test_a_start_hook_that_never_returns_fails_that_module_alone(
    started, tokens, hub_connect, monkeypatch
):
    from isomer_data.services.modules import manager as modules

    admin = await hub_connect(tokens[A])
    listed = {m["name"]: m for m in (await admin.call("modules", "list"))["data"]}
    assert listed["doldrums"]["state"] == "disabled"  # installed modules wait to be enabled
    monkeypatch.setattr(modules, "HOOK_TIMEOUT", 0.2)
    reply = await admin.call("modules", "enable", {"name": "doldrums"})
    assert reply["data"]["state"] == "failed"
    assert reply["data"]["error"]["stage"] == "start"
    assert reply["data"]["error"]["error"] == "TimeoutError"
    crew = await hub_connect(tokens[C])
    assert (await crew.call("harbour", "tide", {}))["data"]["height"] == 1.5


@pytest.mark.parametrize("extra", [["marina:harbour"]])  # installed modules load by name
async def test_a_panel_id_already_taken_fails_the_later_module(started, tokens, http, extra):
    status = json.loads((await http("isomer/api/status")).body)
    assert status["failed_modules"]["marina"] == {"stage": "load", "error": "ValueError"}
    assert started.modules.modules["marina"].error["message"] == (
        "panel id 'harbour' is module harbour's"
    )
    panels = json.loads((await http("isomer/api/modules/panels", token=tokens[C])).body)
    assert [p["module"] for p in panels["panels"] if p["id"] == "harbour"] == ["harbour"]


async def test_events_registered_by_the_description_itself_are_the_module_s(
    started, tokens, hub_connect
):
    crew = await hub_connect(tokens[C])
    assert (await crew.call("eddy", "swirl", {}))["error"]["code"] == "unavailable"  # disabled
    admin = await hub_connect(tokens[A])
    listed = {m["name"]: m for m in (await admin.call("modules", "list"))["data"]}
    assert listed["eddy"]["events"] == ["eddy/swirl"]
    await admin.call("modules", "enable", {"name": "eddy"})
    assert (await crew.call("eddy", "swirl", {}))["data"] == {"swirl": True}


async def test_the_panel_manifest_waits_for_the_modules_to_start(
    jp_serverapp, platform, http, tokens
):
    # `http` and `tokens` start the platform; a fresh manager shows the state before that
    from isomer_data.services.modules.manager import ModuleManager

    starting = ModuleManager(platform)
    platform.modules, running = starting, platform.modules
    try:
        early = await http("isomer/api/modules/panels", token=tokens[C])
        assert early.code == 503 and early.headers["Retry-After"] == "1"
        assert json.loads(early.body)["error"]["code"] == "starting"
    finally:
        platform.modules = running
    assert (await http("isomer/api/modules/panels", token=tokens[C])).code == 200
