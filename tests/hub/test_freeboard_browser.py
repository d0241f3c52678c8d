"""Freeboard-SK and the instrument panel, served by the platform, in a real browser
(Debian's Chromium, headless), one server, one browser and one login for the whole journey
a skipper makes: open Freeboard-SK offline and see land, own ship and AIS targets, mark a
waypoint, get the anchor alarm, open the instruments; then plan a route that a scientist
reads in a notebook.

Every request the apps make is recorded: none may fail, and none may go to another host
(requests to other hosts would be stopped in the browser and listed; the platform's
Content-Security-Policy refuses them before they are made, and the only one Freeboard-SK
tries is its "is there internet?" probe). The own vessel and the AIS targets come from the
bundled sample voyage.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import math
import time
from urllib.parse import urlparse

import pytest
from isomer_data.ingest.decode import decode_file
from isomer_data.ingest.observation import Observation
from PIL import Image
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright

from isomer_data.client import connect
from isomer_data.samples import VOYAGE_NMEA
from isomer_data.services.charts.manager import LAND

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL = {"localhost", "127.0.0.1"}
# Freeboard-SK 2.24.2 fetches this at every start to see whether there is internet; the
# platform's Content-Security-Policy for web apps refuses it in the browser, unsent.
INTERNET_PROBE = "https://tile.openstreetmap.org/"
AIS_TARGETS = ("ISOMER TRADER", "235009876", "235001234")  # names and MMSIs of the sample's
INLAND_ENGLAND = (53.0, -1.5)
# Freeboard-SK 2.24.2 saves its settings as soon as /skServer/loginStatus says "logged in";
# when that answer comes before the discovery's (/signalk), it does not know the server's
# address yet and posts them relative to its page. Signal K server answers that with 404
# too; the next save, a moment later, goes to applicationData. Sometimes, never anything else.
FREEBOARD_RACE = ("POST", "/@signalk/freeboard-sk/user/freeboard/1.0.0/", 403)
# the one request the test makes from the page that must fail: crew writing global settings
FORBIDDEN_ON_PURPOSE = (
    "POST",
    "/signalk/v1/applicationData/global/freeboard/1.0.0/",
)  # latitude, longitude: Derbyshire, land at any scale


@pytest.fixture
def jp_base_url() -> str:
    """Web apps call /signalk, /skServer, /plugins at the server's root, as Signal K
    server serves them: the platform is at / for them (as ``isomer launch`` runs it)."""
    return "/"


@pytest.fixture
def jp_server_config(jp_server_config, mongo_db):
    # the anchor watch on, with a short delay, as `isomer module enable` and `config` leave it
    mongo_db.modules.insert_one(
        {
            "_id": "anchor-watch",
            "enabled": True,
            "config": {"default_radius": 30, "alarm_delay": 5},
            "revision": 1,
        }
    )
    return jp_server_config


def sample_voyage(limit: int = 400) -> list[Observation]:
    """The first observations of the bundled voyage, stamped now (as the replay does)."""
    now = time.time()
    first = list(itertools.islice(decode_file(VOYAGE_NMEA), limit))
    t0 = first[0].time
    return [
        Observation(now - 5 + (o.time - t0) * 0.001, o.vessel, o.path, o.value, o.source)
        for o in first
    ]


def mercator(lat: float, lon: float) -> tuple[float, float]:
    r = 6378137.0
    return r * math.radians(lon), r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def pixel_of(lat: float, lon: float, center: list, zoom: float, box: dict) -> tuple[int, int]:
    """Where a place is on a north-up web-mercator map of that centre and zoom."""
    resolution = 2 * math.pi * 6378137.0 / 256 / 2**zoom  # metres per CSS pixel
    x, y = mercator(lat, lon)
    cx, cy = mercator(center[1], center[0])
    return (
        round(box["x"] + box["width"] / 2 + (x - cx) / resolution),
        round(box["y"] + box["height"] / 2 - (y - cy) / resolution),
    )


async def wait_for(predicate, what: str, publish=None, tries: int = 1200):
    for _ in range(tries):
        if predicate():
            return
        if publish is not None:
            publish()
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_skipper_uses_freeboard_and_the_instruments_offline(
    started, tokens, password, http_server_client, jp_http_port, hub_connect, skv2, tmp_path
):
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    fetch, sk_stream = skv2
    voyage = sample_voyage(3000)
    started.live.publish(voyage[:400])
    rest = iter(voyage[400:])

    def more_voyage():
        started.live.publish(list(itertools.islice(rest, 20)))

    base = f"http://localhost:{jp_http_port}/"
    # a second client, as a scientist's notebook or script would be: the hub and Signal K
    science = await hub_connect(tokens["scientist"])
    reply = await science.call("objects", "subscribe", {"schema": "waypoint"})
    assert "error" not in reply, reply
    stream = await sk_stream(tokens["scientist"])

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(viewport={"width": 1024, "height": 600})
        # Freeboard-SK is 12 MB of script: on a busy 2-core machine (the suite's other
        # workers) its first load alone can take tens of seconds
        context.set_default_timeout(120000)
        page = await context.new_page()
        requests: list[dict] = []
        stopped: set[str] = set()
        refused: set[str] = set()  # refused by the Content-Security-Policy, never sent
        frames: list[str] = []

        async def keep_local(route):
            host = urlparse(route.request.url).hostname
            if host in LOCAL:
                await route.continue_()
            else:
                stopped.add(route.request.url)
                await route.abort()

        await context.route("**/*", keep_local)

        def on_response(response):
            url = urlparse(response.url)
            requests.append(
                {
                    "method": response.request.method,
                    "path": url.path,
                    "query": url.query,
                    "status": response.status,
                    "body": response.request.post_data,
                }
            )

        def on_failed(request):
            url = urlparse(request.url)
            if url.hostname in LOCAL:
                requests.append({"method": request.method, "path": url.path, "status": "failed"})
            elif request.failure == "csp":
                refused.add(request.url)
            else:
                stopped.add(request.url)

        def on_console(message):
            # the app's own fetch() refused: "Fetch API cannot load URL. Refused to connect…"
            if message.type == "error" and "Refused to connect" in message.text:
                refused.add(message.text.split("cannot load ", 1)[1].split(". Refused")[0])

        context.on("response", on_response)
        context.on("requestfailed", on_failed)
        page.on("console", on_console)
        page.on(
            "websocket",
            lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))),
        )
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))

        # the app sends an anonymous browser to the platform's login page, and back
        await page.goto(base + "@signalk/freeboard-sk/", timeout=120000)
        assert "/login" in page.url
        await page.fill("#username", "crew1")
        await page.fill("#password", password)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/@signalk/freeboard-sk/", wait_until="commit", timeout=120000)
        timings["login"] = time.monotonic() - t0

        # the start-up sequence ends with the resource lists and the charts; the world
        # basemap is the chart it draws, untouched by the user: its tiles come in
        await page.wait_for_function(
            "() => document.querySelector('canvas') !== null", timeout=120000
        )

        def started_up():
            paths = {r["path"] for r in requests}
            return {
                "/signalk/v2/api/vessels/self/radars",
                "/signalk/v2/api/resources/regions",
                "/signalk/v2/api/resources/charts",
            } <= paths and any(p.startswith("/signalk/chart-tiles/world-basemap/") for p in paths)

        await wait_for(started_up, "the start-up requests and the basemap's tiles")
        await wait_for(
            lambda: any('"navigation.position"' in f and "vessels.urn" in f for f in frames),
            "the own position on the stream",
            more_voyage,
        )
        timings["started"] = time.monotonic() - t0

        # own ship on the chart: centred on it, zoomed in to where England is large
        # (a click from script: a notice may cover the buttons)
        # (the app centres only once it has taken the position in, and saves its map state
        # a moment later: ask again until it has, for at most 90 s)
        own = started.live.get("self", "navigation.position")[1]  # where the replay has got to
        assert abs(own["latitude"] - 50.7997) < 0.05 and abs(own["longitude"] + 1.2995) < 0.05
        centred = (
            "() => { const c = JSON.parse(localStorage.freeboard_config || '{}').map?.center;"
            f" return c && Math.abs(c[0] - ({own['longitude']})) < 0.01"
            f" && Math.abs(c[1] - ({own['latitude']})) < 0.01; }}"
        )
        for attempt in range(45):
            await page.eval_on_selector("button[mattooltip='Center Vessel']", "b => b.click()")
            try:
                await page.wait_for_function(centred, timeout=2000)
                break
            except PlaywrightTimeout:
                if attempt == 44:
                    raise
        for _ in range(4):
            await page.eval_on_selector("button[mattooltip='Zoom in']", "b => b.click()")
        await page.wait_for_function(
            "() => JSON.parse(localStorage.freeboard_config).map.zoomLevel >= 6", timeout=60000
        )
        # (its vector tiles are 512 px: zoom 5 tiles make the zoom 6 view)
        await wait_for(
            lambda: any("/chart-tiles/world-basemap/5/" in r["path"] for r in requests),
            "the basemap's tiles for zoom 6",
        )
        await page.wait_for_timeout(1000)  # drawn (OpenLayers renders on the next frames)
        settings = json.loads(await page.evaluate("localStorage.freeboard_config"))
        box = await page.eval_on_selector(".ol-viewport", "e => e.getBoundingClientRect().toJSON()")
        shot = await page.screenshot(path=str(tmp_path / "freeboard.png"))
        print("freeboard screenshot:", tmp_path / "freeboard.png")
        x, y = pixel_of(
            *INLAND_ENGLAND, settings["map"]["center"], settings["map"]["zoomLevel"], box
        )
        land = tuple(int(LAND[i : i + 2], 16) for i in (1, 3, 5))
        seen = Image.open(io.BytesIO(shot)).convert("RGB").getpixel((x, y))
        assert all(abs(a - b) <= 12 for a, b in zip(seen, land, strict=True)), (x, y, seen)
        assert settings["selections"]["charts"] == ["world-basemap"]  # as the platform seeded it
        timings["land"] = time.monotonic() - t0

        # AIS targets from the sample: Freeboard-SK's vessel list names them
        await page.eval_on_selector("button[mattooltip='Menu']", "b => b.click()")
        await page.click("a:has(span:text-is('Vessels'))")
        # (the stream sends what changes: the voyage goes on, its targets report again)
        shown = ""
        for _ in range(1200):
            shown = await page.inner_text("body")
            if any(target in shown for target in AIS_TARGETS):
                break
            more_voyage()
            await asyncio.sleep(0.1)
        assert any(target in shown for target in AIS_TARGETS), shown[-800:]
        await page.click("button:has(mat-icon:text-is('arrow_back'))")  # the list closes
        timings["ais"] = time.monotonic() - t0

        # a waypoint marked in Freeboard-SK at the boat's position
        await page.eval_on_selector("button[mattooltip='Mark Vessel Position']", "b => b.click()")
        name = page.locator("mat-dialog-container input").first
        await name.fill("Needles")
        await page.click("mat-dialog-container button:has-text('SAVE')")
        await wait_for(
            lambda: any(
                r["method"] == "POST" and r["path"] == "/signalk/v2/api/resources/waypoints"
                for r in requests
            ),
            "the waypoint's POST",
        )
        # … is an object in MongoDB, owned by the crew member, where everything sees it
        stored = None
        for _ in range(50):
            stored = await started.adb.waypoints.find_one({"name": "Needles"})
            if stored:
                break
            await asyncio.sleep(0.1)
        crew1 = await started.adb.users.find_one({"username": "crew1"})
        assert stored is not None and stored["owner"] == crew1["_id"], stored
        assert stored["uuid"] and stored["latitude"] == pytest.approx(50.8, abs=0.01)
        # … and reaches the second clients: the hub's object push, the Signal K delta
        pushed = await science.push("objectcreation", timeout=60)
        assert pushed["data"]["object"]["name"] == "Needles", pushed
        delta = None
        while delta is None:
            message = json.loads(await asyncio.wait_for(stream.read_message(), 10))
            for update in message.get("updates", []):
                for value in update.get("values", []):
                    if value["path"].startswith("resources.waypoints."):
                        delta = value
        assert delta["value"]["name"] == "Needles", delta
        timings["waypoint"] = time.monotonic() - t0

        # the anchor drags: the anchor watch raises notifications.navigation.anchor and
        # Freeboard-SK shows it, in its banner and in its alarm list
        crew = await hub_connect(tokens["crew"])
        reply = await crew.call("anchor", "set", {"latitude": 50.70, "longitude": -1.50})
        assert "error" not in reply, reply
        now = time.time()
        started.live.publish(
            [
                Observation(now + k * 10, "self", "navigation.position", fix, "test.GP")
                for k, fix in enumerate([{"latitude": 50.7997, "longitude": -1.2995}] * 2)
            ]
        )
        await page.wait_for_function(
            "() => document.body.innerText.includes('Anchor dragging')", timeout=120000
        )
        await page.eval_on_selector("button[mattooltip='Alarms']", "b => b.click()")
        alarm_list = page.locator("text=Alert List")
        await alarm_list.wait_for(timeout=60000)
        panel = alarm_list.locator("xpath=ancestor::*[contains(., 'Anchor dragging')][1]")
        assert "Anchor dragging" in await panel.inner_text()
        await page.keyboard.press("Escape")
        timings["anchor alarm"] = time.monotonic() - t0

        # what the crew may not do through the Signal K APIs, with this very login
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in await context.cookies())
        waypoint = {
            "name": "Forbidden",
            "feature": {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 50]}},
        }
        path = "signalk/v2/api/resources/waypoints"
        refusals = {
            "another site, the crew's cookie": await fetch(
                path, "POST", waypoint, headers={"Cookie": cookie, "Origin": "https://evil.test"}
            ),
            "the cookie with no Origin and no XSRF token": await fetch(
                path, "POST", waypoint, headers={"Cookie": cookie}
            ),
            "a vessel": await fetch(path, "POST", waypoint, token=tokens["vessel"]),
            "anonymous": await fetch(path, "POST", waypoint),
        }
        assert {k: v[0] for k, v in refusals.items()} == {
            "another site, the crew's cookie": 403,  # the platform's one rule (auth/origin.py)
            "the cookie with no Origin and no XSRF token": 403,
            "a vessel": 403,
            "anonymous": 403,
        }, refusals
        # crew settings are their own: the global ones are the admins'
        status = await page.evaluate(
            "url => fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},"
            " body: '{}'}).then(r => r.status)",
            FORBIDDEN_ON_PURPOSE[1],
        )
        assert status == 403
        assert await started.adb.waypoints.count_documents({"name": "Forbidden"}) == 0

        # a route planned with the same REST call Freeboard-SK makes, from its page
        route = {
            "name": "Solent crossing",
            "description": "Cowes to Portsmouth",
            "feature": {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[-1.2995, 50.7997], [-1.2, 50.78], [-1.1, 50.79]],
                },
                "properties": {},
            },
        }
        created = await page.evaluate(
            "route => fetch('/signalk/v2/api/resources/routes', {method: 'POST', headers:"
            " {'Content-Type': 'application/json'}, body: JSON.stringify(route)})"
            ".then(async r => [r.status, await r.json()])",
            route,
        )
        assert created[0] in (200, 201), created
        timings["rbac and route"] = time.monotonic() - t0

        # the instrument panel, in the same browser (the same login)
        freeboard_requests = len(requests)
        panel_page = await context.new_page()
        panel_frames: list[str] = []
        panel_page.on(
            "websocket",
            lambda ws: ws.on("framereceived", lambda payload: panel_frames.append(str(payload))),
        )
        panel_page.on("pageerror", lambda error: problems.append(str(error)))
        await panel_page.goto(base + "@signalk/instrumentpanel/", timeout=120000)
        await panel_page.click(".modal-header button.close")  # "What's new", on a first visit
        # On a first visit the panel makes a widget when a path first appears (here the
        # current value the stream sends on connect) and shows the values that follow, as
        # with Signal K server: the voyage goes on while we wait.
        for _ in range(1200):
            if await panel_page.evaluate("document.body.innerText.includes('N 50.79')"):
                break
            more_voyage()
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the panel never showed the position")
        await panel_page.screenshot(path=str(tmp_path / "instrumentpanel.png"))
        # Opened again (its layout kept), it fills its gauges from the current values the
        # stream sends on connect, with nothing published meanwhile.
        shown = await panel_page.evaluate("document.body.innerText")
        frames_before = len(panel_frames)
        await panel_page.reload()
        await panel_page.wait_for_function(
            "() => document.body.innerText.includes('N 50.79')", timeout=120000
        )
        assert "N 50.79" in shown
        assert any('"navigation.position"' in f for f in panel_frames[frames_before:])
        panel_requests = requests[freeboard_requests:]
        await browser.close()
    timings["instruments"] = time.monotonic() - t0

    # the scientist reads the planned route in a notebook, as an object with its line
    notebook = connect(base, token=tokens["scientist"])
    routes = await asyncio.to_thread(notebook.objects, "route")
    timings["notebook"] = time.monotonic() - t0
    print("timings (s since start):", {k: round(v, 1) for k, v in timings.items()})
    row = routes[routes["name"] == "Solent crossing"].iloc[0]
    assert row.geometry.geom_type == "LineString"
    assert list(row.geometry.coords)[0] == pytest.approx((-1.2995, 50.7997))

    # every request the apps made was answered correctly; none left this machine
    failed = [
        r
        for r in requests
        if (r["status"] == "failed" or r["status"] >= 400)
        and (r["method"], r["path"]) != FORBIDDEN_ON_PURPOSE
        and (r["method"], r["path"], r["status"]) != FREEBOARD_RACE
    ]
    assert failed == [], json.dumps(failed, indent=1)
    assert stopped == set(), stopped  # no request to another host reached the network
    assert refused == {INTERNET_PROBE}, refused  # the only one tried, refused unsent
    paths = {(r["method"], r["path"]) for r in requests}
    for expected in (
        ("GET", "/signalk"),
        ("GET", "/skServer/loginStatus"),
        ("GET", "/signalk/v2/features"),
        ("GET", "/signalk/v1/unitpreferences/active"),
        ("GET", "/plugins/freeboard-sk"),
        ("GET", "/signalk/v2/api/resources/charts"),
        ("POST", "/signalk/v2/api/resources/waypoints"),
    ):
        assert expected in paths, expected
    assert problems == []
    assert any('"navigation.position"' in f for f in panel_frames), "the panel got no data"
    assert ("GET", "/@signalk/instrumentpanel/ui.js") in {
        (r["method"], r["path"]) for r in panel_requests
    }
    # the settings it keeps on the server are in MongoDB, as the crew member's own
    stored = await started.adb.application_data.find_one({"_id": "user:crew1:freeboard:1.0.0"})
    assert json.loads(stored["json"])["selections"]["charts"] == ["world-basemap"]
