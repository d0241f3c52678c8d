"""The web-mercator XYZ tile grid (EPSG:3857, 256-pixel tiles, y counted from the north).

Everything a client sends is checked here before any file or database is touched: zoom
levels ``0..MAX_ZOOM`` and ``0 <= x, y < 2**z``.
"""

from __future__ import annotations

import math

import numpy as np

MAX_ZOOM = 24  # beyond any chart's scale; a larger z is refused, never computed
EARTH_RADIUS = 6378137.0
HALF_WORLD = math.pi * EARTH_RADIUS  # metres from the origin to the grid's edge
MAX_LATITUDE = 85.0511287798066  # where the square mercator world ends


class TileOutOfRange(ValueError):
    """z/x/y outside the grid: 400 for a client, never a file or database read."""


def check(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise TileOutOfRange(f"zoom {z} is outside 0..{MAX_ZOOM}")
    side = 1 << z
    if not (0 <= x < side and 0 <= y < side):
        raise TileOutOfRange(f"tile {z}/{x}/{y} is outside the grid (0..{side - 1} at zoom {z})")


def mercator_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of a tile in EPSG:3857 metres."""
    size = 2 * HALF_WORLD / (1 << z)
    west = -HALF_WORLD + x * size
    north = HALF_WORLD - y * size
    return west, north - size, west + size, north


def lonlat_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of a tile in degrees."""
    n = 1 << z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def to_mercator(lon, lat):
    """Degrees to EPSG:3857 metres (arrays or numbers); latitudes clamped to the grid."""
    lon = np.asarray(lon, dtype=float)
    lat = np.clip(np.asarray(lat, dtype=float), -MAX_LATITUDE, MAX_LATITUDE)
    x = np.radians(lon) * EARTH_RADIUS
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * EARTH_RADIUS
    return x, y


def tiles_covering(bbox: tuple[float, float, float, float], z: int) -> tuple[range, range]:
    """The x and y ranges of the zoom-``z`` tiles that cover ``(west, south, east, north)``."""
    west, south, east, north = bbox
    n = 1 << z
    (x0, x1), (y_south, y_north) = to_mercator([west, east], [south, north])

    def column(value: float) -> int:
        return min(n - 1, max(0, int((value + HALF_WORLD) / (2 * HALF_WORLD) * n)))

    def row(value: float) -> int:
        return min(n - 1, max(0, int((HALF_WORLD - value) / (2 * HALF_WORLD) * n)))

    return range(column(x0), column(x1) + 1), range(row(y_north), row(y_south) + 1)


def zoom_for_extent(bbox: tuple[float, float, float, float], pixels: int = 512) -> int:
    """The zoom at which ``bbox`` spans about ``pixels`` screen pixels (for ``minzoom``)."""
    west, _, east, _ = bbox
    span = max(east - west, 1e-9)
    return int(max(0, min(MAX_ZOOM, math.floor(math.log2(360.0 * pixels / 256 / span)))))
