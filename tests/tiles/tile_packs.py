"""Tiny chart packs with known tiles, written the way their producers write them.

MBTiles through SQLite itself (the MBTiles 1.3 tables, rows counted from the south),
PMTiles through the ``pmtiles`` package's writer. Each tile is a distinct small PNG (one
colour per tile), so "served byte for byte" is checked against the bytes written.
"""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
from pathlib import Path

from PIL import Image

# (z, x, y) in XYZ (y from the north) → the tile's colour
TILES = {
    (0, 0, 0): (10, 20, 30),
    (1, 0, 0): (200, 0, 0),
    (1, 1, 1): (0, 200, 0),
    (2, 2, 1): (0, 0, 200),
}


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, format="PNG")
    return out.getvalue()


def tile_bytes() -> dict[tuple[int, int, int], bytes]:
    return {zxy: png(colour) for zxy, colour in TILES.items()}


def write_mbtiles(
    path: str | Path,
    tiles: dict[tuple[int, int, int], bytes] | None = None,
    *,
    fmt: str = "png",
    name: str = "Test pack",
    bounds: str = "-10,40,10,60",
    vector_layers: list[str] | None = None,
) -> Path:
    path = Path(path)
    tiles = tile_bytes() if tiles is None else tiles
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
        "tile_data BLOB)"
    )
    meta = {
        "name": name,
        "format": fmt,
        "bounds": bounds,
        "minzoom": str(min(z for z, _, _ in tiles)),
        "maxzoom": str(max(z for z, _, _ in tiles)),
        "description": "made by the test",
    }
    if vector_layers:
        meta["json"] = json.dumps({"vector_layers": [{"id": v} for v in vector_layers]})
    db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    db.executemany(
        "INSERT INTO tiles VALUES (?, ?, ?, ?)",
        [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()],
    )
    db.commit()
    db.close()
    return path


def write_pmtiles(
    path: str | Path,
    tiles: dict[tuple[int, int, int], bytes] | None = None,
    *,
    vector: bool = False,
    gzipped: bool = False,
) -> Path:
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    path = Path(path)
    tiles = tile_bytes() if tiles is None else tiles
    with open(path, "wb") as handle:
        writer = Writer(handle)
        for tile_id, data in sorted((zxy_to_tileid(*zxy), data) for zxy, data in tiles.items()):
            writer.write_tile(tile_id, gzip.compress(data, mtime=0) if gzipped else data)
        writer.finalize(
            {
                "tile_type": TileType.MVT if vector else TileType.PNG,
                "tile_compression": Compression.GZIP if gzipped else Compression.NONE,
                "min_zoom": min(z for z, _, _ in tiles),
                "max_zoom": max(z for z, _, _ in tiles),
                "min_lon_e7": -100000000,
                "min_lat_e7": 400000000,
                "max_lon_e7": 100000000,
                "max_lat_e7": 600000000,
                "center_zoom": 1,
                "center_lon_e7": 0,
                "center_lat_e7": 500000000,
            },
            {"name": "Test PMTiles", "vector_layers": [{"id": "water"}] if vector else []},
        )
    return path
