"""Chart resources and tiles through the real server: S-57 cells, GeoTIFF, MBTiles and
PMTiles packs ingested the way ``isomer ingest`` does, the world basemap built at setup."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pytest
import tornado.httpclient
from isomer_data.ingest.charts import ingest_file
from PIL import Image

from isomer_data.core.roles import ALL_ROLES, ANONYMOUS, VESSEL
from isomer_data.tiles import grid
from isomer_data.tiles.basemap import BASEMAP_FILE
from isomer_data.tiles.raster import ramp

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
sys.path.insert(0, str(Path(__file__).parents[1] / "tiles"))
from fixtures_gdal import write_geotiff, write_s57_cell  # noqa: E402
from tile_packs import tile_bytes, write_mbtiles, write_pmtiles  # noqa: E402

CHARTS = "signalk/v2/api/resources/charts"
TILES = "signalk/chart-tiles"
EVIL = "http://evil.example"
READERS = {"admin", "crew", "scientist", "viewer"}  # a viewer reads the charts as crew


@pytest.fixture
def fetch(http_server_client, jp_http_port, jp_base_url):
    """GET a raw path (no escaping, no normalising) from the server; errors are responses."""
    client = tornado.httpclient.AsyncHTTPClient()

    async def get(path: str, token: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"token {token}"
        return await client.fetch(
            f"http://localhost:{jp_http_port}{jp_base_url}{path}",
            headers=headers,
            raise_error=False,
            follow_redirects=False,
            **kwargs,
        )

    return get


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int, int, int]:
    """``(x, y, column, row)`` of the tile and pixel holding a point."""
    (mx,), (my,) = grid.to_mercator([lon], [lat])
    n = 1 << z
    fx = (mx + grid.HALF_WORLD) / (2 * grid.HALF_WORLD) * n
    fy = (grid.HALF_WORLD - my) / (2 * grid.HALF_WORLD) * n
    return int(fx), int(fy), int((fx % 1) * 256), int((fy % 1) * 256)


@pytest.fixture
def charts(started, tmp_path):
    """Every kind of chart, ingested as ``isomer ingest`` does."""
    db = started.database.db
    packs = tmp_path / "packs"
    packs.mkdir()
    vector = {(0, 0, 0): b"\x1a\x00", (1, 1, 0): b"\x1a\x02\x78\x02"}
    files = [
        write_s57_cell(tmp_path / "GB4TEST1.000"),
        write_geotiff(tmp_path / "bathy.tif"),
        write_mbtiles(packs / "harbour charts.mbtiles"),  # a space: the id is sanitised
        write_pmtiles(packs / "coast.pmtiles"),
        write_pmtiles(packs / "vector.pmtiles", vector, vector=True, gzipped=True),
    ]
    summaries = [ingest_file(db, path) for path in files]
    assert [s["kind"] for s in summaries] == ["chart", "raster", "tiles", "tiles", "tiles"]
    # packs that went wrong after they were ingested: moved away, and cut short
    gone, cut = write_pmtiles(packs / "gone.pmtiles"), write_pmtiles(packs / "cut.pmtiles")
    ingest_file(db, gone)
    ingest_file(db, cut)
    gone.unlink()
    cut.write_bytes(cut.read_bytes()[:50])
    return {"vector": vector}


async def test_charts_through_the_server(charts, tokens, fetch, password):
    """One server for the module (each costs seconds): listing and tiles, refusals, roles."""
    await charts_are_listed_and_their_tiles_served(charts, tokens, fetch)
    await bad_tile_requests_are_refused_before_anything_is_read(tokens, fetch)
    await who_may_read_charts(tokens, fetch, password)


async def charts_are_listed_and_their_tiles_served(charts, tokens, fetch):
    crew = tokens["crew"]
    reply = await fetch(CHARTS, crew)
    assert reply.code == 200, reply.body
    listing = json.loads(reply.body)
    assert list(listing) == [
        "world-basemap",
        "GB4TEST1",
        "bathy",
        "coast",
        "cut",
        "gone",
        "harbour-charts",
        "vector",
    ]
    s57 = listing["GB4TEST1"]
    assert s57["type"] == "S-57" and s57["format"] == "pbf"
    assert s57["bounds"] == pytest.approx([-1.3, 50.0, -1.0, 50.4])
    assert s57["url"].endswith(f"/{TILES}/GB4TEST1/{{z}}/{{x}}/{{y}}")
    assert {"DEPARE", "BOYLAT", "SOUNDG"} <= set(s57["layers"])
    assert listing["bathy"]["format"] == "png" and listing["bathy"]["type"] == "tilelayer"
    pack = listing["harbour-charts"]
    assert (pack["name"], pack["minzoom"], pack["maxzoom"]) == ("Test pack", 0, 2)
    assert listing["world-basemap"]["layers"] == ["land", "coastline"]
    # Freeboard-SK applies a chart's style: the basemap's draws land in sand
    style_path = "signalk" + listing["world-basemap"]["style"].split("/signalk", 1)[1]
    style = json.loads((await fetch(style_path, crew)).body)
    assert [layer["source-layer"] for layer in style["layers"]] == ["land", "coastline"]
    (source,) = style["sources"].values()
    assert source["tiles"][0].endswith(f"/{TILES}/world-basemap/{{z}}/{{x}}/{{y}}")
    assert (await fetch(f"{TILES}/coast/style.json", crew)).code == 404
    for resource in listing.values():
        assert set(resource) >= {
            "identifier", "name", "description", "bounds", "minzoom", "maxzoom",
            "format", "type", "url", "layers",
        }  # fmt: skip
    one = await fetch(f"{CHARTS}/coast", crew)
    assert json.loads(one.body) == listing["coast"]

    # MBTiles and PMTiles: every tile byte for byte, a missing one is "no content"
    for pack_id in ("harbour-charts", "coast"):
        for (z, x, y), data in tile_bytes().items():
            reply = await fetch(f"{TILES}/{pack_id}/{z}/{x}/{y}", crew)
            assert reply.code == 200 and reply.body == data, (pack_id, z, x, y)
            assert reply.headers["Content-Type"] == "image/png"
        assert (await fetch(f"{TILES}/{pack_id}/2/3/3", crew)).code == 204
    # a gzipped vector pack goes out as stored, saying it is gzip
    raw = await fetch(f"{TILES}/vector/1/1/0", crew, decompress_response=False)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw.body) == charts["vector"][(1, 1, 0)]
    assert raw.headers["Content-Type"] == "application/x-protobuf"

    # caching: private, an ETag, and 304 when the browser has it
    reply = await fetch(f"{TILES}/coast/1/0/0", crew)
    assert reply.headers["Cache-Control"] == "private, max-age=3600"
    etag = reply.headers["ETag"]
    again = await fetch(f"{TILES}/coast/1/0/0", crew, headers={"If-None-Match": etag})
    assert again.code == 304 and again.body == b""

    # the S-57 cell as a vector tile: one layer per object class, attributes kept
    x, y, _, _ = tile_of(-1.1, 50.2, 12)
    reply = await fetch(f"{TILES}/GB4TEST1/12/{x}/{y}", crew)
    assert reply.code == 200 and reply.headers["Content-Type"] == "application/x-protobuf"
    tile = mapbox_vector_tile.decode(reply.body)
    (buoy,) = tile["BOYLAT"]["features"]
    assert buoy["properties"] == {"CATLAM": 1, "COLOUR": "3,1"}
    assert [f["properties"]["DRVAL2"] for f in tile["DEPARE"]["features"]] == [5.0]
    assert (await fetch(f"{TILES}/GB4TEST1/12/0/0", crew)).code == 204  # far away
    x, y, _, _ = tile_of(-1.1, 50.2, s57["minzoom"] - 1)  # below its minzoom: not made
    assert (await fetch(f"{TILES}/GB4TEST1/{s57['minzoom'] - 1}/{x}/{y}", crew)).code == 204

    # the GeoTIFF as PNG: the depth's colour at a known pixel
    x, y, col, row = tile_of(-1.3 + 0.035, 50.4 - 0.025, 14)  # elevation -5.75 m
    reply = await fetch(f"{TILES}/bathy/14/{x}/{y}", crew)
    assert reply.code == 200 and reply.headers["Content-Type"] == "image/png"
    image = np.asarray(Image.open(io.BytesIO(reply.body)).convert("RGBA"))
    assert tuple(image[row, col]) == (*ramp(np.array([-5.75]))[0], 255)

    # the basemap: land in the Sahara, none in the North Pacific
    assert BASEMAP_FILE.exists(), "scripts/install builds the basemap"
    x, y, _, _ = tile_of(10.0, 23.0, 6)
    land = mapbox_vector_tile.decode((await fetch(f"{TILES}/world-basemap/6/{x}/{y}", crew)).body)
    assert land["land"]["features"]
    x, y, _, _ = tile_of(-135.0, 35.0, 6)
    assert (await fetch(f"{TILES}/world-basemap/6/{x}/{y}", crew)).code == 204


async def bad_tile_requests_are_refused_before_anything_is_read(tokens, fetch):
    crew = tokens["crew"]
    for path in ("coast/25/0/0", "coast/3/8/0", "coast/3/0/8", "coast/0/1/0"):
        reply = await fetch(f"{TILES}/{path}", crew)
        assert reply.code == 400, path
        assert json.loads(reply.body)["error"]["message"].startswith("50744")
    reply = await fetch(f"{TILES}/nosuchchart/0/0/0", crew)
    error = json.loads(reply.body)["error"]
    assert reply.code == 404 and error["code"] == "not_found"
    assert error["message"].startswith("50745: No such chart")
    assert (await fetch(f"{CHARTS}/nosuchchart", crew)).code == 404
    # a pack moved away or broken since: said so with its number, no traceback
    reply = await fetch(f"{TILES}/gone/0/0/0", crew)
    assert reply.code == 404 and json.loads(reply.body)["error"]["message"].startswith("61005")
    reply = await fetch(f"{TILES}/cut/0/0/0", crew)
    assert reply.code == 500 and json.loads(reply.body)["error"]["message"].startswith("50740")
    assert b"Traceback" not in reply.body
    # no route takes a path: dots, slashes and escapes never reach a file name
    status = json.loads((await fetch("isomer/api/status")).body)["charts"]
    assert status["refused"] == 4 and status["not_found"] == 2 and status["errors"] == 2
    assert status["basemap"] is True
    for path in (
        f"{TILES}/../../../etc/passwd/0/0/0",
        f"{TILES}/..%2F..%2Fetc%2Fpasswd/0/0/0",
        f"{TILES}/%2e%2e/0/0/0",
        f"{TILES}/coast/0/0/0/../../../../etc/passwd",
        f"{CHARTS}/..%2F..%2Fetc",
        f"{TILES}/coast/99999999999/0/0",
        f"{TILES}/coast/-1/0/0",
    ):
        reply = await fetch(path, crew)
        assert reply.code in (400, 404), path
        assert b"root:" not in reply.body


async def who_may_read_charts(tokens, fetch, password):
    for role in ALL_ROLES:
        token = tokens.get(role) if role != ANONYMOUS else None
        listing = await fetch(CHARTS, token)
        tile = await fetch(f"{TILES}/coast/0/0/0", token)
        if role in READERS:
            assert (listing.code, tile.code) == (200, 200), role
        else:
            # vessels feed data and anonymous callers log in first (Signal K's security on)
            assert (listing.code, tile.code) == (403, 403), role
            assert b"Test pack" not in listing.body and tile.body != tile_bytes()[(0, 0, 0)]
    assert VESSEL not in READERS
    # A page of another site: the browser's login cookie (SameSite, so not even sent
    # cross-site by a browser) earns no CORS header, so that page cannot read the answer.
    login = await fetch(
        "signalk/v1/auth/login",
        method="POST",
        body=json.dumps({"username": "crew1", "password": password}),
    )
    cookies = [c for c in login.headers.get_list("Set-Cookie") if c.startswith("JAUTH")]
    assert "samesite=strict" in cookies[0].lower()
    cookie = {"Cookie": cookies[0].split(";")[0]}
    own = await fetch(CHARTS, headers=dict(cookie))
    assert own.code == 200  # the platform's own pages (Freeboard-SK) read with the cookie
    for path in (CHARTS, f"{TILES}/coast/0/0/0"):
        foreign = await fetch(path, headers={**cookie, "Origin": EVIL})
        assert "Access-Control-Allow-Origin" not in foreign.headers, path
    # no write: charts come from `isomer ingest` only
    for method in ("PUT", "POST", "DELETE"):
        reply = await fetch(
            f"{CHARTS}/coast",
            tokens["admin"],
            method=method,
            body=None if method == "DELETE" else "{}",
            allow_nonstandard_methods=True,
        )
        assert reply.code == 405, method
