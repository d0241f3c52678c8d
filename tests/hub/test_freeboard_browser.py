"""Freeboard-SK and the instrument panel, served by the platform, in a real browser
(Debian's Chromium, headless), one after the other with one login.

Every request the app makes is recorded: none may fail except those another part of the
platform answers and has not yet (``OWNED_ELSEWHERE``, emptied as those parts land), and
none may leave this machine (requests to other hosts are stopped in the browser and listed).
The own vessel comes from the bundled sample voyage.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from urllib.parse import urlparse

import pytest
from isomer_data.ingest.decode import decode_file
from isomer_data.ingest.observation import Observation
from playwright.async_api import async_playwright

from isomer_data.samples import VOYAGE_NMEA

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

# (method, path pattern, owner): requests Freeboard-SK makes that the Signal K API service
# (branch skapi: v2 resources, course, notifications) or the charts service (branch charts:
# chart resources, tiles, the offline basemap) answer. Until they land these may fail; the
# lead empties this as they merge, and then nothing may fail.
OWNED_ELSEWHERE = (
    ("GET", r"/signalk/v2/api/resources", "skapi"),
    ("GET", r"/signalk/v2/api/resources/[a-z]+", "skapi"),
    ("GET", r"/signalk/v2/api/vessels/self/navigation/course(/.*)?", "skapi"),
    ("GET", r"/signalk/v2/api/notifications(/.*)?", "skapi"),
)
# Hosts of map tiles Freeboard-SK's default layers ask for (OpenStreetMap, OpenSeaMap):
# the charts service's offline basemap replaces them. Stopped in the browser, never sent.
TILE_HOSTS_OWNED_BY_CHARTS = frozenset(
    {"tile.openstreetmap.org", "tiles.openseamap.org", "t1.openseamap.org"}
)


@pytest.fixture
def jp_base_url() -> str:
    """Web apps call /signalk, /skServer, /plugins at the server's root, as Signal K
    server serves them: the platform is at / for them (as ``isomer launch`` runs it)."""
    return "/"


def sample_voyage(limit: int = 400) -> list[Observation]:
    """The first observations of the bundled voyage, stamped now (as the replay does)."""
    now = time.time()
    first = list(itertools.islice(decode_file(VOYAGE_NMEA), limit))
    t0 = first[0].time
    return [
        Observation(now - 5 + (o.time - t0) * 0.001, o.vessel, o.path, o.value, o.source)
        for o in first
    ]


def owned_elsewhere(method: str, path: str) -> str | None:
    for verb, pattern, owner in OWNED_ELSEWHERE:
        if verb == method and re.fullmatch(pattern, path):
            return owner
    return None


async def test_freeboard_and_the_instrument_panel_load_with_no_failed_request(
    started, tokens, password, http_server_client, jp_http_port, tmp_path
):
    started.live.publish(sample_voyage())
    base = f"http://localhost:{jp_http_port}/"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(viewport={"width": 1024, "height": 600})
        page = await context.new_page()
        requests: list[dict] = []
        stopped: set[str] = set()
        frames: list[str] = []

        async def keep_local(route):
            host = urlparse(route.request.url).hostname
            if host in LOCAL:
                await route.continue_()
            else:
                stopped.add(host)
                await route.abort()

        await context.route("**/*", keep_local)

        def on_response(response):
            url = urlparse(response.url)
            requests.append(
                {"method": response.request.method, "path": url.path, "status": response.status}
            )

        def on_failed(request):
            url = urlparse(request.url)
            if url.hostname in LOCAL:
                requests.append({"method": request.method, "path": url.path, "status": "failed"})

        context.on("response", on_response)
        context.on("requestfailed", on_failed)
        page.on(
            "websocket",
            lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))),
        )
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))

        # the app sends an anonymous browser to the platform's login page, and back
        await page.goto(base + "@signalk/freeboard-sk/")
        assert "/login" in page.url
        await page.fill("#username", "crew1")
        await page.fill("#password", password)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/@signalk/freeboard-sk/")

        # own ship: the app subscribed and the stream brought it the sample's position
        await page.wait_for_function("document.querySelector('canvas') !== null", timeout=30000)
        for _ in range(300):
            if any('"navigation.position"' in f and "vessels.urn" in f for f in frames):
                break
            await page.wait_for_timeout(100)
        # the start-up sequence ends with the radars and the resource lists
        last = {"/signalk/v2/api/vessels/self/radars", "/signalk/v2/api/resources/regions"}
        for _ in range(300):
            if last <= {r["path"] for r in requests}:
                break
            await page.wait_for_timeout(100)
        # own ship on the chart: Freeboard-SK centred on it reads the sample's position
        # (a click from script: the "Internet Map Service Unavailable" notice may cover it)
        await page.eval_on_selector("button[mattooltip='Center Vessel']", "b => b.click()")
        await page.wait_for_function(
            "() => { const c = JSON.parse(localStorage.freeboard_config || '{}').map?.center;"
            " return c && Math.abs(c[0] + 1.2995) < 0.01 && Math.abs(c[1] - 50.7997) < 0.01; }",
            timeout=30000,
        )
        await page.screenshot(path=str(tmp_path / "freeboard.png"))
        print("freeboard screenshot:", tmp_path / "freeboard.png")

        # the instrument panel, in the same browser (the same login)
        freeboard_requests = len(requests)
        panel = await context.new_page()
        panel_frames: list[str] = []
        panel.on(
            "websocket",
            lambda ws: ws.on("framereceived", lambda payload: panel_frames.append(str(payload))),
        )
        panel.on("pageerror", lambda error: problems.append(str(error)))
        await panel.goto(base + "@signalk/instrumentpanel/")
        await panel.click(".modal-header button.close")  # "What's new", on a first visit
        # its stream sends what changes: the voyage goes on while we wait
        voyage = iter(sample_voyage(2000)[400:])
        for _ in range(300):
            if any('"navigation.position"' in f for f in panel_frames):
                break
            started.live.publish(list(itertools.islice(voyage, 20)))
            await panel.wait_for_timeout(100)
        # its position widget shows the sample's fix
        await panel.wait_for_function("document.body.innerText.includes('N 50.79')", timeout=30000)
        await panel.screenshot(path=str(tmp_path / "instrumentpanel.png"))
        panel_requests = requests[freeboard_requests:]
        await browser.close()

    failed = [
        r
        for r in requests
        if (r["status"] == "failed" or r["status"] >= 400)
        and not owned_elsewhere(r["method"], r["path"])
    ]
    assert failed == [], json.dumps(failed, indent=1)
    paths = {(r["method"], r["path"]) for r in requests}
    for expected in (
        ("GET", "/signalk"),
        ("GET", "/skServer/loginStatus"),
        ("GET", "/signalk/v2/features"),
        ("GET", "/signalk/v1/unitpreferences/active"),
        ("GET", "/plugins/freeboard-sk"),
    ):
        assert expected in paths, expected
    assert any('"navigation.position"' in f for f in frames), "no own position reached the app"
    assert stopped <= TILE_HOSTS_OWNED_BY_CHARTS, stopped  # and none of them was sent
    assert problems == []
    assert any('"navigation.position"' in f for f in panel_frames), "the panel got no data"
    assert ("GET", "/@signalk/instrumentpanel/ui.js") in {
        (r["method"], r["path"]) for r in panel_requests
    }
    # the settings it keeps on the server are in MongoDB, as the crew member's own
    stored = await started.adb.application_data.find_one({"_id": "user:crew1:freeboard:1.0.0"})
    assert "map" in json.loads(stored["json"])
