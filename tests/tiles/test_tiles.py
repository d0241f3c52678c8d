"""Tile making and reading without a server: packs, S-57 vector tiles, raster PNG tiles,
the grid's bounds and the world basemap's source."""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from PIL import Image
from tile_packs import tile_bytes, write_mbtiles, write_pmtiles

from isomer_data.core.errors import IsomerError
from isomer_data.tiles import grid
from isomer_data.tiles.basemap import (
    WORLD_ATLAS,
    build_basemap,
    land_polygons,
    split_antimeridian,
    topojson_geometries,
)
from isomer_data.tiles.packs import describe_pack, open_pack, pack_kind
from isomer_data.tiles.raster import ramp, render_tile
from isomer_data.tiles.vector import encode_tile

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
from fixtures_gdal import sample_features, write_geotiff  # noqa: E402


@pytest.mark.parametrize("writer", [write_mbtiles, write_pmtiles])
def test_packs_are_recognised_by_content_and_read_byte_for_byte(tmp_path, writer):
    path = writer(tmp_path / "pack.bin")  # no telling suffix: the content decides
    assert pack_kind(path) == ("mbtiles" if writer is write_mbtiles else "pmtiles")
    pack = open_pack(path)
    for (z, x, y), data in tile_bytes().items():
        assert pack.tile(z, x, y) == data
    assert pack.tile(2, 0, 0) is None  # not in the pack
    record = describe_pack(path)
    assert record["kind"] == "tiles" and record["format"] == "png"
    assert (record["minzoom"], record["maxzoom"]) == (0, 2)
    assert record["bbox"] == pytest.approx([-10, 40, 10, 60])
    pack.close()


def test_a_file_that_is_no_pack_is_refused_with_50740(tmp_path):
    sqlite_without_tiles = tmp_path / "other.db"
    import sqlite3

    sqlite3.connect(sqlite_without_tiles).execute("CREATE TABLE t (a)").connection.commit()
    for path in (sqlite_without_tiles, write_geotiff(tmp_path / "x.tif")):
        with pytest.raises(IsomerError) as err:
            open_pack(path)
        assert err.value.code == 50740
    truncated = tmp_path / "cut.pmtiles"
    truncated.write_bytes(write_pmtiles(tmp_path / "whole.pmtiles").read_bytes()[:40])
    with pytest.raises(IsomerError) as err:
        open_pack(truncated)
    assert err.value.code == 50740


def test_a_pack_of_an_unknown_tile_format_is_refused_with_50741(tmp_path):
    path = write_mbtiles(tmp_path / "odd.mbtiles", fmt="tiff")
    with pytest.raises(IsomerError) as err:
        describe_pack(path)
    assert err.value.code == 50741


def test_grid_refuses_tiles_outside_it():
    grid.check(0, 0, 0)
    grid.check(24, (1 << 24) - 1, 0)
    for z, x, y in [(25, 0, 0), (-1, 0, 0), (3, 8, 0), (3, 0, 8), (0, 1, 0), (2, -1, 0)]:
        with pytest.raises(grid.TileOutOfRange):
            grid.check(z, x, y)
    west, south, east, north = grid.lonlat_bounds(1, 1, 0)
    assert (west, east, south) == (0.0, 180.0, 0.0) and north == pytest.approx(85.0511, abs=1e-4)


def _decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def test_s57_features_become_one_mvt_layer_per_object_class():
    # The test cell's features (as the ingest stores them), in the zoom-8 tile over them all.
    z = 8
    xs, ys = grid.tiles_covering((-1.3, 50.0, -1.0, 50.4), z)
    assert (len(xs), len(ys)) == (1, 1)
    x, y = xs[0], ys[0]
    features = [(f.layer, f.geometry, f.attributes) for f in sample_features()]
    tile = _decode(encode_tile(features, z, x, y))
    assert {"DEPARE", "BOYLAT", "LNDARE", "COALNE", "SOUNDG"} <= set(tile)
    (buoy,) = tile["BOYLAT"]["features"]
    assert buoy["properties"] == {"CATLAM": 1, "COLOUR": "3,1"}
    assert buoy["geometry"]["type"] == "Point"
    # the buoy is drawn where it is: back from tile units to degrees
    west, south, east, north = grid.mercator_bounds(z, x, y)
    px, py = buoy["geometry"]["coordinates"]
    mx = west + px / 4096 * (east - west)
    my = north - py / 4096 * (north - south)
    lon, lat = (
        np.degrees(mx / grid.EARTH_RADIUS),
        np.degrees(2 * np.arctan(np.exp(my / grid.EARTH_RADIUS)) - np.pi / 2),
    )
    assert (lon, lat) == pytest.approx((-1.1, 50.2), abs=1e-3)  # within a tile unit
    depths = sorted(f["properties"]["DRVAL2"] for f in tile["DEPARE"]["features"])
    assert depths == [5.0, 10.5]
    assert tile["LNDARE"]["features"][0]["properties"]["OBJNAM"] == "Test Island"
    # a tile far away holds nothing: the empty tile
    assert encode_tile(features, z, 0, 0) == b""


def test_geotiff_tile_has_the_ramp_colours_and_transparent_nodata(tmp_path):
    path = write_geotiff(tmp_path / "bathy.tif")  # 8×6 pixels of 0.01°, from -1.3 W 50.4 N
    z = 12
    xs, ys = grid.tiles_covering((-1.3, 50.34, -1.22, 50.4), z)
    seen = {}
    for x in xs:
        for y in ys:
            data = render_tile(str(path), z, x, y)
            if data is None:
                continue
            image = np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))
            assert image.shape == (256, 256, 4)
            seen[(x, y)] = image
    assert seen, "no tile over the raster"
    # the centre of source pixel (row 2, column 3): elevation -1 - 0.25 * 19 = -5.75 m
    lon, lat = -1.3 + 0.035, 50.4 - 0.025
    (mx,), (my,) = grid.to_mercator([lon], [lat])
    x, y = next(
        (x, y)
        for (x, y) in seen
        if grid.mercator_bounds(z, x, y)[0] <= mx < grid.mercator_bounds(z, x, y)[2]
        and grid.mercator_bounds(z, x, y)[1] <= my < grid.mercator_bounds(z, x, y)[3]
    )
    west, south, east, north = grid.mercator_bounds(z, x, y)
    col = int((mx - west) / (east - west) * 256)
    row = int((north - my) / (north - south) * 256)
    assert tuple(seen[(x, y)][row, col]) == (*ramp(np.array([-5.75]))[0], 255)
    # the nodata pixel (row 0, column 0) is transparent
    (nx,), (ny,) = grid.to_mercator([-1.295], [50.395])
    for (x, y), image in seen.items():
        w, s, e, n = grid.mercator_bounds(z, x, y)
        if w <= nx < e and s <= ny < n:
            assert image[int((n - ny) / (n - s) * 256), int((nx - w) / (e - w) * 256), 3] == 0
    # a tile away from the raster has no pixel at all
    assert render_tile(str(path), z, 0, 0) is None


def test_ramp_is_light_in_the_shallows_and_dark_in_the_deep():
    shallow, deep, land = ramp(np.array([-1.0, -150.0, 10.0]))
    assert shallow.sum() > deep.sum()
    assert land[0] > land[2]  # sand, not sea


def test_topojson_arcs_are_decoded_with_reversal_and_quantization():
    topology = {
        "type": "Topology",
        "transform": {"scale": [1.0, 1.0], "translate": [10.0, 20.0]},
        "arcs": [[[0, 0], [2, 0], [0, 2]], [[2, 2], [-2, 0], [0, -2]]],
        "objects": {"land": {"type": "Polygon", "arcs": [[0, 1]]}},
    }
    (square,) = topojson_geometries(topology, "land")
    assert square.equals(shapely.box(10, 20, 12, 22))
    reversed_arc = dict(topology, objects={"land": {"type": "Polygon", "arcs": [[~1, ~0]]}})
    (again,) = topojson_geometries(reversed_arc, "land")
    assert again.equals(square)


def test_world_atlas_land_is_where_land_is():
    land = shapely.union_all(land_polygons(WORLD_ATLAS / "land-110m.json"))
    # Congo and Brazil are land; the mid-Atlantic and the Indian Ocean are not
    lon, lat = [20.0, -50.0, -30.0, 75.0], [0.0, -10.0, 0.0, -30.0]
    points = shapely.points(*grid.to_mercator(lon, lat))
    assert shapely.contains(land, points).tolist() == [True, True, False, False]


def test_land_across_the_antimeridian_is_cut_there_not_drawn_round_the_world():
    # Fiji's shape in world-atlas: an edge from 179° to -180° (fine on a sphere)
    fiji = shapely.Polygon([(179.0, -17.0), (-179.0, -17.0), (-179.0, -16.0), (179.0, -16.0)])
    parts = split_antimeridian(fiji)
    assert sorted(round(p.area, 6) for p in parts) == [1.0, 1.0]
    assert all(p.bounds[0] >= -180.0 and p.bounds[2] <= 180.0 for p in parts)
    assert not shapely.union_all(parts).contains(shapely.Point(0.0, -16.5))


def test_basemap_tiles_have_no_edge_across_the_world(tmp_path):
    summary = build_basemap(tmp_path / "world.pmtiles", max_zoom=2)
    assert summary["tiles"] > 10
    pack = open_pack(tmp_path / "world.pmtiles")
    longest = 0
    for x in range(4):
        for y in range(4):
            tile = mapbox_vector_tile.decode(pack.tile(2, x, y) or b"")
            for feature in tile.get("coastline", {}).get("features", []):
                geometry = feature["geometry"]
                lines = geometry["coordinates"]
                lines = lines if geometry["type"] == "MultiLineString" else [lines]
                for line in lines:
                    for (x0, y0), (x1, y1) in zip(line, line[1:], strict=False):
                        if min(abs(y0), abs(y1)) < 4096 - 64:  # not the pole's closing edge
                            longest = max(longest, abs(x1 - x0))
    assert longest < 2048  # no coast crosses half a tile in one straight segment at zoom 2


def test_a_large_pmtiles_pack_is_read_through_its_leaf_directories(tmp_path):
    # enough scattered tiles that the writer puts most of the index in leaf directories
    rng = random.Random(1)
    places = {(12, rng.randrange(4096), rng.randrange(4096)) for _ in range(20000)}
    tiles = {(z, x, y): f"{x}/{y}".encode() for z, x, y in places}
    pack = open_pack(write_pmtiles(tmp_path / "big.pmtiles", tiles))
    assert pack.header["leaf_directory_length"] > 0
    assert all(pack.tile(*zxy) == data for zxy, data in tiles.items())
    missing = next((12, x, 0) for x in range(4096) if (12, x, 0) not in tiles)
    assert pack.tile(*missing) is None
