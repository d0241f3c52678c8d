"""The anchor watch module (extensions/anchor-watch), pip-installed by the test into a folder
of its own, against a real platform: the alarm on a replayed track, RBAC, the panel.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from isomer_data.ingest.observation import Observation

from isomer_data.core.roles import ALL_ROLES, ANONYMOUS

EXTENSION = Path(__file__).parents[2] / "extensions" / "anchor-watch"
A, C, S, V, W, N = "admin", "crew", "scientist", "vessel", "viewer", ANONYMOUS
M_LAT = 6_371_008.8 * math.pi / 180  # metres per degree of latitude, the module's Earth
ANCHOR = {"latitude": 50.76, "longitude": -1.30}


@pytest.fixture(scope="session")
def anchor_watch_site(tmp_path_factory) -> Path:
    """``pip install --target`` of the extension, from a copy (the checkout stays clean)."""
    root = tmp_path_factory.mktemp("anchor-watch")
    source = root / "src"
    shutil.copytree(EXTENSION, source, ignore=shutil.ignore_patterns("*.egg-info", "build"))
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
def on_path(anchor_watch_site, monkeypatch):
    monkeypatch.syspath_prepend(str(anchor_watch_site))
    for name in [k for k in sys.modules if k.startswith("isomer_anchor_watch")]:
        monkeypatch.delitem(sys.modules, name)
    yield
    for name in [k for k in sys.modules if k.startswith("isomer_anchor_watch")]:
        del sys.modules[name]


@pytest.fixture
def installed(on_path, mongo_db):
    # enabled, with a short delay, as `isomer module enable` and `config` would leave it
    mongo_db.modules.insert_one(
        {
            "_id": "anchor-watch",
            "enabled": True,
            "config": {"default_radius": 30, "alarm_delay": 5},
            "revision": 1,
        }
    )


@pytest.fixture
def jp_server_config(jp_server_config, installed):
    return jp_server_config


def at(north: float, east: float = 0.0) -> dict:
    """A position ``north`` and ``east`` metres from the anchor."""
    lat = ANCHOR["latitude"] + north / M_LAT
    lon = ANCHOR["longitude"] + east / (M_LAT * math.cos(math.radians(ANCHOR["latitude"])))
    return {"latitude": lat, "longitude": lon}


async def replay(platform, track, t0: float):
    """Publish ``(seconds, position)`` as a replayed track: the observations' own times."""
    for seconds, position in track:
        platform.live.publish(
            [Observation(t0 + seconds, "self", "navigation.position", position, "replay")]
        )
        await asyncio.sleep(0)  # let the watch's notifications go out


def swing_then_drag():
    swing = [(i, at(20 * math.cos(i / 3), 20 * math.sin(i / 3))) for i in range(20)]
    drag = [(20 + i, at(20 + 2 * i)) for i in range(21)]  # north at 2 m/s
    return swing, drag


def test_distance_is_the_great_circle_distance(on_path):
    from isomer_anchor_watch.watch import distance

    assert distance.__module__ == "isomer_anchor_watch.watch"

    one_minute_north = {"latitude": ANCHOR["latitude"] + 1 / 60, "longitude": -1.30}
    assert distance(ANCHOR, one_minute_north) == pytest.approx(1853.25, abs=0.01)
    assert distance(ANCHOR, at(0, 30)) == pytest.approx(30.0, abs=0.01)


async def test_the_alarm_fires_when_a_replayed_track_drags_out_of_the_circle(
    started, tokens, hub_connect, skv2
):
    watch = sys.modules["isomer_anchor_watch"]
    crew = await hub_connect(tokens[C])
    await crew.call("live", "subscribe", {"paths": ["notifications.navigation.anchor"]})
    set_reply = await crew.call("anchor", "set", {**ANCHOR})
    assert set_reply["data"]["radius"] == 30 and set_reply["data"]["state"] == "normal"

    swing, drag = swing_then_drag()
    t0 = time.time() - 3600  # an hour-old track
    await replay(started, swing, t0)
    assert watch.WATCH.state == "normal"  # 20 m all round a 30 m circle
    states = []
    for seconds, position in drag:
        await replay(started, [(seconds, position)], t0)
        states.append(watch.WATCH.state)
    # outside from 32 m (t=26 s), the alarm 5 s of track later (t=31 s, 42 m), not before
    assert states.index("alarm") == 11
    assert set(states[:11]) == {"normal"}
    status = (await crew.call("anchor", "status", {}))["data"]
    assert status["state"] == "alarm" and status["distance"] == pytest.approx(60, abs=0.5)
    while True:
        push = await crew.push("delta")
        value = push["data"]["updates"][0]["values"][0]["value"]
        if value["state"] == "alarm":
            break
    assert value["method"] == ["visual", "sound"]
    assert value["message"] == "Anchor dragging: 42 m from the anchor (radius 30 m)"
    # a Signal K notification as Freeboard-SK reads it: listed, silenced and acknowledged
    # through the v2 API, and the watch's next reports keep the crew's acknowledgement
    assert value["status"]["acknowledged"] is False and value["status"]["canClear"] is False
    fetch, _ = skv2
    code, listed = await fetch("signalk/v2/api/notifications", token=tokens[C])
    assert listed[value["id"]]["path"] == "notifications.navigation.anchor"
    assert listed[value["id"]]["value"]["state"] == "alarm"
    code, _ = await fetch(
        f"signalk/v2/api/notifications/{value['id']}/acknowledge", "POST", {}, tokens[V]
    )
    assert code == 403  # a vessel identity does not acknowledge alarms
    code, body = await fetch(
        f"signalk/v2/api/notifications/{value['id']}/acknowledge", "POST", {}, tokens[C]
    )
    assert code == 200 and body["state"] == "COMPLETED"
    while True:
        push = await crew.push("delta")
        acknowledged = push["data"]["updates"][0]["values"][0]["value"]
        if acknowledged["status"]["acknowledged"]:
            break
    assert acknowledged["method"] == [] and acknowledged["id"] == value["id"]
    # back inside: normal again
    await replay(started, [(60, at(5))], t0)
    assert watch.WATCH.state == "normal"


async def test_the_anchor_defaults_to_here_and_survives_a_new_configuration(
    started, tokens, hub_connect
):
    crew = await hub_connect(tokens[C])
    nothing = await crew.call("anchor", "set", {})
    assert nothing["error"]["code"] == "no_position"
    started.live.publish([Observation(time.time(), "self", "navigation.position", at(3), "gps")])
    here = await crew.call("anchor", "set", {"radius": 50})
    assert here["data"]["anchor"] == at(3) and here["data"]["radius"] == 50
    for bad in ({"radius": 1}, {"radius": True}, {"latitude": 91, "longitude": 0}, [1]):
        reply = await crew.call("anchor", "set", bad)
        assert reply["error"]["code"] in ("invalid", "bad_request"), bad
    admin = await hub_connect(tokens[A])
    saved = await admin.call(
        "modules", "configure", {"name": "anchor-watch", "config": {"alarm_delay": 20}}
    )
    assert saved["data"]["state"] == "running"
    status = (await crew.call("anchor", "status", {}))["data"]
    assert status["anchor"] == at(3) and status["radius"] == 50 and status["alarm_delay"] == 20
    raised = await crew.call("anchor", "raise", {})
    assert raised["data"]["anchor"] is None


@pytest.mark.parametrize(
    "action, allowed",
    [("set", {A, C}), ("raise", {A, C}), ("status", {A, C, S, V, W})],
)
async def test_anchor_events_for_every_role(started, tokens, hub_connect, action, allowed):
    started.live.publish([Observation(time.time(), "self", "navigation.position", at(0), "gps")])
    for role in ALL_ROLES:
        client = await hub_connect(None if role == N else tokens[role])
        reply = await client.call("anchor", action, {})
        client.close()
        code = reply.get("error", {}).get("code")
        if role in allowed:
            assert code is None, (role, reply)
        else:
            assert code == ("unauthenticated" if role == N else "forbidden"), (role, reply)


async def test_the_panel_draws_the_swing_and_flashes_the_alarm(
    started, tokens, password, http_server_client, jp_http_port, jp_base_url
):
    from playwright.async_api import async_playwright

    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    started.live.publish([Observation(time.time(), "self", "navigation.position", ANCHOR, "gps")])
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
        await page.wait_for_function(
            "document.getElementById('connection').textContent === 'online'"
        )
        await page.click("#anchor-tab")
        assert await page.input_value("#anchor-radius") == "30"  # the configured default
        await page.click("#anchor-drop")
        await page.wait_for_function(
            "document.getElementById('anchor-state').textContent === 'normal'"
        )
        swing, drag = swing_then_drag()
        await replay(started, swing + drag, time.time() - 60)
        await page.wait_for_selector("#anchor.alarm")
        assert await page.text_content("#anchor-state") == "alarm"
        assert "Anchor dragging" in await page.text_content("#anchor-message")
        assert await page.get_attribute("#anchor-boat", "visibility") == "visible"
        points = await page.get_attribute("#anchor-track", "points")
        assert len(points.split()) == len(swing) + len(drag)
        assert problems == []
        await browser.close()


async def test_a_viewer_sees_the_anchor_state_but_no_control_crew_sees_both(
    started, tokens, password, http_server_client, jp_http_port, jp_base_url
):
    """The server refuses ``anchor/set`` and ``anchor/raise`` from a viewer (and any role but
    crew): the panel shows such a user the state, read-only, and offers no control that would
    fail; crew keeps them. The shell's alarm banner offers a viewer nothing to acknowledge or
    silence either (one server, one browser, a page per user)."""
    from playwright.async_api import async_playwright

    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    started.live.publish([Observation(time.time(), "self", "navigation.position", ANCHOR, "gps")])
    dropped = await hub_anchor(started)
    assert dropped["state"] == "normal" and dropped["anchor"] == ANCHOR
    started.live.publish([Observation(time.time(), "self", "navigation.position", at(5), "gps")])
    assert round((await hub_status())["distance"]) == 5

    async def login(browser, username):
        page = await (await browser.new_context()).new_page()
        page.problems = []
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        await page.goto(base + "isomer/")
        await page.fill("#username", username)
        await page.fill("#password", password)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/isomer/")
        await page.wait_for_function(
            "document.getElementById('connection').textContent === 'online'"
        )
        await page.click("#anchor-tab")
        await page.wait_for_function(
            "document.getElementById('anchor-state').textContent === 'normal'"
        )
        return page

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        viewer = await login(browser, "viewer1")
        # the state, read-only: position, radius, distance
        assert await page_text(viewer, "#anchor-position") == "50.76000° N 1.30000° W"
        await viewer.wait_for_function(
            "document.getElementById('anchor-distance').textContent === '5 m of 30 m'"
        )
        # no control at all: not hidden by a style that could be undone, not in the page
        for control in ("#anchor-drop", "#anchor-raise", "#anchor-radius", "#anchor-controls"):
            assert await viewer.query_selector(control) is None, control
        # no form field anywhere in a viewer's panels (the logbook's form stays hidden)
        fields = await viewer.evaluate(
            """[...document.querySelectorAll('#panels form, #panels input, #panels textarea,'
                + ' #panels select, #panels button[type=submit]')]
               .filter((el) => !el.closest('[hidden]')).map((el) => el.id || el.tagName)"""
        )
        assert fields == []

        # crew: the same state and the controls
        crew_page = await login(browser, "crew1")
        assert await page_text(crew_page, "#anchor-position") == "50.76000° N 1.30000° W"
        for control in ("#anchor-drop", "#anchor-raise", "#anchor-radius"):
            assert await crew_page.is_visible(control), control

        # the alarm: both see it, in the panel and the banner; the viewer gets no button
        alarm = {"state": "alarm", "method": ["visual"], "message": "Anchor dragging"}
        started.live.publish(
            [Observation(time.time(), "self", "notifications.navigation.anchor", alarm, "test")]
        )
        for page in (viewer, crew_page):
            await page.wait_for_selector("#alarms .notification.alarm:has-text('Anchor dragging')")
            await page.wait_for_selector("#anchor.alarm")
            assert await page_text(page, "#anchor-state") == "alarm"
        assert await viewer.query_selector_all("#alarms button, #alarms input") == []
        assert await viewer.query_selector("#anchor button") is None

        # crew still raises the anchor from the panel
        await crew_page.click("#anchor-raise")
        await crew_page.wait_for_function(
            "document.getElementById('anchor-state').textContent === 'off'"
        )
        assert (await hub_status())["anchor"] is None
        assert viewer.problems == [] and crew_page.problems == []
        await browser.close()


async def hub_anchor(platform):
    """Drop the anchor as crew would, straight on the watch (the panel's path is tested above)."""
    from isomer_anchor_watch.components import _watch

    return await _watch().drop(platform.live.get("self", "navigation.position")[1], 30.0)


async def hub_status():
    from isomer_anchor_watch.components import _watch

    return _watch().status()


async def page_text(page, selector):
    return (await page.text_content(selector)).strip()
