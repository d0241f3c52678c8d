"""The offline world basemap: Natural Earth land, built into vector tiles at setup.

The land comes from the npm registry (``world-atlas``, ISC; Natural Earth, public domain:
``land-110m.json`` and ``land-50m.json``, TopoJSON) into the panels' npm folder when
``scripts/install`` runs. :func:`build_basemap` turns it into one PMTiles pack of
Mapbox Vector Tiles, zoom 0 to :data:`MAX_ZOOM`, with two layers: ``land`` (polygons) and
``coastline`` (their outlines, so a coast is drawn without the tile-edge seams a polygon
outline would show). Tiles with no land are left out (the sea is the map's background).
The 1:110 m land serves zoom 0–2, the 1:50 m land the rest; clients over-zoom beyond
:data:`MAX_ZOOM`. The pack is a few MB and is then served like any chart pack.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
import shapely.affinity

from isomer_data.core.errors import IsomerError
from isomer_data.tiles.grid import mercator_bounds

MAX_ZOOM = 6
BUILD_VERSION = 2  # in the pack's metadata: setup rebuilds a pack made by another version
COARSE_UNTIL = 2  # land-110m up to this zoom, land-50m above
BASEMAP_ID = "world-basemap"
PANELS_NPM = Path(__file__).resolve().parents[1] / "services" / "panels" / "npm"
WORLD_ATLAS = PANELS_NPM / "node_modules" / "world-atlas"
BASEMAP_FILE = Path(__file__).resolve().parent / "data" / "world.pmtiles"
ATTRIBUTION = "Natural Earth (public domain), via world-atlas"


def topojson_geometries(topology: dict, name: str) -> list[shapely.Geometry]:
    """The geometries of object ``name`` of a TopoJSON topology, as shapely (degrees).

    TopoJSON stores shared arcs once, delta-encoded on an integer grid (``transform``);
    a ring lists arc indexes, ``~i`` (negative) meaning arc ``i`` reversed.
    """
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        points = np.asarray(arc, dtype=float)
        if transform:
            points = np.cumsum(points, axis=0)
            points = points * transform["scale"] + transform["translate"]
        arcs.append(points)

    def ring(indexes: list[int]) -> np.ndarray:
        parts = []
        for i, index in enumerate(indexes):
            points = arcs[~index][::-1] if index < 0 else arcs[index]
            parts.append(points if i == 0 else points[1:])
        return np.concatenate(parts)

    def polygon(rings: list[list[int]]) -> shapely.Polygon:
        shell, *holes = (ring(r) for r in rings)
        return shapely.Polygon(shell, holes)

    def geometry(item: dict) -> list[shapely.Geometry]:
        kind = item.get("type")
        if kind == "GeometryCollection":
            return [g for sub in item.get("geometries", []) for g in geometry(sub)]
        if kind == "Polygon":
            return [polygon(item["arcs"])]
        if kind == "MultiPolygon":
            return [polygon(rings) for rings in item["arcs"]]
        return []

    return geometry(topology["objects"][name])


def _unwrapped(ring: np.ndarray) -> np.ndarray:
    """A ring whose longitudes run on across the antimeridian instead of jumping 360°.

    world-atlas is made for spherical rendering: a polygon crossing 180° (Fiji, Chukotka)
    keeps an edge from 179° to -180°, which flat tiles would draw across the whole world.
    A ring around a pole (Antarctica) comes back 360° from where it began: it is closed
    along the pole.
    """
    lon = np.degrees(np.unwrap(np.radians(ring[:, 0])))
    lat = ring[:, 1]
    if abs(lon[-1] - lon[0]) > 180.0:
        pole = -90.0 if lat.mean() < 0 else 90.0
        lon = np.concatenate([lon, [lon[-1], lon[0], lon[0]]])
        lat = np.concatenate([lat, [pole, pole, lat[0]]])
    return np.column_stack([lon, lat])


def split_antimeridian(polygon: shapely.Polygon) -> list[shapely.Polygon]:
    """A polygon in degrees as parts within -180..180 (cut at the antimeridian)."""
    coords = np.asarray(polygon.exterior.coords)
    if not (np.abs(np.diff(coords[:, 0])) > 180.0).any():
        return [polygon]
    shell = _unwrapped(coords)
    holes = [_unwrapped(np.asarray(ring.coords)) for ring in polygon.interiors]
    whole = shapely.make_valid(shapely.Polygon(shell, holes))
    parts = []
    for shift in (-360.0, 0.0, 360.0):
        window = shapely.box(-180.0 - shift, -90.0, 180.0 - shift, 90.0)
        piece = shapely.affinity.translate(shapely.intersection(whole, window), shift)
        parts.extend(g for g in shapely.get_parts(piece) if g.geom_type == "Polygon" and g.area > 0)
    return parts


def land_polygons(path: Path) -> list[shapely.Geometry]:
    """Land polygons of a world-atlas file, in EPSG:3857 metres, valid."""
    from isomer_data.tiles.vector import project

    try:
        topology = json.loads(path.read_text())
        polygons = topojson_geometries(topology, "land")
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise IsomerError(50742, f"{path}: {exc}") from exc
    projected = []
    for polygon in (part for whole in polygons for part in split_antimeridian(whole)):
        geometry = project(polygon)
        if not geometry.is_valid:
            geometry = shapely.make_valid(geometry)
        projected.extend(
            g for g in shapely.get_parts(geometry) if g.geom_type == "Polygon" and g.area > 0
        )
    return projected


def build_basemap(
    target: Path = BASEMAP_FILE,
    source: Path = WORLD_ATLAS,
    max_zoom: int = MAX_ZOOM,
) -> dict:
    """Write the basemap PMTiles from world-atlas; return ``{"tiles", "bytes", "path"}``.

    Written to a temporary file beside ``target`` and renamed, so a server reading the old
    pack never sees half a new one.
    """
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    from isomer_data.tiles.vector import encode_tile

    coarse, fine = source / "land-110m.json", source / "land-50m.json"
    for needed in (coarse, fine):
        if not needed.exists():
            raise IsomerError(50742, f"{needed} is missing")
    sets = {"coarse": land_polygons(coarse), "fine": land_polygons(fine)}
    trees = {key: shapely.STRtree(polygons) for key, polygons in sets.items()}

    tiles: list[tuple[int, bytes]] = []
    for z in range(max_zoom + 1):
        key = "coarse" if z <= COARSE_UNTIL else "fine"
        polygons, tree = sets[key], trees[key]
        side = 1 << z
        for x in range(side):
            for y in range(side):
                west, south, east, north = mercator_bounds(z, x, y)
                hits = tree.query(shapely.box(west, south, east, north))
                if len(hits) == 0:
                    continue
                features = []
                for index in hits:
                    polygon = polygons[index]
                    features.append(("land", polygon, {}))
                    features.append(("coastline", polygon.boundary, {}))
                data = encode_tile(features, z, x, y, projected=True)
                if data:
                    tiles.append((zxy_to_tileid(z, x, y), data))
    tiles.sort()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with open(partial, "wb") as handle:
        writer = Writer(handle)
        for tile_id, data in tiles:
            writer.write_tile(tile_id, data)
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.NONE,
                "min_zoom": 0,
                "max_zoom": max_zoom,
                "min_lon_e7": -1800000000,
                "min_lat_e7": -850511287,
                "max_lon_e7": 1800000000,
                "max_lat_e7": 850511287,
                "center_zoom": 0,
                "center_lon_e7": 0,
                "center_lat_e7": 0,
            },
            {
                "name": "World basemap",
                "description": "Land and coastlines of the world (Natural Earth 1:110m and "
                "1:50m), offline.",
                "attribution": ATTRIBUTION,
                "isomer_basemap_version": BUILD_VERSION,
                "vector_layers": [
                    {"id": "land", "fields": {}, "minzoom": 0, "maxzoom": max_zoom},
                    {"id": "coastline", "fields": {}, "minzoom": 0, "maxzoom": max_zoom},
                ],
            },
        )
    partial.replace(target)
    return {"tiles": len(tiles), "bytes": target.stat().st_size, "path": str(target)}
