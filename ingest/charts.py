"""S-57 electronic chart cells into MongoDB as GeoJSON features, and the file dispatcher.

``isomer ingest`` hands any file for which :func:`is_chart_or_raster` is true to
:func:`ingest_file`: S-57 cells come here, GeoTIFF/BAG/GRIB go to :mod:`isomer_data.ingest.rasters`.

A cell is read completely (every layer, through pyogrio's S57 driver) and converted before
anything is written, so a corrupt cell stores nothing; the features then replace the cell's
previous ones in one step (see :func:`isomer_data.store.datasets.replace_chart_features`).

The S57 driver is opened with ``SPLIT_MULTIPOINT=ON`` and ``ADD_SOUNDG_DEPTH=ON``: a SOUNDG
record is one multipoint with depths as Z, and we want one document per sounding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from isomer_data.core.errors import IsomerError
from isomer_data.store.datasets import register_dataset, replace_chart_features

# The object classes taken by default; others can be asked for by name.
DEFAULT_LAYERS = (
    "DEPARE",
    "DEPCNT",
    "SOUNDG",
    "COALNE",
    "LNDARE",
    "BOYLAT",
    "BOYCAR",
    "LIGHTS",
    "WRECKS",
    "OBSTRN",
)

S57_OPEN_OPTIONS = {
    "SPLIT_MULTIPOINT": "ON",  # one point feature per sounding
    "ADD_SOUNDG_DEPTH": "ON",  # ... with its depth also as a DEPTH attribute
    "UPDATES": "APPLY",  # apply CELL.001, .002 … found beside the base cell
    "RETURN_LINKAGES": "OFF",
    "LNAM_REFS": "ON",
    "RECODE_BY_DSSI": "ON",  # national attributes in UCS-2 become UTF-8
}

# Record plumbing of the S-57 data structure, not attributes of the charted object.
RECORD_FIELDS = {
    "RCID",
    "PRIM",
    "GRUP",
    "OBJL",
    "RVER",
    "AGEN",
    "FIDN",
    "FIDS",
    "LNAM",
    "LNAM_REFS",
    "FFPT_RIND",
}

# Attributes that are depths, in the cell's depth unit (DSPM.DUNI).
DEPTH_ATTRIBUTES = ("DRVAL1", "DRVAL2", "VALDCO", "VALSOU", "DEPTH")
# DSPM.DUNI → metres per unit (S-57 3.1 §7.3.1.2; ENCs are always 1, metres).
DEPTH_UNITS = {1: 1.0, 2: 1.8288, 3: 0.3048, 4: 1.8288}

ISO8211_LEADER = re.compile(rb"^\d{5}3LE1 ")
S57_SUFFIX = re.compile(r"^\.\d{3}$")


# --- dispatch used by ``isomer ingest`` --------------------------------------------------


def is_chart_or_raster(path: str | Path) -> bool:
    """Whether ``isomer ingest`` should hand ``path`` to :func:`ingest_file`.

    Decided from the file's first bytes (ISO 8211, TIFF, HDF5/BAG, GRIB, SQLite for
    MBTiles, PMTiles) or, if it cannot
    be read, its suffix; NMEA logs and live sources answer False.
    """
    return _file_kind(Path(path)) is not None


def ingest_file(db: Any, path: str | Path) -> dict:
    """Ingest one chart cell or register one raster; return a summary of what was stored.

    The summary has ``kind`` (``"chart"``, ``"raster"`` or ``"tiles"`` for an MBTiles or
    PMTiles chart pack), ``name``, ``path`` and the counts (``layers`` and ``features`` for
    charts, ``variables`` and ``times`` for rasters, the zoom range for packs).
    Raises :class:`IsomerError` 61001 for other files, 61002/61003/50740 for unreadable ones.
    """
    path = Path(path)
    kind = _file_kind(path)
    if kind == "chart":
        return ingest_chart(db, path)
    if kind == "raster":
        from isomer_data.ingest.rasters import register_raster

        record = register_raster(db, path)
        return {
            "kind": "raster",
            "name": record["name"],
            "id": record["id"],
            "path": record["path"],
            "driver": record["driver"],
            "variables": [v["name"] for v in record["variables"]],
            "times": len({t for v in record["variables"] for t in v.get("times") or []}),
        }
    if kind == "tiles":
        from isomer_data.tiles.packs import register_pack

        record = register_pack(db, path)
        return {
            "kind": "tiles",
            "name": record["name"],
            "id": record["id"],
            "path": record["path"],
            "driver": record["driver"],
            "format": record["format"],
            "minzoom": record["minzoom"],
            "maxzoom": record["maxzoom"],
        }
    raise IsomerError(61001, str(path))


def _file_kind(path: Path) -> str | None:
    from isomer_data.ingest.rasters import RASTER_MAGIC, RASTER_SUFFIXES

    from isomer_data.tiles.packs import PMTILES_MAGIC, SQLITE_MAGIC

    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        head = b""
    if ISO8211_LEADER.match(head):
        return "chart"
    if head.startswith(SQLITE_MAGIC) or head.startswith(PMTILES_MAGIC):
        return "tiles"  # MBTiles / PMTiles chart packs, told apart by content when opened
    if any(head.startswith(magic) for magic in RASTER_MAGIC):
        return "raster"
    suffix = path.suffix.lower()
    if S57_SUFFIX.match(suffix):
        return "chart"
    if suffix in RASTER_SUFFIXES:
        return "raster"
    return None


# --- S-57 ------------------------------------------------------------------------------


def read_cell(path: str | Path, layers: Iterable[str] | None = None) -> dict:
    """Read an S-57 cell into ``{"header": {...}, "features": [documents], "bbox": [...]}``.

    Pure reading, no database: documents are ``{layer, lnam, properties, geometry}`` with
    GeoJSON geometry in WGS 84 and depths as float metres. Raises 61002 if the file is not
    a readable S-57 cell.
    """
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError
    from shapely.errors import ShapelyError

    path = Path(path)
    wanted = set(DEFAULT_LAYERS if layers is None else layers)
    try:
        with open(path, "rb") as handle:
            if not ISO8211_LEADER.match(handle.read(16)):
                raise IsomerError(61002, f"{path}: not an ISO 8211 file")
        available = [name for name, _ in pyogrio.list_layers(path)]
        if "DSID" not in available:
            raise IsomerError(61002, f"{path}: no DSID record")
        header = _header(pyogrio.read_arrow(path, layer="DSID", **S57_OPEN_OPTIONS)[1])
        factor = DEPTH_UNITS.get(header.get("depth_unit") or 1, 1.0)
        documents: list[dict] = []
        for layer in sorted(wanted.intersection(available)):
            _, table = pyogrio.read_arrow(path, layer=layer, **S57_OPEN_OPTIONS)
            documents.extend(_documents(layer, table, factor))
    except (DataSourceError, DataLayerError, OSError, RuntimeError, ShapelyError) as exc:
        raise IsomerError(61002, f"{path}: {exc}") from exc
    header["cell"] = header.get("cell") or path.stem
    geometries = [shapely.geometry.shape(doc["geometry"]) for doc in documents]
    bbox = list(shapely.GeometryCollection(geometries).bounds) if geometries else None
    return {"header": header, "features": documents, "bbox": bbox}


def ingest_chart(db: Any, path: str | Path, layers: Iterable[str] | None = None) -> dict:
    """Read an S-57 cell and store its features, replacing the cell's previous ones.

    Returns the summary of :func:`ingest_file`; the cell is also recorded in the dataset
    catalog under its cell name (edition, update, issue date, bbox, counts per layer).
    """
    path = _base_cell(Path(path).resolve())
    cell = read_cell(path, layers)
    header = cell["header"]
    counts: dict[str, int] = {}
    for doc in cell["features"]:
        counts[doc["layer"]] = counts.get(doc["layer"], 0) + 1
    replace_chart_features(db, header["cell"], cell["features"])
    record = register_dataset(
        db,
        {
            "name": header["cell"],
            "kind": "chart",
            "driver": "S57",
            "path": str(path),
            "crs": "EPSG:4326",
            "bbox": cell["bbox"],
            "edition": header.get("edition"),
            "update": header.get("update"),
            "issue_date": header.get("issue_date"),
            "update_date": header.get("update_date"),
            "agency": header.get("agency"),
            "scale": header.get("scale"),
            "layers": counts,
            "features": len(cell["features"]),
        },
    )
    return {
        "kind": "chart",
        "name": record["name"],
        "id": record["id"],
        "path": record["path"],
        "edition": record["edition"],
        "update": record["update"],
        "layers": counts,
        "features": len(cell["features"]),
    }


def _base_cell(path: Path) -> Path:
    """An update file (CELL.001…) stands for its base cell, which GDAL reads with updates."""
    if S57_SUFFIX.match(path.suffix) and path.suffix != ".000":
        base = path.with_suffix(".000")
        if not base.exists():
            raise IsomerError(61002, f"{path} is an update; its base cell {base.name} is missing")
        return base
    return path


def _header(table) -> dict:
    rows = table.to_pylist()
    row = rows[0] if rows else {}

    def number(key):
        value = row.get(key)
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    name = (row.get("DSID_DSNM") or "").strip()
    return {
        "cell": Path(name).stem if name else None,
        "edition": number("DSID_EDTN"),
        "update": number("DSID_UPDN"),
        "issue_date": _iso_date(row.get("DSID_ISDT")),
        "update_date": _iso_date(row.get("DSID_UADT")),
        "agency": number("DSID_AGEN"),
        "scale": number("DSPM_CSCL"),
        "depth_unit": number("DSPM_DUNI"),
    }


def _iso_date(value) -> str | None:
    text = (value or "").strip()
    if re.fullmatch(r"\d{8}", text):
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text or None


def _documents(layer: str, table, depth_factor: float) -> list[dict]:
    geometry_column = next(
        (name for name in table.column_names if name in ("wkb_geometry", "geometry")), None
    )
    if geometry_column is None:
        return []
    geometries = shapely.from_wkb(np.asarray(table[geometry_column].to_pylist(), dtype=object))
    rows = table.drop_columns([geometry_column]).to_pylist()
    documents = []
    for row, geom in zip(rows, geometries, strict=True):
        if geom is None or geom.is_empty:
            continue
        properties = {
            key: _plain(value)
            for key, value in row.items()
            if key not in RECORD_FIELDS and value is not None and value != []
        }
        if layer == "SOUNDG" and shapely.has_z(geom):
            # The sounding's depth is its Z coordinate; DEPTH (ADD_SOUNDG_DEPTH) agrees.
            properties["DEPTH"] = float(shapely.get_coordinates(geom, include_z=True)[0, 2])
        for key in DEPTH_ATTRIBUTES:
            if key in properties:
                properties[key] = float(properties[key]) * depth_factor
        geom = shapely.force_2d(geom)
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        documents.append(
            {
                "layer": layer,
                "lnam": row.get("LNAM"),
                "properties": properties,
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    return documents


def _plain(value):
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
