"""The AIS targets module (extensions/ais-targets), pip-installed by the test into a folder of
its own: CPA/TCPA against hand-computed encounters, then a replayed encounter against a real
platform (the notification raised and cleared on the hub), RBAC and bounds, the panel.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from isomer_data.ingest.observation import Observation

from isomer_data.core.roles import ALL_ROLES, ANONYMOUS

EXTENSION = Path(__file__).parents[2] / "extensions" / "ais-targets"
A, C, S, V, W, N = "admin", "crew", "scientist", "vessel", "viewer", ANONYMOUS
ORIGIN = (50.0, -1.0)
KNOT = 1852 / 3600
CONFIG = {"cpa_limit": 500, "tcpa_limit": 600, "ignored": ["235000009"], "stale_age": 120}
NOTIFICATION = "notifications.navigation.closestApproach."


@pytest.fixture(scope="session")
def ais_site(tmp_path_factory) -> Path:
    """``pip install --target`` of the extension, from a copy (the checkout stays clean)."""
    root = tmp_path_factory.mktemp("ais-targets")
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
def on_path(ais_site, monkeypatch):
    monkeypatch.syspath_prepend(str(ais_site))
    for name in [k for k in sys.modules if k.startswith("isomer_ais_targets")]:
        monkeypatch.delitem(sys.modules, name)
    yield
    for name in [k for k in sys.modules if k.startswith("isomer_ais_targets")]:
        del sys.modules[name]


@pytest.fixture
def installed(on_path, mongo_db):
    # enabled and configured, as `isomer module enable` and `config` would leave it
    mongo_db.modules.insert_one(
        {"_id": "ais-targets", "enabled": True, "config": CONFIG, "revision": 1}
    )


@pytest.fixture
def jp_server_config(jp_server_config, installed):
    return jp_server_config


def at(east: float, north: float) -> dict:
    """The position ``east`` and ``north`` metres from ``ORIGIN`` on the module's plane."""
    a, f = 6_378_137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    lat = ORIGIN[0]
    for _ in range(3):  # the plane is tangent at the mean latitude, which depends on lat
        phi = math.radians((ORIGIN[0] + lat) / 2)
        w = 1 - e2 * math.sin(phi) ** 2
        meridian, normal = a * (1 - e2) / w**1.5, a / math.sqrt(w)
        lat = ORIGIN[0] + math.degrees(north / meridian)
    return {
        "latitude": lat,
        "longitude": ORIGIN[1] + math.degrees(east / (normal * math.cos(phi))),
    }


# name: own (east, north, m/s, course °), target (east, north, m/s, course °, seconds older),
# then distance (m), bearing (°), CPA (m) and TCPA (s) worked out by hand
ENCOUNTERS = {
    # 2100 m ahead 20 s ago at 5 m/s toward us: 2000 m now, closing at 10 m/s
    "head-on": ((0, 0, 5, 0), (0, 2100, 5, 180, 20), 2000, 0, 0, 200),
    # r = (1000, 1200), v = (-5, -5): TCPA = 11000/50 = 220 s, passes at (-100, 100)
    "crossing": ((0, 0, 5, 0), (1000, 1200, 5, 270, 0), 1562.05, 39.806, 141.42, 220),
    # 500 m astern, 30 m to starboard, 2 m/s faster: comes abeam at 30 m in 250 s
    "overtaking": ((0, 0, 5, 0), (30, -500, 7, 0, 0), 500.90, 176.566, 30, 250),
    # same course and speed: the distance never changes, TCPA undefined
    "parallel": ((0, 0, 5, 0), (200, 0, 5, 0, 0), 200, 90, 200, None),
    # 1000 m ahead and 2 m/s faster: closest 500 s ago, CPA from now on is now
    "diverging": ((0, 0, 5, 0), (0, 1000, 7, 0, 0), 1000, 0, 1000, -500),
}


@pytest.mark.parametrize("name", ENCOUNTERS)
def test_cpa_and_tcpa_of_hand_computed_encounters(on_path, name):
    from isomer_ais_targets.cpa import Motion, encounter

    (oe, on, osog, ocog), (te, tn, tsog, tcog, age), distance, bearing, cpa, tcpa = ENCOUNTERS[name]
    t = 1_800_000_000.0
    own = Motion(**at(oe, on), time=t, sog=osog, cog=math.radians(ocog))
    target = Motion(**at(te, tn), time=t - age, sog=tsog, cog=math.radians(tcog))
    got = encounter(own, target)
    assert got.distance == pytest.approx(distance, abs=0.05)
    assert (got.bearing - bearing + 180) % 360 - 180 == pytest.approx(0, abs=0.01)
    assert got.cpa == pytest.approx(cpa, abs=0.05)
    assert got.tcpa == (None if tcpa is None else pytest.approx(tcpa, abs=0.05))


# from, to, distance (m) and initial bearing (°): GeographicLib 2.1, Geodesic.WGS84.Inverse
GEODESICS = [
    ((50, -1), (50 + 1 / 60, -1), 1853.820, 0.0),
    ((50, -1), (50, -1 + 1 / 60), 1194.929, 89.9936),
    ((60, 179.99), (60.05, -179.95), 6498.013, 30.9612),  # across the antimeridian
]


@pytest.mark.parametrize("start, end, distance, bearing", GEODESICS)
def test_the_plane_agrees_with_wgs84_geodesics(on_path, start, end, distance, bearing):
    from isomer_ais_targets.cpa import Motion, encounter

    got = encounter(Motion(*start, time=0), Motion(*end, time=0))
    assert got.distance == pytest.approx(distance, rel=2e-5)  # the bounds the README states
    assert got.bearing == pytest.approx(bearing, abs=1e-3)


def vessel(
    platform, key: str, t: float, east: float, north: float, knots: float, course: float, **more
):
    """One report of a vessel: position, speed and course over ground (and ``more`` paths)."""
    values = {
        "navigation.position": at(east, north),
        "navigation.speedOverGround": knots * KNOT,
        "navigation.courseOverGroundTrue": math.radians(course),
        **more,
    }
    context = "self" if key == "self" else f"urn:mrn:imo:mmsi:{key}"
    platform.live.publish([Observation(t, context, p, v, "replay") for p, v in values.items()])


async def notifications(client, until) -> list[tuple[str, str, str]]:
    """``(mmsi, state, message)`` of the closest-approach deltas pushed, up to ``until``."""
    seen = []
    while not seen or not until(seen[-1]):
        push = await client.push("delta")
        for update in push["data"]["updates"]:
            for item in update["values"]:
                if item["path"].startswith(NOTIFICATION):
                    mmsi = item["path"][len(NOTIFICATION) :]
                    seen.append((mmsi, item["value"]["state"], item["value"]["message"]))
    return seen


async def test_an_encounter_raises_and_clears_the_notification_on_the_hub(
    started, tokens, hub_connect
):
    crew = await hub_connect(tokens[C])
    await crew.call("live", "subscribe", {"paths": [NOTIFICATION + "*"]})
    t0 = time.time() - 3600  # an hour-old recording, replayed
    kn = 5 / KNOT  # 5 m/s
    vessel(started, "self", t0, 0, 0, kn, 0)
    vessel(started, "235000009", t0, 0, 1500, kn, 180)  # head-on, but ignored
    vessel(started, "235000007", t0 - 200, 0, 1000, kn, 180)  # head-on, but stale
    vessel(started, "235000002", t0, 0, -3000, kn, 180)  # diverging
    vessel(started, "235000003", t0, -2000, 2000, 2 / KNOT, 90)  # closing, CPA 1114 m
    vessel(started, "235000004", t0, 0, 3000, kn, 180)  # head-on, then heard no more
    vessel(
        started,
        "235000001",
        t0,
        1000,
        1200,
        kn,
        270,
        name="SEA TROUT",
        **{"design.aisShipType": {"id": 36, "name": "Sailing"}},
    )
    raised = await notifications(crew, lambda n: n[0] == "235000001")
    assert raised == [
        ("235000004", "alarm", "MMSI 235000004: CPA 0 m in 5 min 00 s"),
        ("235000001", "alarm", "SEA TROUT (235000001): CPA 141 m in 3 min 40 s"),
    ]

    listing = (await crew.call("ais", "targets", {}))["data"]
    rows = listing["targets"]
    assert [(r["mmsi"], r["status"]) for r in rows] == [
        ("235000001", "alarm"),
        ("235000004", "alarm"),
        ("235000003", "closing"),
        ("235000002", "diverging"),
        ("235000009", "ignored"),
        ("235000007", "stale"),
    ]
    first = rows[0]
    assert (first["name"], first["shipType"], first["state"]) == ("SEA TROUT", "Sailing", "alarm")
    assert first["distance"] == pytest.approx(1562.0, abs=0.2)
    assert (first["cpa"], first["tcpa"], first["cog"]) == (pytest.approx(141.4, abs=0.2), 220, 270)
    assert [r["state"] for r in rows[2:]] == ["normal"] * 4
    assert rows[-1]["age"] == 200

    # 100 s on, both held their course: still the same pass, nothing new is said
    vessel(started, "self", t0 + 100, 0, 500, kn, 0)
    vessel(started, "235000001", t0 + 100, 500, 1200, kn, 270)
    # 230 s on the target has crossed ahead and draws away: clear
    vessel(started, "235000001", t0 + 230, -150, 1200, kn, 270)
    vessel(started, "self", t0 + 230, 0, 1150, kn, 0)
    cleared = await notifications(crew, lambda n: n[0] == "235000001")
    assert cleared == [
        ("235000004", "normal", "MMSI 235000004: lost, no position for 230 s"),  # stale
        ("235000001", "normal", "SEA TROUT (235000001): clear"),
    ]
    listing = (await crew.call("ais", "targets", {}))["data"]
    assert listing["targets"][0]["status"] != "alarm"
    assert all(r["state"] == "normal" for r in listing["targets"])


async def test_who_may_read_the_targets_and_change_the_limits(started, tokens, hub_connect):
    for role in ALL_ROLES:
        client = await hub_connect(None if role == N else tokens[role])
        listing = await client.call("ais", "targets", {})
        configure = await client.call(
            "modules", "configure", {"name": "ais-targets", "config": {**CONFIG, "cpa_limit": 800}}
        )
        client.close()
        denied = "unauthenticated" if role == N else "forbidden"
        code = listing.get("error", {}).get("code")
        assert code == (None if role in (A, C, S, V, W) else denied), (role, listing)
        code = configure.get("error", {}).get("code")
        assert code == (None if role == A else denied), (role, configure)
    watch = sys.modules["isomer_ais_targets"].WATCH
    assert (watch.cpa_limit, watch.ignored) == (800, {"235000009"})

    admin = await hub_connect(tokens[A])
    bad = {
        "cpa_limit": 5,
        "tcpa_limit": 1e9,
        "ignored": ["12", "235000001"],
        "stale_age": "soon",
        "extra": 1,
    }
    reply = await admin.call("modules", "configure", {"name": "ais-targets", "config": bad})
    assert reply["error"]["code"] == "invalid"
    fields = {p["field"] for p in reply["error"]["details"]}
    assert fields == {"cpa_limit", "tcpa_limit", "ignored[0]", "stale_age", "extra"}
    many = [f"{235000000 + i}" for i in range(501)]
    reply = await admin.call(
        "modules", "configure", {"name": "ais-targets", "config": {"ignored": many}}
    )
    assert [p["field"] for p in reply["error"]["details"]] == ["ignored"]
    assert sys.modules["isomer_ais_targets"].WATCH.cpa_limit == 800  # unchanged
    for data in ([1], {"limit": 5}, "x"):
        reply = await admin.call("ais", "targets", data)
        assert reply["error"]["code"] == "bad_request"

    # a new configuration restarts the watch: a target newly ignored is cleared and stays
    # quiet; one still inside the limits is raised again
    crew = await hub_connect(tokens[C])
    await crew.call("live", "subscribe", {"paths": [NOTIFICATION + "*"]})
    t0 = time.time() - 600
    vessel(started, "self", t0, 0, 0, 5 / KNOT, 0)
    vessel(started, "235000001", t0, 1000, 1200, 5 / KNOT, 270, name="SEA TROUT")
    alarm = ("235000001", "alarm", "SEA TROUT (235000001): CPA 141 m in 3 min 40 s")
    assert await notifications(crew, lambda n: True) == [alarm]
    ignoring = {**CONFIG, "ignored": ["235000001"]}
    reply = await admin.call("modules", "configure", {"name": "ais-targets", "config": ignoring})
    assert reply["data"]["state"] == "running"
    off = ("235000001", "normal", "SEA TROUT (235000001): watch off")
    assert await notifications(crew, lambda n: True) == [off]
    listed = (await crew.call("ais", "targets", {}))["data"]["targets"]
    assert [(r["mmsi"], r["status"], r["state"]) for r in listed] == [
        ("235000001", "ignored", "normal")
    ]
    assert [p for p in crew.pushes if p.get("action") == "delta"] == []  # nothing raised
    await admin.call("modules", "configure", {"name": "ais-targets", "config": CONFIG})
    assert await notifications(crew, lambda n: True) == [alarm]


async def test_the_panel_lists_targets_by_danger_and_highlights_it(
    started, tokens, password, http_server_client, jp_http_port, jp_base_url
):
    from playwright.async_api import async_playwright

    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    t0 = time.time() - 600
    kn = 5 / KNOT
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
        await page.click("#ais-tab")
        await page.wait_for_function(
            "document.getElementById('ais-summary').textContent === 'no own position yet'"
        )
        vessel(started, "self", t0, 0, 0, kn, 0)
        vessel(started, "235000002", t0, 0, -3000, kn, 180)
        vessel(started, "235000001", t0, 1000, 1200, kn, 270, name="SEA TROUT")
        await page.wait_for_selector("#ais-rows tr.danger-alarm")
        rows = await page.eval_on_selector_all(
            "#ais-rows tr", "rows => rows.map(r => [r.dataset.mmsi, r.className])"
        )
        assert rows == [
            ["235000001", "ais-alarm danger danger-alarm"],
            ["235000002", "ais-diverging"],
        ]
        cells = await page.eval_on_selector_all(
            "#ais-rows tr:first-child td", "cells => cells.map(c => c.textContent)"
        )
        assert cells == ["SEA TROUT", "", "0.84 NM", "040°", "0.08 NM", "3:40", "9.7 kn", "alarm"]
        assert "SEA TROUT (235000001): CPA 141 m" in await page.text_content("#ais-message")
        assert await page.text_content("#ais-summary") == "2 targets, 1 inside the limits"
        assert await page.eval_on_selector("#ais", "e => e.classList.contains('alarm')")

        vessel(started, "235000001", t0 + 230, -150, 1200, kn, 270)  # crossed ahead: clear
        vessel(started, "self", t0 + 230, 0, 1150, kn, 0)
        await page.wait_for_function("!document.querySelector('#ais-rows tr.danger')")
        assert await page.text_content("#ais-message") == "SEA TROUT (235000001): clear"
        assert problems == []
        await browser.close()
