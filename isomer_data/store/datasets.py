"""The dataset catalog: what files the platform knows, and how to open them as xarray.

Two collections:

* ``datasets`` — one record per chart cell or raster file, keyed by a unique ``name``:
  ``kind`` (``"chart"`` or ``"raster"``), ``driver``, ``path``, ``crs``, ``bbox``
  (``[west, south, east, north]`` in degrees, longitudes in −180..180), and for rasters the
  ``variables`` (each with its bands, units and, for GRIB, valid times). Rasters are
  *registered*, not copied: the record says how to read the file, so the record is the one
  place that knows which band is which variable.
* ``chart_features`` — GeoJSON features of chart cells (``chart``, ``layer``, ``lnam``,
  ``properties``, ``geometry``) under a 2dsphere index.

Functions take either a pymongo ``Database`` or the platform's
:class:`isomer_data.database.Database`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from bson import ObjectId
from pymongo import ASCENDING, GEOSPHERE, ReturnDocument
from pymongo.database import Database as MongoDatabase

from isomer_data.core.errors import IsomerError

CATALOG = "datasets"
CHART_FEATURES = "chart_features"

# Beyond this many cells a projected grid gets no 2-D lat/lon: two float64 arrays of that
# size would dwarf the data a scientist usually slices out of it.
MAX_AUXILIARY_LATLON_CELLS = 4_000_000

# GDAL's own GRIB longitude adjustment mis-places a 0–360 global grid by half a cell
# (measured with GDAL 3.10: pixel centres 22.5…337.5 °E came back as −180…135); we read
# the file's own longitudes and roll them ourselves, identically for every driver.
RASTER_READ_OPTIONS = {"GRIB_ADJUST_LONGITUDE_RANGE": "NO"}


def mongo_database(db: Any) -> MongoDatabase:
    """The pymongo database behind ``db`` (a pymongo Database or the platform's Database)."""
    if isinstance(db, MongoDatabase):
        return db
    inner = getattr(type(db), "db", None)
    if inner is not None:
        return db.db
    raise TypeError(f"expected a pymongo Database or isomer Database, got {type(db).__name__}")


def ensure_indexes(db: Any) -> None:
    mdb = mongo_database(db)
    wanted = [
        (CATALOG, [("name", ASCENDING)], {"unique": True}),
        (CHART_FEATURES, [("geometry", GEOSPHERE)], {}),
        (CHART_FEATURES, [("chart", ASCENDING), ("layer", ASCENDING)], {}),
    ]
    existing = {name: mdb[name].index_information() for name in (CATALOG, CHART_FEATURES)}
    for collection, keys, options in wanted:
        # Only create what is missing: SecantusDB stores 2dsphere indexes with an explicit
        # version and then rejects the same create_index call as a conflicting spec.
        if not any(spec["key"] == keys for spec in existing[collection].values()):
            mdb[collection].create_index(keys, **options)


def register_dataset(db: Any, record: dict) -> dict:
    """Insert or replace the catalog record called ``record["name"]``; return it with ``id``."""
    mdb = mongo_database(db)
    ensure_indexes(mdb)
    fields = {k: v for k, v in record.items() if k not in ("_id", "id")}
    fields["registered"] = datetime.now(UTC)
    stored = mdb[CATALOG].find_one_and_update(
        {"name": record["name"]},
        {"$set": fields},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    return _public(stored)


def list_datasets(db: Any, kind: str | None = None) -> list[dict]:
    query = {"kind": kind} if kind else {}
    cursor = mongo_database(db)[CATALOG].find(query).sort("name", ASCENDING)
    return [_public(doc) for doc in cursor]


def get_dataset(db: Any, name_or_id: str) -> dict:
    """The catalog record named ``name_or_id``, or whose id it is; 61004 if there is none."""
    collection = mongo_database(db)[CATALOG]
    doc = collection.find_one({"name": str(name_or_id)})
    if doc is None and ObjectId.is_valid(str(name_or_id)):
        doc = collection.find_one({"_id": ObjectId(str(name_or_id))})
    if doc is None:
        raise IsomerError(61004, str(name_or_id))
    return _public(doc)


def _public(doc: dict) -> dict:
    doc = dict(doc)
    doc["id"] = str(doc.pop("_id"))
    return doc


# --- chart features ---------------------------------------------------------------------


def replace_chart_features(db: Any, chart: str, documents: list[dict]) -> None:
    """Store a cell's features in place of the previous ones, never leaving a mixture.

    The new features go in first under a fresh ingest tag and only then are the old ones
    removed; if the insert fails, the partial new set is removed and the old one stays.
    Readers may briefly see both editions, never neither nor half of one.
    """
    collection = mongo_database(db)[CHART_FEATURES]
    ensure_indexes(db)
    tag = uuid.uuid4().hex
    try:
        if documents:
            collection.insert_many([{**doc, "chart": chart, "ingest": tag} for doc in documents])
    except BaseException:
        collection.delete_many({"chart": chart, "ingest": tag})
        raise
    collection.delete_many({"chart": chart, "ingest": {"$ne": tag}})


def find_chart_features(
    db: Any,
    layer: str,
    bbox: tuple[float, float, float, float] | None = None,
    chart: str | None = None,
) -> list[dict]:
    query: dict[str, Any] = {"layer": layer}
    if chart:
        query["chart"] = chart
    if bbox is not None:
        west, south, east, north = (float(v) for v in bbox)
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        query["geometry"] = {
            "$geoIntersects": {"$geometry": {"type": "Polygon", "coordinates": [ring]}}
        }
    projection = {"_id": 0, "ingest": 0}
    return list(mongo_database(db)[CHART_FEATURES].find(query, projection))


# --- opening rasters ----------------------------------------------------------------------


def open_dataset(db: Any, name_or_id: str) -> xr.Dataset:
    """Open a registered raster as an ``xarray.Dataset`` (see :func:`open_record`)."""
    return open_record(get_dataset(db, name_or_id))


def open_record(record: dict) -> xr.Dataset:
    """Read the file a catalog record describes into an ``xarray.Dataset``.

    Geographic grids get ``lat``/``lon`` dimensions with longitudes in −180..180 (GRIB's
    0–360 grids are rolled); projected grids keep ``y``/``x`` and get 2-D ``lat``/``lon``
    coordinates. Variables with valid times (GRIB) get a ``time`` dimension. The CRS is
    attached with rioxarray.
    """
    import rasterio
    import rioxarray  # noqa: F401 - registers the .rio accessor

    if record.get("kind") == "chart":
        raise IsomerError(61006, record["name"])
    path = Path(record["path"])
    if not path.exists():
        raise IsomerError(61005, f"{record['name']}: {path}")
    try:
        with rasterio.Env(**RASTER_READ_OPTIONS), rasterio.open(path) as src:
            crs = src.crs
            transform = src.transform
            height, width = src.height, src.width
            bands = {
                band: src.read(band, masked=True)
                for variable in record["variables"]
                for band in variable["bands"]
            }
    except rasterio.errors.RasterioError as exc:
        raise IsomerError(61003, f"{path}: {exc}") from exc

    xs = transform.c + (np.arange(width) + 0.5) * transform.a
    ys = transform.f + (np.arange(height) + 0.5) * transform.e
    geographic = bool(crs and crs.is_geographic)
    order = slice(None)
    if geographic:
        xs = (xs + 180.0) % 360.0 - 180.0
        order = np.argsort(xs, kind="stable")
        xs = xs[order]
    xdim, ydim = ("lon", "lat") if geographic else ("x", "y")

    times = sorted({t for v in record["variables"] for t in v.get("times") or []})
    data_vars = {}
    for variable in record["variables"]:
        grids = [_filled(bands[band])[:, order] for band in variable["bands"]]
        attrs = {
            key: variable[key]
            for key in ("units", "long_name", "standard_name")
            if variable.get(key)
        }
        if variable.get("times"):
            stack = np.full((len(times), height, width), np.nan, dtype=grids[0].dtype)
            for grid, when in zip(grids, variable["times"], strict=True):
                stack[times.index(when)] = grid
            data_vars[variable["name"]] = (("time", ydim, xdim), stack, attrs)
        else:
            data_vars[variable["name"]] = ((ydim, xdim), grids[0], attrs)

    coords: dict[str, Any] = {xdim: xs, ydim: ys}
    if times:
        coords["time"] = np.array([np.datetime64(int(t), "s") for t in times], "datetime64[ns]")
    ds = xr.Dataset(data_vars, coords=coords)
    _describe_coords(ds, geographic, crs, xs, ys)
    ds.attrs.update(
        {
            "Conventions": "CF-1.8",
            "title": record["name"],
            "source": str(path),
            "isomer_driver": record.get("driver", ""),
        }
    )
    if record.get("reference_time") is not None:
        ds.attrs["reference_time"] = str(np.datetime64(int(record["reference_time"]), "s")) + "Z"
    if crs:
        ds = ds.rio.set_spatial_dims(x_dim=xdim, y_dim=ydim).rio.write_crs(crs)
    return ds


def _filled(masked: np.ma.MaskedArray) -> np.ndarray:
    """Nodata becomes NaN (floats are promoted so the gap is visible, not a sentinel)."""
    if not np.ma.is_masked(masked):
        return np.asarray(masked.data)
    dtype = masked.dtype if masked.dtype.kind == "f" else np.float64
    return masked.astype(dtype).filled(np.nan)


def _describe_coords(ds: xr.Dataset, geographic: bool, crs, xs, ys) -> None:
    if geographic:
        ds["lon"].attrs = {
            "units": "degrees_east",
            "standard_name": "longitude",
            "long_name": "longitude",
        }
        ds["lat"].attrs = {
            "units": "degrees_north",
            "standard_name": "latitude",
            "long_name": "latitude",
        }
        return
    ds["x"].attrs = {"standard_name": "projection_x_coordinate", "long_name": "x", "units": "m"}
    ds["y"].attrs = {"standard_name": "projection_y_coordinate", "long_name": "y", "units": "m"}
    if crs is None or len(xs) * len(ys) > MAX_AUXILIARY_LATLON_CELLS:
        return
    from pyproj import CRS, Transformer

    horizontal = CRS.from_user_input(crs.to_wkt())
    if horizontal.is_compound:
        horizontal = horizontal.sub_crs_list[0]
    to_lonlat = Transformer.from_crs(horizontal, "EPSG:4326", always_xy=True)
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = to_lonlat.transform(gx, gy)
    ds.coords["lon"] = (("y", "x"), lon, {"units": "degrees_east", "standard_name": "longitude"})
    ds.coords["lat"] = (("y", "x"), lat, {"units": "degrees_north", "standard_name": "latitude"})
