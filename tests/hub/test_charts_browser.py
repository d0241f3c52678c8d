"""The map panel draws the offline world basemap, in a real browser (headless Chromium)."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
from isomer_data.ingest.charts import ingest_file
from PIL import Image
from playwright.async_api import async_playwright
from test_panels_browser import ARGS, CHROMIUM, _login

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
from fixtures_gdal import write_s57_cell  # noqa: E402

LAND = (230, 216, 176)  # #e6d8b0, the panel's land
SEA = (207, 227, 242)  # #cfe3f2, the panel's sea (the map's background)
SHALLOW = (158, 202, 225)  # #9ecae1, an S-57 depth area from 0 m


async def test_map_panel_draws_land_from_the_platforms_own_basemap(
    started, tokens, password, http_server_client, jp_http_port, jp_base_url, tmp_path
):
    ingest_file(started.database.db, write_s57_cell(tmp_path / "GB4TEST1.000"))
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1024, "height": 700})
        hosts, tiles = set(), []

        def seen(request):
            url = urlparse(request.url)
            if url.scheme in ("blob", "data"):
                return
            hosts.add(url.hostname)
            if "/signalk/chart-tiles/world-basemap/" in url.path:
                tiles.append(url.path)

        page.on("request", seen)
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        await _login(page, base, "crew1", password)
        await page.click("nav button[data-panel=map]")
        await page.wait_for_function("window.isomerPanels.mapReady === true", timeout=30000)
        assert "world-basemap" in await page.evaluate("Object.keys(window.isomerPanels.charts)")
        # Central Africa and the Atlantic west of it, once every tile is drawn
        points = await page.evaluate(
            """() => new Promise((resolve) => {
                const map = window.isomerPanels.map;
                map.once("idle", () => resolve({
                    land: map.project([22, 2]), sea: map.project([-25, -5]),
                }));
                map.jumpTo({ center: [0, 0], zoom: 2.5 });
            })"""
        )
        shot = await page.locator("#chart").screenshot()
        image = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"))

        def colour(point) -> tuple[int, ...]:
            return tuple(int(v) for v in image[int(point["y"]), int(point["x"])])

        assert colour(points["land"]) == LAND
        assert colour(points["sea"]) == SEA

        # the ingested cell draws above the basemap, below the panel's own layers
        layers = await page.evaluate("window.isomerPanels.map.getStyle().layers.map(l => l.id)")
        order = [i for i, name in enumerate(layers) if name.startswith("chart-world-basemap")]
        cell = [i for i, name in enumerate(layers) if name.startswith("chart-GB4TEST1")]
        assert max(order) < min(cell) and max(cell) < layers.index("track")
        points = await page.evaluate(
            """() => new Promise((resolve) => {
                const map = window.isomerPanels.map;
                map.once("idle", () => resolve({
                    depth: map.project([-1.25, 50.15]), island: map.project([-1.175, 50.125]),
                }));
                map.jumpTo({ center: [-1.15, 50.2], zoom: 10 });
            })"""
        )
        image = np.asarray(
            Image.open(io.BytesIO(await page.locator("#chart").screenshot())).convert("RGB")
        )
        assert colour(points["depth"]) == SHALLOW  # DEPARE over the basemap's sea
        assert colour(points["island"]) == LAND  # the cell's LNDARE
        assert tiles, "the basemap's tiles come from the platform"
        assert problems == []
        assert hosts <= {"localhost", "127.0.0.1"}, hosts  # nothing from the internet
        await browser.close()
