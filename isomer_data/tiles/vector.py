"""GeoJSON-like features into one Mapbox Vector Tile (MVT 2.1), with ``mapbox-vector-tile``.

Each feature is ``(layer, geometry, properties)`` with geometry in degrees (shapely or
GeoJSON mapping). It is projected to web mercator, clipped to the tile plus a small buffer
(so lines and fills meet across tile edges), simplified to the tile's resolution, and
encoded into the layer of its name — for S-57 cells the object class (``DEPARE``,
``LNDARE``, …), which is what Freeboard-SK's S-52 style and our map panel look for.

MVT values are strings, numbers and booleans: S-57 list attributes (``COLOUR: ["3", "1"]``)
become comma-separated strings (``"3,1"``), as GDAL writes them and chart styles read them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import shapely

from isomer_data.tiles.grid import mercator_bounds, to_mercator

EXTENT = 4096  # MVT coordinates per tile side
BUFFER = 64  # of EXTENT, drawn beyond each edge


def _project(coords):
    x, y = to_mercator(coords[:, 0], coords[:, 1])
    coords = coords.copy()
    coords[:, 0], coords[:, 1] = x, y
    return coords


def project(geometry: shapely.Geometry) -> shapely.Geometry:
    """A geometry in degrees → EPSG:3857 metres."""
    return shapely.transform(geometry, _project)


def mvt_value(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, bool | int | float | str):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1 << 63:
            return str(value)
        return value
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return json.dumps(value, default=str, sort_keys=True)


def clip_to_tile(
    geometry: shapely.Geometry, z: int, x: int, y: int, buffer: int = BUFFER
) -> shapely.Geometry | None:
    """A projected geometry clipped to the tile and simplified; None when nothing is left."""
    west, south, east, north = mercator_bounds(z, x, y)
    pad = (east - west) * buffer / EXTENT
    if geometry.geom_type not in ("Point", "MultiPoint"):
        geometry = shapely.clip_by_rect(geometry, west - pad, south - pad, east + pad, north + pad)
        if geometry.is_empty:
            return None
        # One MVT unit is finer than any screen pixel; half of it changes nothing visible.
        geometry = shapely.simplify(geometry, (east - west) / EXTENT / 2, preserve_topology=True)
    else:
        geometry = shapely.intersection(
            geometry, shapely.box(west - pad, south - pad, east + pad, north + pad)
        )
    if geometry.is_empty:
        return None
    if geometry.geom_type == "GeometryCollection":
        parts = [g for g in shapely.get_parts(geometry) if not g.is_empty]
        kinds = {g.geom_type.replace("Multi", "") for g in parts}
        if len(kinds) != 1:
            # a clipped polygon touching the edge leaves stray lines/points: keep the areas
            parts = [g for g in parts if g.geom_type.endswith("Polygon")]
            if not parts:
                return None
        geometry = shapely.union_all(parts)
    return geometry


def encode_tile(
    features: Iterable[tuple[str, Any, dict]],
    z: int,
    x: int,
    y: int,
    *,
    projected: bool = False,
) -> bytes:
    """Encode ``(layer, geometry, properties)`` features into tile ``z/x/y`` (MVT bytes).

    ``projected`` says the geometries are already in EPSG:3857 metres. Features wholly
    outside the tile are left out; a tile with none is the empty tile (zero bytes, which
    is a valid MVT).
    """
    import mapbox_vector_tile

    layers: dict[str, list[dict]] = {}
    for layer, geometry, properties in features:
        if not isinstance(geometry, shapely.Geometry):
            geometry = shapely.geometry.shape(geometry)
        if not projected:
            geometry = project(geometry)
        clipped = clip_to_tile(geometry, z, x, y)
        if clipped is None:
            continue
        values = {}
        for key, value in (properties or {}).items():
            converted = mvt_value(value)
            if converted is not None:
                values[str(key)] = converted
        layers.setdefault(layer, []).append({"geometry": clipped, "properties": values})
    if not layers:
        return b""
    return mapbox_vector_tile.encode(
        [{"name": name, "features": items} for name, items in layers.items()],
        default_options={
            "quantize_bounds": mercator_bounds(z, x, y),
            "extents": EXTENT,
            "y_coord_down": False,
            "on_invalid_geometry": mapbox_vector_tile.encoder.on_invalid_geometry_make_valid,
        },
    )
