"""The crew panels in a real browser (Debian's Chromium, headless), against the platform."""

from __future__ import annotations

import time
from urllib.parse import urlparse

from isomer_data.ingest.observation import Observation
from playwright.async_api import async_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",  # WebGL in software, for the map
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def publish(platform, **values):
    now = time.time()
    platform.live.publish([Observation(now, "self", p, v, "test") for p, v in values.items()])


async def _login(page, base, username, password):
    await page.goto(base + "isomer/")
    assert "/login" in page.url  # not logged in yet: the panels send you to the login page
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/isomer/")
    await page.wait_for_function("document.getElementById('connection').textContent === 'online'")


async def test_crew_logs_in_and_uses_the_panels(
    started, tokens, password, http_server_client, jp_http_port, jp_base_url, tmp_path
):
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page()
        hosts = set()
        page.on(
            "request",
            lambda request: (
                urlparse(request.url).scheme in ("blob", "data")
                or hosts.add(urlparse(request.url).hostname)
            ),
        )
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))

        await _login(page, base, "crew1", password)

        publish(
            started,
            **{
                "navigation.speedOverGround": 5.0,
                "environment.depth.belowTransducer": 12.34,
                "environment.wind.angleApparent": -0.5,
                "environment.wind.speedApparent": 7.0,
                "environment.water.temperature": 288.15,
                "navigation.position": {"latitude": 50.79, "longitude": -1.29},
            },
        )
        await page.wait_for_function("document.getElementById('sog').textContent === '9.7'")
        assert await page.text_content("#depth") == "12.3"
        assert await page.text_content("#awa") == "29° P"
        assert await page.text_content("#aws") == "13.6 kn"
        assert await page.text_content("#temperature") == "15.0"
        assert "50° 47.400′ N" in await page.text_content("#position")

        # logbook: a bad entry is explained, a good one stored and listed
        await page.click("nav button[data-panel=logbook]")
        await page.click("#entry button[type=submit]")
        await page.wait_for_function(
            "document.getElementById('entry-errors').textContent.includes('text')"
        )
        await page.fill("#entry textarea", "Anchored off Cowes")
        await page.click("#entry button[type=submit]")
        await page.wait_for_selector("#entries li:has-text('Anchored off Cowes')")
        stored = await started.adb.logbook.find_one({"text": "Anchored off Cowes"})
        assert stored["author"] == "crew1"
        assert stored["position"] == {"latitude": 50.79, "longitude": -1.29}

        # map: MapLibre from the platform's own assets, own ship and track drawn
        await page.click("nav button[data-panel=map]")
        await page.wait_for_function("window.isomerPanels.mapReady === true", timeout=30000)
        publish(started, **{"navigation.position": {"latitude": 50.80, "longitude": -1.28}})
        await page.wait_for_function("window.isomerPanels.track.length >= 2")
        # until MapLibre has rendered the new data (it draws on its next frames)
        await page.wait_for_function(
            "window.isomerPanels.map.queryRenderedFeatures({layers: ['self', 'track']}).length"
            " >= 1",
            timeout=30000,
        )
        await page.screenshot(path=str(tmp_path / "map.png"))
        print("map screenshot:", tmp_path / "map.png")

        assert await page.is_hidden("#users-tab")  # user management is for admins only
        # the Signal K web apps are tabs that open them (docs/webapps.md)
        link = page.locator("#signalk-freeboard-sk-tab")
        assert await link.get_attribute("href") == f"{jp_base_url}@signalk/freeboard-sk/"
        assert await link.text_content() == "Freeboard-SK"
        assert await page.is_visible("#signalk-instrumentpanel-tab")
        assert problems == []
        assert hosts <= {"localhost", "127.0.0.1"}, hosts  # nothing from the internet
        await browser.close()


async def test_admin_manages_users_in_the_panel(
    started, tokens, password, http_server_client, jp_http_port, jp_base_url
):
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page()
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        await _login(page, base, "admin1", password)
        await page.click("#users-tab")
        await page.wait_for_selector("#user-list td:text-is('crew1')")
        await page.fill("#new-user input[name=username]", "marie")
        await page.fill("#new-user input[name=password]", "short")
        await page.click("#new-user button[type=submit]")
        await page.wait_for_function(
            "document.getElementById('user-errors').textContent.includes('password')"
        )
        await page.fill("#new-user input[name=password]", "long enough 1")
        await page.check("#new-user input[value=scientist]")
        await page.click("#new-user button[type=submit]")
        # the push from the object manager refreshes the list
        await page.wait_for_selector("#user-list td:text-is('marie')")
        assert (await started.users.verify("marie", "long enough 1"))["roles"] == [
            "crew",
            "scientist",
        ]
        # a cockpit display asks for access; the admin sees it at once and approves it
        asked = await page.evaluate(
            """async () => (await fetch('signalk/v1/access/requests'.replace(/^/, document.body.dataset.baseUrl), {
                method: 'POST', headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({clientId: 'cockpit-display-01', description: 'Cockpit display'})
            })).status"""
        )
        assert asked == 202
        await page.click(
            "#access-requests li:has-text('Cockpit display') button:text-is('approve')"
        )
        # each approval is a new device user of its own: device-<clientId>-<random>
        await page.wait_for_selector(
            "#user-list td:text-matches('^device-cockpit-display-01-[0-9a-f]{8}$')"
        )
        page.on("dialog", lambda dialog: dialog.accept())
        await page.click("#user-list tr:has(td:text-is('marie')) button")
        await page.wait_for_selector("#user-list td:text-is('marie')", state="detached")
        assert await started.users.get("marie") is None
        assert problems == []
        await browser.close()


def publish_at(platform, when, context="self", **values):
    platform.live.publish([Observation(when, context, p, v, "test") for p, v in values.items()])


async def test_cockpit_tablet_night_mode_wind_dial_stale_fix_alarms_ais_and_logbook(
    started, tokens, password, http_server_client, jp_http_port, jp_base_url
):
    """What a skipper needs on a 1024×600 tablet and a phone (issue 12, item 4)."""
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(viewport={"width": 1024, "height": 600})
        page = await context.new_page()
        problems, hosts = [], set()
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "request",
            lambda request: (
                urlparse(request.url).scheme in ("blob", "data")
                or hosts.add(urlparse(request.url).hostname)
            ),
        )
        await _login(page, base, "crew1", password)

        # a fix 30 s old is marked stale; a fresh one is not
        now = time.time()
        publish_at(
            started, now - 30, **{"navigation.position": {"latitude": 50.5, "longitude": -1.5}}
        )
        await page.wait_for_function("document.getElementById('fix').classList.contains('stale')")
        assert "STALE" in await page.text_content("#fix")
        assert "ago" in await page.text_content("#fix")
        publish_at(
            started, time.time(), **{"navigation.position": {"latitude": 50.51, "longitude": -1.5}}
        )
        await page.wait_for_function("!document.getElementById('fix').classList.contains('stale')")
        assert "STALE" not in await page.text_content("#fix")

        # the wind dial: apparent 45° to port, true from heading and true direction (90° S)
        publish(
            started,
            **{
                "environment.wind.angleApparent": -0.7853981634,
                "environment.wind.speedApparent": 10.0,
                "navigation.headingTrue": 0.5,
                "environment.wind.directionTrue": 0.5 + 1.5707963268,
                "environment.wind.speedTrue": 8.0,
                "navigation.speedOverGround": 3.0,
                "navigation.courseOverGroundTrue": 0.5,
            },
        )
        await page.wait_for_function("document.getElementById('twa').textContent === '90° S'")
        assert await page.text_content("#awa") == "45° P"
        assert await page.text_content("#tws") == "15.6 kn"
        assert await page.get_attribute("#needle-apparent", "data-degrees") == "-45.0"
        assert await page.get_attribute("#needle-true", "data-degrees") == "90.0"

        # 1024×600: nothing wider than the screen
        assert await page.evaluate("document.documentElement.scrollWidth") <= 1024

        # night mode: one tap, red on black, remembered on this device across reloads
        await page.click("#night")
        assert await page.evaluate("document.documentElement.classList.contains('night')")
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(0, 0, 0)"
        await page.reload()
        await page.wait_for_function(
            "document.getElementById('connection').textContent === 'online'"
        )
        assert await page.evaluate("document.documentElement.classList.contains('night')")
        assert await page.get_attribute("#night", "aria-pressed") == "true"
        await page.click("#night")
        assert not await page.evaluate("document.documentElement.classList.contains('night')")

        # the alarm banner follows notifications: raised, then back to normal
        alarm = {"state": "alarm", "method": ["visual"], "message": "Anchor dragging"}
        publish(started, **{"notifications.navigation.anchor": alarm})
        await page.wait_for_selector("#alarms .notification.alarm:has-text('Anchor dragging')")
        assert not await page.is_hidden("#alarms")
        publish(started, **{"notifications.navigation.anchor": {**alarm, "state": "normal"}})
        await page.wait_for_selector("#alarms", state="hidden")

        # the map: zoom buttons, a nautical scale, AIS targets named with course vectors,
        # course-up turns the chart to the course over ground
        await page.click("nav button[data-panel=map]")
        await page.wait_for_function("window.isomerPanels.mapReady === true", timeout=30000)
        assert await page.is_visible(".maplibregl-ctrl-zoom-in")
        assert await page.is_visible(".maplibregl-ctrl-scale")
        target = "vessels.urn:mrn:imo:mmsi:235000001"
        publish_at(
            started,
            time.time(),
            context=target.removeprefix("vessels."),
            **{
                "navigation.position": {"latitude": 50.515, "longitude": -1.49},
                "navigation.courseOverGroundTrue": 3.0,
                "navigation.speedOverGround": 4.0,
                "name": "SEA TROUT",
            },
        )
        await page.wait_for_selector(".ais-label:text-is('SEA TROUT')")
        await page.wait_for_function(
            "(window.isomerPanels.mapVectors ?? []).includes('self')"
            " && window.isomerPanels.mapVectors.length >= 2"
        )
        await page.click("#orientation")
        await page.wait_for_function(
            "Math.abs(window.isomerPanels.map.getBearing() - 0.5 * 180 / Math.PI) < 0.5"
        )
        await page.click("#orientation")
        await page.wait_for_function("window.isomerPanels.map.getBearing() === 0")

        # the logbook entry records position, speed and wind, stamped by the server
        await page.click("nav button[data-panel=logbook]")
        await page.fill("#entry textarea", "Tacked off the Needles")
        await page.click("#entry button[type=submit]")
        await page.wait_for_selector("#entries li:has-text('Tacked off the Needles') .conditions")
        shown = await page.text_content(
            "#entries li:has-text('Tacked off the Needles') .conditions"
        )
        assert "SOG 5.8 kn" in shown and "wind 15.6 kn true" in shown, shown
        stored = await started.adb.logbook.find_one({"text": "Tacked off the Needles"})
        assert stored["conditions"]["speedOverGround"] == 3.0
        assert stored["conditions"]["windSpeedTrue"] == 8.0
        assert stored["position"] == {"latitude": 50.51, "longitude": -1.5}

        # a phone: one column, nothing wider than the screen
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.click("nav button[data-panel=instruments]")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390

        # logout ends the login on the server: the panels send you to the login page
        await page.click("#logout")
        await page.wait_for_url("**/login**")
        await page.goto(base + "isomer/")
        assert "/login" in page.url

        assert problems == []
        assert hosts <= {"localhost", "127.0.0.1"}, hosts
        await browser.close()


async def test_logbook_conditions_come_from_the_server_never_the_client(started, tokens):
    """A client cannot forge the stamped conditions; old live values are left out."""
    from isomer_data.services.auth.identity import user_from_doc

    crew = user_from_doc(await started.users.get("crew1"))
    publish_at(started, time.time() - 3600, **{"environment.depth.belowTransducer": 4.0})
    publish(started, **{"navigation.speedOverGround": 2.5})
    entry = await started.objects.put(
        crew,
        "logbookentry",
        {
            "time": "2026-11-26T12:00:00Z",
            "text": "forged",
            "conditions": {"speedOverGround": 99.0},
        },
    )
    assert entry["conditions"]["speedOverGround"] == 2.5
    assert "depthBelowTransducer" not in entry["conditions"]  # an hour old: not stamped
