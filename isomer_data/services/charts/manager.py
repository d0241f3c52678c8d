"""Chart resources and their tiles: the logic behind the charts handlers.

Every chart the platform can draw is one Signal K v2 chart resource (the shape
signalk-server's charts plugin gives): the world basemap built at setup, S-57 cells
ingested into ``chart_features`` (vector tiles, ``type: "S-57"``), GeoTIFF/BAG rasters
registered in the catalog (PNG tiles) and MBTiles/PMTiles packs (tiles as stored).
The dataset catalog is the list (``isomer ingest`` writes it, admins and the command line
only); nothing here writes.

Tiles are made or read in worker threads (pymongo, GDAL, SQLite and the PMTiles reader
all block) and kept in a least-recently-used cache bounded in bytes
(``IsomerConfig.chart_tile_cache_bytes``). A tile's key holds the chart's version (when it
was registered), so a chart ingested again is never served from the old cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from isomer_data.core.errors import IsomerError
from isomer_data.tiles import grid
from isomer_data.tiles.basemap import BASEMAP_FILE, BASEMAP_ID

log = logging.getLogger(__name__)

TILE_ROUTE = "signalk/chart-tiles"  # where signalk-server's charts plugin serves tiles
RASTER_DRIVERS = ("GTiff", "COG", "BAG")  # GRIB is weather, not a chart
S57_MAX_ZOOM = 18
MAX_FEATURES_PER_TILE = 50_000
GEO_QUERY_MAX_SPAN = 10.0  # degrees: wider tiles filter by chart only (geodesic edges bow)
MAX_OPEN_PACKS = 32
TILE_WORKERS = 2  # tiles made at once (GDAL, pymongo, SQLite): the machine has few cores
LIST_SECONDS = 2.0  # a chart ingested meanwhile is listed after at most this long
DEFAULT_SCALE = 250_000  # as the charts plugin says for a pack without one
BASEMAP_SCALE = 50_000_000  # Natural Earth 1:50m

CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "avif": "image/avif",
    "pbf": "application/x-protobuf",
}


class ChartNotFound(LookupError):
    """No chart with that identifier: 404."""


@dataclass
class Chart:
    """One chart resource and what its tiles are made from."""

    identifier: str
    name: str
    description: str
    source: str  # "s57", "raster", "pack" or "basemap"
    format: str
    bounds: list[float]
    minzoom: int
    maxzoom: int
    scale: int
    version: str
    path: str | None = None
    layers: list[str] = field(default_factory=list)
    kind: str = "tilelayer"
    compression: str | None = None

    def resource(self, base_url: str) -> dict:
        url = f"{base_url}{TILE_ROUTE}/{self.identifier}/{{z}}/{{x}}/{{y}}"
        extra = {}
        if self.source == "basemap":
            extra["style"] = f"{base_url}{TILE_ROUTE}/{self.identifier}/style.json"
        return {
            "identifier": self.identifier,
            "name": self.name,
            "description": self.description,
            "bounds": self.bounds,
            "minzoom": self.minzoom,
            "maxzoom": self.maxzoom,
            "format": self.format,
            "type": self.kind,
            "scale": self.scale,
            "url": url,
            "tilemapUrl": url,  # the v1 name, for clients that still read it
            "layers": self.layers,
            **extra,
        }


@dataclass
class Tile:
    data: bytes
    content_type: str
    encoding: str | None
    etag: str


class TileCache:
    """Least-recently-used tiles, bounded by the bytes they hold (thread-safe)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max(0, int(max_bytes))
        self.items: OrderedDict[tuple, Tile | None] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self.lock = threading.Lock()

    @staticmethod
    def _size(tile: Tile | None) -> int:
        return 64 + (len(tile.data) if tile is not None else 0)

    def get(self, key: tuple) -> tuple[bool, Tile | None]:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                self.hits += 1
                return True, self.items[key]
            self.misses += 1
            return False, None

    def put(self, key: tuple, tile: Tile | None) -> None:
        size = self._size(tile)
        if size > self.max_bytes:
            return
        with self.lock:
            if key in self.items:
                self.bytes -= self._size(self.items.pop(key))
            self.items[key] = tile
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, old = self.items.popitem(last=False)
                self.bytes -= self._size(old)


class ChartManager:
    """The chart resources and their tiles, for the handlers and the map panel."""

    def __init__(self, platform, basemap: Path = BASEMAP_FILE):
        self.platform = platform
        self.basemap = Path(basemap)
        self.cache = TileCache(platform.config.chart_tile_cache_bytes)
        self.packs: OrderedDict[tuple, Any] = OrderedDict()
        self.packs_lock = threading.Lock()
        self.counts = {"tiles": 0, "empty": 0, "refused": 0, "not_found": 0, "errors": 0}
        self._listed: tuple[float, dict[str, Chart]] | None = None
        # Tiles are made on workers of their own: a map view asking for fifty tiles at once
        # waits here, not in the thread pool the data API and the other services share.
        self.workers = ThreadPoolExecutor(TILE_WORKERS, thread_name_prefix="chart-tiles")

    # --- the resources ------------------------------------------------------------------

    def charts(self) -> dict[str, Chart]:
        """Every chart, by identifier: the basemap first, then the catalog's (blocking).

        Read again at most every ``LIST_SECONDS``: a map view asks for dozens of tiles at
        once, and each needs its chart, not a catalog scan.
        """
        now = time.monotonic()
        listed = self._listed
        if listed is not None and now - listed[0] < LIST_SECONDS:
            return listed[1]
        found = self._read_charts()
        self._listed = (now, found)
        return found

    def _read_charts(self) -> dict[str, Chart]:
        from isomer_data.store.datasets import list_datasets

        found: dict[str, Chart] = {}
        basemap = self._basemap()
        if basemap is not None:
            found[basemap.identifier] = basemap
        for record in list_datasets(self.platform.database.db):
            try:
                chart = chart_of(record)
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("catalog record %s is not a chart: %s", record.get("name"), exc)
                continue
            if chart is not None and chart.identifier not in found:
                found[chart.identifier] = chart
        return found

    def _basemap(self) -> Chart | None:
        try:
            stat = self.basemap.stat()
        except OSError:
            return None
        return Chart(
            identifier=BASEMAP_ID,
            name="World basemap",
            description="Land and coastlines of the world, offline (Natural Earth, public "
            "domain). Charts draw above it.",
            source="basemap",
            format="pbf",
            bounds=[-180.0, -85.0511, 180.0, 85.0511],
            minzoom=0,
            maxzoom=6,
            scale=BASEMAP_SCALE,
            version=str(stat.st_mtime_ns),
            path=str(self.basemap),
            layers=["land", "coastline"],
        )

    async def resources(self, base_url: str) -> dict[str, dict]:
        charts = await asyncio.to_thread(self.charts)
        return {key: chart.resource(base_url) for key, chart in charts.items()}

    async def resource(self, identifier: str, base_url: str) -> dict:
        return (await self.chart(identifier)).resource(base_url)

    async def chart(self, identifier: str) -> Chart:
        charts = await asyncio.to_thread(self.charts)
        if identifier not in charts:
            self.counts["not_found"] += 1
            raise ChartNotFound(identifier)
        return charts[identifier]

    # --- tiles --------------------------------------------------------------------------

    async def tile(self, identifier: str, z: int, x: int, y: int) -> Tile | None:
        """Tile ``z/x/y`` of a chart; None where the chart has nothing there.

        Raises :class:`grid.TileOutOfRange` before anything is read, and
        :class:`ChartNotFound` for an unknown chart.
        """
        try:
            grid.check(z, x, y)
        except grid.TileOutOfRange:
            self.counts["refused"] += 1
            raise
        chart = await self.chart(identifier)
        key = (chart.identifier, chart.version, z, x, y)
        hit, tile = self.cache.get(key)
        if not hit:
            try:
                loop = asyncio.get_running_loop()
                tile = await loop.run_in_executor(self.workers, self._make, chart, z, x, y)
            except IsomerError:
                self.counts["errors"] += 1
                raise
            self.cache.put(key, tile)
        self.counts["tiles" if tile is not None else "empty"] += 1
        return tile

    def _make(self, chart: Chart, z: int, x: int, y: int) -> Tile | None:
        # Made tiles outside the chart are empty without a look; a pack's stated bounds may
        # be loose, so the pack itself is asked.
        if chart.source in ("s57", "raster") and (
            z < chart.minzoom or not _overlaps(chart.bounds, grid.lonlat_bounds(z, x, y))
        ):
            # Below its minzoom a cell or raster is a few pixels: not worth reading all of
            # it (a large GeoTIFF without overviews would be read whole for one tile).
            return None
        encoding = None
        if chart.source in ("pack", "basemap"):
            data = self._pack(chart).tile(z, x, y)
            encoding = chart.compression
        elif chart.source == "s57":
            data = s57_tile(self.platform.database.db, chart.name, z, x, y)
        else:
            from isomer_data.tiles.raster import render_tile

            if not Path(chart.path).exists():
                raise IsomerError(61005, f"{chart.identifier}: {chart.path}")
            try:
                data = render_tile(chart.path, z, x, y)
            except Exception as exc:  # rasterio's errors: the file changed under us
                if type(exc).__module__.startswith("rasterio"):
                    raise IsomerError(61003, f"{chart.path}: {exc}") from exc
                raise
        if not data:
            return None
        if encoding is None and data[:2] == b"\x1f\x8b":
            encoding = "gzip"  # MBTiles vector tiles are usually stored gzipped
        etag = '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
        return Tile(data, CONTENT_TYPES[chart.format], encoding, etag)

    def _pack(self, chart: Chart):
        from isomer_data.tiles.packs import open_pack

        key = (chart.identifier, chart.path, chart.version)
        with self.packs_lock:
            pack = self.packs.get(key)
            if pack is not None:
                self.packs.move_to_end(key)
                return pack
        if not Path(chart.path).exists():
            raise IsomerError(61005, f"{chart.identifier}: {chart.path}")
        pack = open_pack(chart.path)
        with self.packs_lock:
            self.packs[key] = pack
            while len(self.packs) > MAX_OPEN_PACKS:
                # Dropped, not closed: a thread may still be reading it; the garbage
                # collector closes it once nobody does.
                self.packs.popitem(last=False)
        return pack

    def status(self) -> dict:
        """Counts for ``/isomer/api/status`` (public: numbers only, no chart names)."""
        return {
            "basemap": self.basemap.exists(),
            **self.counts,
            "cache_bytes": self.cache.bytes,
            "cache_hits": self.cache.hits,
        }

    def close(self) -> None:
        self.workers.shutdown(wait=False, cancel_futures=True)
        with self.packs_lock:
            self.packs.clear()


LAND, COAST = "#e6d8b0", "#5a4a2a"  # as in the map panel (web/modules/charts.js)


def basemap_style(base: str) -> dict:
    """A MapLibre style drawing the basemap's land and coastline (``base``: absolute)."""
    source = {
        "type": "vector",
        "tiles": [f"{base}{TILE_ROUTE}/{BASEMAP_ID}/{{z}}/{{x}}/{{y}}"],
        "minzoom": 0,
        "maxzoom": 6,
    }
    return {
        "version": 8,
        "name": "World basemap",
        "sources": {BASEMAP_ID: source},
        "layers": [
            {
                "id": "land",
                "type": "fill",
                "source": BASEMAP_ID,
                "source-layer": "land",
                "paint": {"fill-color": LAND},
            },
            {
                "id": "coastline",
                "type": "line",
                "source": BASEMAP_ID,
                "source-layer": "coastline",
                "paint": {"line-color": COAST, "line-width": 0.8},
            },
        ],
    }


def _overlaps(bounds: list[float], tile: tuple[float, float, float, float]) -> bool:
    west, south, east, north = bounds
    tw, ts, te, tn = tile
    if south > tn or north < ts:
        return False
    if west <= east:
        return not (west > te or east < tw)
    return not (west > te and east < tw)  # a chart across the antimeridian


def chart_of(record: dict) -> Chart | None:
    """The chart resource of a catalog record, or None for datasets that are not charts."""
    from isomer_data.tiles.packs import chart_name

    kind, bbox = record.get("kind"), record.get("bbox")
    version = str(record.get("registered", ""))
    if kind == "chart" and bbox:
        minzoom = max(0, grid.zoom_for_extent(bbox) - 2)
        return Chart(
            identifier=chart_name(record["name"]),
            name=record["name"],
            description=_s57_description(record),
            source="s57",
            format="pbf",
            bounds=[float(v) for v in bbox],
            minzoom=minzoom,
            maxzoom=S57_MAX_ZOOM,
            scale=int(record.get("scale") or DEFAULT_SCALE),
            version=version,
            layers=sorted(record.get("layers") or {}),
            kind="S-57",
        )
    if kind == "raster" and bbox and record.get("driver") in RASTER_DRIVERS:
        minzoom = max(0, grid.zoom_for_extent(bbox) - 2)
        return Chart(
            identifier=chart_name(record["name"]),
            name=record["name"],
            description=f"{record.get('driver')} raster {Path(record['path']).name}",
            source="raster",
            format="png",
            bounds=[float(v) for v in bbox],
            minzoom=minzoom,
            maxzoom=max(minzoom, _native_zoom(record)),
            scale=DEFAULT_SCALE,
            version=version,
            path=record["path"],
        )
    if kind == "tiles":
        return Chart(
            identifier=chart_name(record["name"]),
            name=record.get("title") or record["name"],
            description=record.get("description") or "",
            source="pack",
            format=record["format"],
            bounds=[float(v) for v in record["bbox"]],
            minzoom=int(record["minzoom"]),
            maxzoom=int(record["maxzoom"]),
            scale=DEFAULT_SCALE,
            version=version,
            path=record["path"],
            layers=list(record.get("layers") or []),
            compression=record.get("compression"),
        )
    return None


def _s57_description(record: dict) -> str:
    parts = ["S-57 cell"]
    if record.get("edition") is not None:
        parts.append(f"edition {record['edition']}")
    if record.get("update") is not None:
        parts.append(f"update {record['update']}")
    if record.get("issue_date"):
        parts.append(f"issued {record['issue_date']}")
    return ", ".join(parts)


def _native_zoom(record: dict) -> int:
    """The zoom at which one raster pixel is about one screen pixel, plus one."""
    transform = record.get("transform") or []
    try:
        size = abs(float(transform[0]))
    except (IndexError, TypeError, ValueError):
        return 18
    if record.get("epsg") == 4326 or (record.get("crs") or "").startswith("GEOGCRS"):
        size *= 111_320.0  # degrees → metres at the equator
    if size <= 0:
        return 18
    zoom = math.log2(2 * grid.HALF_WORLD / 256 / size)
    return int(min(22, max(0, math.ceil(zoom) + 1)))


def s57_tile(db, chart: str, z: int, x: int, y: int) -> bytes:
    """The MVT of an ingested S-57 cell's features in tile ``z/x/y`` (one layer per class)."""
    from isomer_data.store.datasets import CHART_FEATURES, mongo_database
    from isomer_data.tiles.vector import BUFFER, EXTENT, encode_tile

    west, south, east, north = grid.lonlat_bounds(z, x, y)
    query: dict[str, Any] = {"chart": chart}
    span = east - west
    if span <= GEO_QUERY_MAX_SPAN:
        margin = span * 0.1 + span * BUFFER / EXTENT
        w, s = max(-180.0, west - margin), max(-90.0, south - margin)
        e, n = min(180.0, east + margin), min(90.0, north + margin)
        ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
        query["geometry"] = {
            "$geoIntersects": {"$geometry": {"type": "Polygon", "coordinates": [ring]}}
        }
    cursor = (
        mongo_database(db)[CHART_FEATURES]
        .find(query, {"_id": 0, "layer": 1, "geometry": 1, "properties": 1})
        .limit(MAX_FEATURES_PER_TILE)
    )
    return encode_tile(((d["layer"], d["geometry"], d.get("properties")) for d in cursor), z, x, y)
