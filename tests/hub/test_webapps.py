"""Signal K web apps as modules: served at /<package>/ to people, in the panel manifest with
their name and icon, off when disabled; a package without the keyword is never served."""

from __future__ import annotations

import json

import tornado.httpclient

from isomer_data.core import webapps

FREEBOARD = "signalk-freeboard-sk"


async def test_webapps_are_modules_served_to_people(
    started, tokens, http_server_client, jp_http_port, jp_base_url
):
    client = tornado.httpclient.AsyncHTTPClient()

    async def get(path, role=None):
        # as a browser sends it: "@" unescaped (jp_fetch would send %40)
        headers = {"Authorization": f"token {tokens[role]}"} if role else {}
        url = f"http://localhost:{jp_http_port}{jp_base_url}{path}"
        return await client.fetch(url, headers=headers, follow_redirects=False, raise_error=False)

    page = await get("@signalk/freeboard-sk/", "crew")
    assert page.code == 200 and b"<title>Freeboard</title>" in page.body
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    await pages_seeded_with_settings_and_confined_to_this_origin(started, tokens, get, base)
    icon = await get("@signalk/freeboard-sk/assets/icons/icon-192x192.png", "scientist")
    assert icon.code == 200 and icon.headers["Content-Type"] == "image/png"
    assert (await get("@signalk/instrumentpanel/", "admin")).code == 200
    slash = await get("@signalk/freeboard-sk", "crew")
    assert slash.code == 302 and slash.headers["Location"].endswith("/@signalk/freeboard-sk/")
    assert (await get("@signalk/freeboard-sk/", "vessel")).code == 403  # apps are for people
    anonymous = await get("@signalk/freeboard-sk/")
    assert anonymous.code == 302 and "/login" in anonymous.headers["Location"]
    # nothing outside the app's public folder (its package.json is one level up)
    assert (await get("@signalk/freeboard-sk/%2E%2E/package.json", "crew")).code in (403, 404)

    manifest = json.loads((await get("isomer/api/modules/panels", "crew")).body)["panels"]
    apps = {p["id"]: p for p in manifest if p.get("kind") == "webapp"}
    assert apps[FREEBOARD]["title"] == "Freeboard-SK"
    assert apps[FREEBOARD]["url"] == f"{jp_base_url}@signalk/freeboard-sk/"
    assert apps[FREEBOARD]["icon_url"].endswith(
        "/@signalk/freeboard-sk/assets/icons/icon-192x192.png"
    )
    assert "signalk-instrumentpanel" in apps
    vessel = json.loads((await get("isomer/api/modules/panels", "vessel")).body)["panels"]
    assert [p for p in vessel if p.get("kind") == "webapp"] == []

    # a module like any other: listed, and off when an admin disables it
    listed = {m["name"]: m for m in started.modules.describe()}
    assert listed[FREEBOARD]["state"] == "running" and listed[FREEBOARD]["version"] == "2.24.2"
    await started.modules.set_enabled(FREEBOARD, False)
    assert (await get("@signalk/freeboard-sk/", "crew")).code == 404
    listing = json.loads((await get("skServer/webapps", "crew")).body)
    assert "@signalk/freeboard-sk" not in {app["name"] for app in listing}
    manifest = json.loads((await get("isomer/api/modules/panels", "crew")).body)["panels"]
    assert FREEBOARD not in {p["id"] for p in manifest}
    await started.modules.set_enabled(FREEBOARD, True)
    assert (await get("@signalk/freeboard-sk/", "crew")).code == 200


def test_only_declared_packages_with_the_keyword_are_webapps(tmp_path):
    root = tmp_path / "npm"
    for name, keywords in (
        ("chart", ["signalk-webapp"]),
        ("lib", ["signalk"]),
        ("dep", ["signalk-webapp"]),
    ):
        folder = root / "node_modules" / name
        (folder / "public").mkdir(parents=True)
        (folder / "package.json").write_text(
            json.dumps({"name": name, "version": "1.0.0", "keywords": keywords})
        )
    # "dep" is in node_modules only as something else's dependency: not an app of this folder
    (root / "package.json").write_text(json.dumps({"dependencies": {"chart": "1", "lib": "1"}}))
    found, problems = webapps.find([root])
    assert [app.package for app in found] == ["chart"]
    assert "neither of the keywords" in problems["lib"]
    assert webapps.module_name("@signalk/freeboard-sk") == "signalk-freeboard-sk"
    assert webapps.module_name("@1/2") == "app-1-2"


def seeded_settings(body: bytes) -> dict | None:
    """The settings the page stores in localStorage before Freeboard-SK starts."""
    text = body.decode()
    if 'localStorage.setItem("freeboard_config",' not in text:
        return None
    literal = text.split('localStorage.setItem("freeboard_config",', 1)[1].split(")}", 1)[0]
    return json.loads(json.loads(literal))


async def pages_seeded_with_settings_and_confined_to_this_origin(started, tokens, get, url):
    client = tornado.httpclient.AsyncHTTPClient()
    # nothing leaves the boat: the apps' pages and scripts may reach this server only
    page = await get("@signalk/freeboard-sk/", "crew")
    policy = page.headers["Content-Security-Policy"]
    for directive in ("default-src 'self' data: blob:", "connect-src 'self' data: blob:"):
        assert directive in policy, policy
    script = await get("@signalk/freeboard-sk/polyfills-RV3JTMEC.js", "crew")
    assert "connect-src 'self'" in script.headers["Content-Security-Policy"]  # workers too
    # a user with no settings of their own starts with the platform's: the offline basemap
    # ticked, not the internet maps, in the page (before the app runs) and in applicationData
    assert page.headers["Cache-Control"] == "no-store"
    seeded = seeded_settings(page.body)
    assert seeded["selections"]["charts"] == ["world-basemap"], seeded["selections"]
    app_data = url + "signalk/v1/applicationData/user/freeboard/1.0.0"
    token = {"Authorization": f"token {tokens['scientist']}"}
    read = json.loads((await client.fetch(app_data, headers=token)).body)
    assert read["selections"]["charts"] == ["world-basemap"]
    versions = await client.fetch(url + "signalk/v1/applicationData/user/freeboard", headers=token)
    assert json.loads(versions.body) == ["1.0.0"]
    global_data = url + "signalk/v1/applicationData/global/freeboard/1.0.0"
    assert json.loads((await client.fetch(global_data, headers=token)).body) == {}
    assert await started.adb.application_data.count_documents({}) == 0  # read, not stored
    # once the user has settings, the page carries theirs; a value cannot end the script
    mine = {**read, "note": "</script><script>alert(1)</script>"}
    mine["selections"] = {**read["selections"], "charts": ["openstreetmap"]}
    saved = await client.fetch(app_data, method="POST", body=json.dumps(mine), headers=token)
    assert saved.code == 200
    page = await get("@signalk/freeboard-sk/", "scientist")
    assert b"\\u003c/script>\\u003cscript>alert(1)" in page.body  # escaped inside the string
    assert b"<script>alert(1)" not in page.body
    assert seeded_settings(page.body) == mine
    # a JSON Patch of a user with nothing stored applies to the platform's defaults
    patch = [{"op": "replace", "path": "/map/zoomLevel", "value": 9}]
    crew = {"Authorization": f"token {tokens['crew']}"}
    patched = await client.fetch(app_data, method="POST", body=json.dumps(patch), headers=crew)
    assert patched.code == 200
    stored = json.loads((await client.fetch(app_data, headers=crew)).body)
    assert stored["map"]["zoomLevel"] == 9 and stored["selections"]["charts"] == ["world-basemap"]
    # other apps' pages are served as they are
    panel = await get("@signalk/instrumentpanel/", "crew")
    assert (
        b"localStorage" not in panel.body
        and "connect-src 'self'" in panel.headers["Content-Security-Policy"]
    )
