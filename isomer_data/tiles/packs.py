"""Chart packs a user brings: MBTiles (SQLite) and PMTiles (one file, clustered tiles).

A pack is recognised by its content, never its suffix: MBTiles is an SQLite database with
``tiles`` and ``metadata`` (MBTiles 1.3), PMTiles starts with ``PMTiles`` and version 3.
Packs are *registered*, not copied (as rasters are): the catalog record keeps the path, and
tiles are read from the file as they are asked for. Tiles are served as stored, byte for
byte; a gzip-compressed vector tile goes out with ``Content-Encoding: gzip``.

Reading is bounded by construction: a tile is looked up by its three integers (checked by
:func:`isomer_data.tiles.grid.check` first), never by a path or a name from a client, and a
single tile larger than ``MAX_TILE_BYTES`` is refused rather than sent.
"""

from __future__ import annotations

import json
import re
import sqlite3
import struct
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from isomer_data.core.errors import IsomerError

SQLITE_MAGIC = b"SQLite format 3\x00"
PMTILES_MAGIC = b"PMTiles"
MAX_TILE_BYTES = 8 << 20  # a tile beyond this is a broken pack, not a map
MAX_DIRECTORIES = 64  # decoded PMTiles directories kept per pack (root + leaves)

# Tile formats as the Signal K chart resources name them → HTTP content type.
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "avif": "image/avif",
    "pbf": "application/x-protobuf",
}
# PMTiles v3 header tile_type → format (0 is "unknown": refused).
PMTILES_TYPES = {1: "pbf", 2: "png", 3: "jpg", 4: "webp", 5: "avif"}
GZIP_MAGIC = b"\x1f\x8b"


def pack_kind(path: str | Path) -> str | None:
    """``"mbtiles"``, ``"pmtiles"`` or None, from the file's first bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    if head.startswith(PMTILES_MAGIC) and len(head) > 7 and head[7] == 3:
        return "pmtiles"
    if head == SQLITE_MAGIC:
        return "mbtiles"
    return None


def open_pack(path: str | Path) -> MBTiles | PMTiles:
    """The reader for a pack file; 50740 if it is neither a readable MBTiles nor PMTiles."""
    kind = pack_kind(path)
    if kind == "pmtiles":
        return PMTiles(path)
    if kind == "mbtiles":
        return MBTiles(path)
    raise IsomerError(50740, f"{path}: neither MBTiles (SQLite) nor PMTiles v3")


def describe_pack(path: str | Path, name: str | None = None) -> dict:
    """The catalog record of a pack (kind ``tiles``), from its header and metadata."""
    path = Path(path).resolve()
    pack = open_pack(path)
    try:
        info = pack.info()
    finally:
        pack.close()
    return {
        "name": name or chart_name(path.stem),
        "kind": "tiles",
        "driver": pack.driver,
        "path": str(path),
        "crs": "EPSG:3857",
        **info,
    }


def register_pack(db: Any, path: str | Path, name: str | None = None) -> dict:
    """Register an MBTiles or PMTiles file in the dataset catalog (by its stem unless ``name``)."""
    from isomer_data.store.datasets import register_dataset

    return register_dataset(db, describe_pack(path, name))


def chart_name(text: str) -> str:
    """A chart identifier from a file name: letters, digits, ``_`` and ``-``, 1–64 long."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:64]
    return name or "chart"


def _bounds(value) -> list[float] | None:
    if isinstance(value, str):
        value = value.split(",")
    try:
        west, south, east, north = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south < north <= 90):
        return None
    return [west, south, east, north]


def _zoom(value, default: int) -> int:
    try:
        zoom = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(zoom, 0), 24)


class MBTiles:
    """An MBTiles 1.x file, opened read-only (``mode=ro``: a read-only mount works too)."""

    driver = "MBTiles"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(
                f"file:{quote(str(self.path))}?mode=ro", uri=True, check_same_thread=False
            )
            names = {
                row[0]
                for row in self.db.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                )
            }
        except sqlite3.Error as exc:
            raise IsomerError(50740, f"{self.path}: {exc}") from exc
        if not {"tiles", "metadata"} <= names:
            self.db.close()
            raise IsomerError(50740, f"{self.path}: SQLite without MBTiles tiles and metadata")
        # One connection per pack, used from the server's worker threads in turn.
        self.lock = threading.Lock()

    def close(self) -> None:
        self.db.close()

    def metadata(self) -> dict[str, str]:
        with self.lock:
            try:
                rows = self.db.execute("SELECT name, value FROM metadata").fetchall()
            except sqlite3.Error as exc:
                raise IsomerError(50740, f"{self.path}: {exc}") from exc
        return {str(k): str(v) for k, v in rows if k is not None and v is not None}

    def info(self) -> dict:
        meta = self.metadata()
        fmt = meta.get("format", "").lower()
        fmt = {"jpeg": "jpg", "mvt": "pbf"}.get(fmt, fmt)
        if fmt not in CONTENT_TYPES:
            raise IsomerError(50741, f"{self.path}: format {fmt or 'missing'!r}")
        layers: list[str] = []
        try:
            vector_layers = json.loads(meta.get("json") or "{}").get("vector_layers") or []
            layers = [str(layer["id"]) for layer in vector_layers if "id" in layer][:256]
        except (ValueError, AttributeError, TypeError, KeyError):
            layers = []
        return {
            "title": meta.get("name", "")[:200],
            "description": meta.get("description", "")[:2000],
            "format": fmt,
            "bbox": _bounds(meta.get("bounds", "")) or [-180.0, -85.0511, 180.0, 85.0511],
            "minzoom": _zoom(meta.get("minzoom"), 0),
            "maxzoom": _zoom(meta.get("maxzoom"), 24),
            "layers": layers,
            "compression": None,
        }

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        row = (1 << z) - 1 - y  # MBTiles counts rows from the south (TMS)
        with self.lock:
            try:
                found = self.db.execute(
                    "SELECT tile_data FROM tiles "
                    "WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                    (z, x, row),
                ).fetchone()
            except sqlite3.Error as exc:
                raise IsomerError(50740, f"{self.path}: {exc}") from exc
        if found is None or found[0] is None:
            return None
        data = bytes(found[0])
        if len(data) > MAX_TILE_BYTES:
            raise IsomerError(50740, f"{self.path}: tile {z}/{x}/{y} has {len(data)} bytes")
        return data


class PMTiles:
    """A PMTiles v3 file, read through the ``pmtiles`` package over a memory map."""

    driver = "PMTiles"

    def __init__(self, path: str | Path):
        from pmtiles.reader import MmapSource, Reader

        self.path = Path(path)
        try:
            with open(self.path, "rb") as handle:
                # the map outlives the file object; it is released with the reader
                self.reader = Reader(MmapSource(handle))
            self.header = self.reader.header()
            self.directories: dict[tuple[int, int], list] = {}
            self.lock = threading.Lock()
        except (OSError, ValueError, IndexError, KeyError, struct.error) as exc:
            raise IsomerError(50740, f"{self.path}: {exc}") from exc

    def close(self) -> None:
        self.reader = None

    def info(self) -> dict:
        header = self.header
        fmt = PMTILES_TYPES.get(int(header["tile_type"].value))
        if fmt is None:
            raise IsomerError(50741, f"{self.path}: tile type {header['tile_type']}")
        try:
            meta = self.reader.metadata()
        except (ValueError, OSError, EOFError):
            meta = {}
        if not isinstance(meta, dict):
            meta = {}
        layers = [
            str(layer["id"])
            for layer in (meta.get("vector_layers") or [])
            if isinstance(layer, dict) and "id" in layer
        ][:256]
        bounds = _bounds(
            [
                header["min_lon_e7"] / 1e7,
                header["min_lat_e7"] / 1e7,
                header["max_lon_e7"] / 1e7,
                header["max_lat_e7"] / 1e7,
            ]
        )
        compression = int(header["tile_compression"].value)
        return {
            "title": str(meta.get("name", ""))[:200],
            "description": str(meta.get("description", ""))[:2000],
            "format": fmt,
            "bbox": bounds or [-180.0, -85.0511, 180.0, 85.0511],
            "minzoom": _zoom(header["min_zoom"], 0),
            "maxzoom": _zoom(header["max_zoom"], 24),
            "layers": layers,
            # 2 is gzip in PMTiles v3; other codings (brotli, zstd) browsers may not take
            "compression": {1: None, 2: "gzip"}.get(compression, "unsupported"),
        }

    def _directory(self, offset: int, length: int) -> list:
        from pmtiles.tile import deserialize_directory

        key = (offset, length)
        directory = self.directories.get(key)
        if directory is None:
            directory = deserialize_directory(self.reader.get_bytes(offset, length))
            with self.lock:  # worker threads share the pack
                if len(self.directories) >= MAX_DIRECTORIES:
                    self.directories.pop(next(iter(self.directories)))
                self.directories[key] = directory
        return directory

    def _get(self, z: int, x: int, y: int) -> bytes | None:
        """``Reader.get`` with decoded directories kept: the root is read once, not per tile."""
        from pmtiles.tile import find_tile, zxy_to_tileid

        tile_id = zxy_to_tileid(z, x, y)
        header = self.header
        offset, length = header["root_offset"], header["root_length"]
        for _ in range(4):  # the PMTiles v3 maximum depth
            entry = find_tile(self._directory(offset, length), tile_id)
            if entry is None:
                return None
            if entry.run_length > 0:
                return self.reader.get_bytes(
                    header["tile_data_offset"] + entry.offset, entry.length
                )
            offset, length = header["leaf_directory_offset"] + entry.offset, entry.length
        return None

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        try:
            data = self._get(z, x, y)
        except (ValueError, IndexError, KeyError, OSError, struct.error, EOFError) as exc:
            raise IsomerError(50740, f"{self.path}: {exc}") from exc
        if data is None:
            return None
        if len(data) > MAX_TILE_BYTES:
            raise IsomerError(50740, f"{self.path}: tile {z}/{x}/{y} has {len(data)} bytes")
        return bytes(data)
