"""What Signal K web apps ask the server beside the data (``services/signalk/probes.py``) and
their settings store (``services/signalk/appdata.py``), as every role, anonymous, with the
login page's cookie and from a foreign origin."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest
import tornado.httpclient
from isomer_data.ingest.observation import Observation

from isomer_data.core.roles import ROLES
from isomer_data.services.auth import login as login_module
from isomer_data.services.signalk import appdata

EVIL = "http://evil.example"
LEVEL = {
    "admin": "admin",
    "crew": "readwrite",
    "scientist": "readwrite",
    "vessel": "readonly",
    "viewer": "readonly",
}
FREEBOARD = "signalk/v1/applicationData/user/freeboard/1.0.0"


@pytest.fixture
def http(http_server_client, jp_http_port, jp_base_url, started):
    client = tornado.httpclient.AsyncHTTPClient()
    base = f"http://localhost:{jp_http_port}{jp_base_url}"

    async def fetch(path, **kwargs):
        kwargs.setdefault("raise_error", False)
        kwargs.setdefault("follow_redirects", False)
        return await client.fetch(base + path, **kwargs)

    fetch.origin = f"http://localhost:{jp_http_port}"  # what a page of this server sends
    login_module._failures.clear()
    yield fetch
    login_module._failures.clear()


def _cookies(response) -> dict[str, str]:
    return {
        h.split("=", 1)[0]: h.split(";")[0].split("=", 1)[1]
        for h in response.headers.get_list("Set-Cookie")
    }


async def page_login(http, username: str, password: str) -> str:
    """The login page, as a browser uses it: the ``Cookie`` header it then sends."""
    page = await http("login")
    xsrf = _cookies(page)["_xsrf"]
    done = await http(
        "login",
        method="POST",
        body=f"username={username}&password={quote(password)}&_xsrf={xsrf}",
        headers={"Cookie": f"_xsrf={xsrf}"},
    )
    assert done.code == 302, done.body
    session = {k: v for k, v in _cookies(done).items() if k != "_xsrf"}
    assert session, "the login page set no session cookie"
    return "; ".join(f"{k}={v}" for k, v in session.items())


def auth(tokens, role):
    return {"Authorization": f"token {tokens[role]}"} if role != "anonymous" else {}


async def getjson(http, path, headers):
    response = await http(path, headers=headers)
    return response.code, (json.loads(response.body) if response.body else None)


async def login_status_per_role_and_anonymous(tokens, http, password):
    code, status = await getjson(http, "skServer/loginStatus", {})
    assert code == 200
    assert status["status"] == "notLoggedIn" and status["authenticationRequired"] is True
    assert "username" not in status and "userLevel" not in status
    for role in ROLES:
        code, status = await getjson(http, "skServer/loginStatus", auth(tokens, role))
        assert (code, status["status"]) == (200, "loggedIn"), role
        assert status["username"] == f"{role}1"
        assert status["userLevel"] == LEVEL[role]
    # the login page's cookie is a login for Signal K endpoints too
    cookie = await page_login(http, "crew1", password)
    code, status = await getjson(http, "skServer/loginStatus", {"Cookie": cookie})
    assert (status["status"], status["username"], status["userLevel"]) == (
        "loggedIn",
        "crew1",
        "readwrite",
    )


async def start_up_probes_answer_as_signalk_server(tokens, http, password, started):
    cookie = {"Cookie": await page_login(http, "crew1", password)}
    code, features = await getjson(http, "signalk/v2/features?enabled=1", {})
    assert code == 200 and {"resources", "course", "notifications"} <= set(features["apis"])
    assert features["plugins"] == []  # the web apps' server plugins are known, not run
    _, everything = await getjson(http, "signalk/v2/features", {})
    assert {"id": "freeboard-sk", "name": "Freeboard-SK", "version": "2.24.2"}.items() <= (
        next(p for p in everything["plugins"] if p["id"] == "freeboard-sk").items()
    )

    code, active = await getjson(http, "signalk/v1/unitpreferences/active", cookie)
    assert code == 200 and active["categories"]["speed"]["targetUnit"] == "kn"
    assert (await getjson(http, "signalk/v1/unitpreferences/config", cookie))[1] == {
        "activePreset": "nautical-metric"
    }
    assert (await getjson(http, "signalk/v1/unitpreferences/presets/nope", cookie))[0] == 404
    # a user's own choice (applicationData, as Signal K server keeps it) wins
    saved = await http(
        "signalk/v1/applicationData/user/unitpreferences/1.0.0",
        method="POST",
        body=json.dumps({"activePreset": "metric"}),
        headers={**cookie, "Origin": http.origin, "Content-Type": "application/json"},
    )
    assert saved.code == 200, saved.body
    _, active = await getjson(http, "signalk/v1/unitpreferences/active", cookie)
    assert active["categories"]["distance"]["targetUnit"] == "kilometer"

    # before any data came in: empty groups, not errors
    assert await getjson(http, "signalk/v1/api/vessels/self", cookie) == (200, {})
    assert await getjson(http, "signalk/v1/api/vessels/self/navigation/anchor", cookie) == (
        200,
        {},
    )
    meta = "signalk/v1/api/vessels/self/navigation/speedOverGround/meta"
    assert (await getjson(http, meta, cookie))[0] == 404  # no such data yet
    started.live.publish([Observation(time.time(), "self", "navigation.speedOverGround", 3.0, "t")])
    assert await getjson(http, meta, cookie) == (
        200,
        {"units": "m/s", "description": "speed over ground"},
    )
    assert await getjson(http, "signalk/v1/api/tracks?radius=10000", cookie) == (200, {})
    assert await getjson(http, "signalk/v2/api/vessels/self/radars", cookie) == (200, [])
    code, plugin = await getjson(http, "plugins/freeboard-sk", cookie)
    assert code == 200 and plugin["id"] == "freeboard-sk" and plugin["enabled"] is False
    assert (await getjson(http, "plugins/freeboard-sk", {}))[0] == 401  # Freeboard: log in
    assert (await getjson(http, "plugins/no-such-plugin", cookie))[0] == 404

    code, apps = await getjson(http, "skServer/webapps", cookie)
    names = {app["name"]: app for app in apps}
    assert code == 200 and {"@signalk/freeboard-sk", "@signalk/instrumentpanel"} <= set(names)
    assert names["@signalk/freeboard-sk"]["signalk"]["displayName"] == "Freeboard-SK"
    assert "signalk-webapp" in names["@signalk/freeboard-sk"]["keywords"]
    assert (await getjson(http, "skServer/webapps", {}))[0] in (401, 403)


async def custom_resource_types_need_readwrite_and_this_origin(tokens, http, started):
    body = json.dumps({"description": "Resource groups"})
    for role, expected in (("crew", 200), ("admin", 200), ("vessel", 403), ("anonymous", 403)):
        response = await http(
            "plugins/resources-provider/_config/groups",
            method="POST",
            body=body,
            headers=auth(tokens, role),
        )
        assert response.code == expected, (role, response.body)
    stored = await started.adb.signalk_resource_types.find_one({"_id": "groups"})
    assert stored["description"] == "Resource groups" and stored["by"] == "crew1"
    foreign = await http(
        "plugins/resources-provider/_config/notes2",
        method="POST",
        body=body,
        headers={**auth(tokens, "crew"), "Origin": EVIL},
    )
    assert foreign.code == 403


async def application_data_round_trip_per_role(tokens, http, started):
    patch = [
        {"op": "add", "path": "/map", "value": {"zoom": 12}},
        {"op": "replace", "path": "/units", "value": "kn"},
    ]
    for role in ROLES:
        headers = auth(tokens, role)
        # nothing kept yet: the platform's defaults for Freeboard-SK (docs/webapps.md)
        defaults = appdata.default_for("user", "freeboard", "1.0.0")
        assert await getjson(http, f"{FREEBOARD}/", headers) == (200, defaults)
        whole = await http(
            f"{FREEBOARD}/", method="POST", body=json.dumps({"units": "m/s"}), headers=headers
        )
        if role in ("vessel", "viewer"):  # Signal K readonly: reads its own, writes nothing
            assert whole.code == 403, whole.body
            continue
        assert (whole.code, json.loads(whole.body)) == (200, "ApplicationData saved")
        patched = await http(FREEBOARD, method="POST", body=json.dumps(patch), headers=headers)
        assert patched.code == 200, patched.body
        path = await http(f"{FREEBOARD}/map/layers", method="PUT", body="[1, 2]", headers=headers)
        assert path.code == 200, path.body
        assert await getjson(http, FREEBOARD, headers) == (
            200,
            {"units": "kn", "map": {"zoom": 12, "layers": [1, 2]}},
        )
        assert await getjson(http, f"{FREEBOARD}/map.zoom", headers) == (200, 12)
        assert await getjson(http, f"{FREEBOARD}/map?keys=true", headers) == (
            200,
            ["zoom", "layers"],
        )
        assert (await getjson(http, f"{FREEBOARD}/map/none", headers))[0] == 404
        assert await getjson(http, "signalk/v1/applicationData/user/freeboard", headers) == (
            200,
            ["1.0.0"],
        )
    # per user: crew's settings are not scientist's
    stored = await started.adb.application_data.find_one({"_id": "user:crew1:freeboard:1.0.0"})
    assert json.loads(stored["json"]) == {"units": "kn", "map": {"zoom": 12, "layers": [1, 2]}}
    assert await started.adb.application_data.count_documents({"owner": "vessel1"}) == 0
    assert await started.adb.application_data.count_documents({"owner": "viewer1"}) == 0

    # global: everyone reads, admins alone write
    glob = "signalk/v1/applicationData/global/freeboard/1.0.0"
    for role in ("crew", "scientist", "vessel"):
        refused = await http(glob, method="POST", body="{}", headers=auth(tokens, role))
        assert refused.code == 403, role
    assert (
        await http(glob, method="POST", body='{"a": 1}', headers=auth(tokens, "admin"))
    ).code == 200
    assert await getjson(http, glob, auth(tokens, "vessel")) == (200, {"a": 1})

    # anonymous: nothing, either way
    assert (await http(FREEBOARD)).code in (401, 403)
    assert (await http(FREEBOARD, method="POST", body="{}")).code in (401, 403)


async def application_data_with_the_login_cookie_checks_the_origin(tokens, http, password):
    cookie = await page_login(http, "scientist1", password)
    headers = {"Cookie": cookie, "Content-Type": "application/json"}
    body = json.dumps({"night": True})
    # Freeboard-SK sends no XSRF token: its own origin is what proves the page is ours
    same = await http(
        FREEBOARD, method="POST", body=body, headers={**headers, "Origin": http.origin}
    )
    assert same.code == 200, same.body
    foreign = await http(FREEBOARD, method="POST", body="{}", headers={**headers, "Origin": EVIL})
    assert foreign.code == 403
    # no Origin and no XSRF token: not a page of this origin as far as anyone can tell
    bare = await http(FREEBOARD, method="POST", body="{}", headers=headers)
    assert bare.code == 403
    assert await getjson(http, FREEBOARD, {"Cookie": cookie}) == (200, {"night": True})
    # a token from a foreign page is refused as well (a script sends no Origin)
    scripted = await http(
        FREEBOARD, method="POST", body="{}", headers={**auth(tokens, "crew"), "Origin": EVIL}
    )
    assert scripted.code == 403


async def test_signalk_start_up_probes(tokens, http, password, started):
    """One server for the three (a server per test costs seconds)."""
    await login_status_per_role_and_anonymous(tokens, http, password)
    await start_up_probes_answer_as_signalk_server(tokens, http, password, started)
    await custom_resource_types_need_readwrite_and_this_origin(tokens, http, started)


async def test_application_data_per_role_by_cookie_and_origin(tokens, http, password, started):
    await application_data_round_trip_per_role(tokens, http, started)
    await application_data_with_the_login_cookie_checks_the_origin(tokens, http, password)


async def test_application_data_is_bounded(tokens, http, started, monkeypatch):
    monkeypatch.setattr(appdata, "MAX_DOCUMENTS", 5)
    headers = auth(tokens, "crew")
    big = json.dumps({"x": "a" * (600 * 1024)})
    assert (await http(FREEBOARD, method="POST", body=big, headers=headers)).code == 413
    deep = "[" * 40 + "]" * 40
    assert (await http(FREEBOARD, method="POST", body=deep, headers=headers)).code == 400
    deep_path = "/".join(["a"] * 30)
    nested = json.dumps({"b": {"c": {"d": {"e": 1}}}})
    response = await http(f"{FREEBOARD}/{deep_path}", method="POST", body=nested, headers=headers)
    assert response.code == 400 and "40231" in json.loads(response.body)["message"]
    assert (
        await http(f"{FREEBOARD}/", method="POST", body='{"keep": 1}', headers=headers)
    ).code == 200
    failing = [{"op": "add", "path": "/new", "value": 1}, {"op": "remove", "path": "/nothing"}]
    response = await http(FREEBOARD, method="POST", body=json.dumps(failing), headers=headers)
    assert response.code == 400 and "40232" in json.loads(response.body)["message"]
    assert await getjson(http, FREEBOARD, headers) == (200, {"keep": 1})  # all or nothing
    for bad in ("signalk/v1/applicationData/user/freeboard/x1.0", FREEBOARD + "/a/NaN"):
        response = await http(bad, method="POST", body="NaN", headers=headers)
        assert response.code in (400, 404), bad
    for n in range(4):  # the 5th document is the one above
        path = f"signalk/v1/applicationData/user/app{n}/1.0.0"
        assert (await http(path, method="POST", body="{}", headers=headers)).code == 200
    over = await http(
        "signalk/v1/applicationData/user/app5/1.0.0", method="POST", body="{}", headers=headers
    )
    assert over.code == 413 and "40231" in json.loads(over.body)["message"]
    assert await started.adb.application_data.count_documents({"owner": "crew1"}) == 5
