"""Charts and gridded datasets for scientists: list them, open them, read chart layers.

>>> from isomer_data import catalog
>>> catalog.list_datasets(db)                      # doctest: +SKIP
>>> ds = catalog.open_dataset(db, "gfs_solent")    # doctest: +SKIP
>>> depths = catalog.chart_layer(db, "DEPARE", bbox=(-1.4, 50.6, -1.0, 50.9))  # doctest: +SKIP

``db`` is the platform's :class:`isomer_data.database.Database` or a pymongo database.
Files get into the catalog with ``isomer ingest PATH``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import xarray as xr

from isomer_data.store import datasets as _store

__all__ = ["chart_layer", "list_datasets", "open_dataset"]

_LIST_COLUMNS = [
    "id",
    "name",
    "kind",
    "driver",
    "path",
    "epsg",
    "bbox",
    "shape",
    "variables",
    "times",
    "edition",
    "update",
    "features",
    "registered",
]


def list_datasets(db: Any, kind: str | None = None) -> pd.DataFrame:
    """Every chart cell and raster in the catalog, one row each.

    Parameters
    ----------
    db : isomer_data.database.Database or pymongo.database.Database
    kind : {"chart", "raster"}, optional
        Only this kind of dataset.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``name``, ``kind``, ``driver``, ``path``, ``epsg``, ``bbox``
        (west, south, east, north in degrees), ``shape``, ``variables`` (names),
        ``times`` (number of time steps), ``edition``, ``update``, ``features`` (charts)
        and ``registered`` (UTC).

    Examples
    --------
    >>> list_datasets(db, kind="raster")[["name", "variables"]]  # doctest: +SKIP
    """
    rows = []
    for record in _store.list_datasets(db, kind):
        row = {column: record.get(column) for column in _LIST_COLUMNS}
        variables = record.get("variables") or []
        row["variables"] = [v["name"] for v in variables]
        row["times"] = len({t for v in variables for t in v.get("times") or []})
        rows.append(row)
    return pd.DataFrame(rows, columns=_LIST_COLUMNS)


def open_dataset(db: Any, name_or_id: str) -> xr.Dataset:
    """Open a registered GeoTIFF, BAG or GRIB file as an ``xarray.Dataset``.

    Parameters
    ----------
    db : isomer_data.database.Database or pymongo.database.Database
    name_or_id : str
        The dataset's ``name`` or ``id`` as shown by :func:`list_datasets`.

    Returns
    -------
    xarray.Dataset
        Geographic grids have ``lat``/``lon`` dimensions, longitudes in −180..180;
        projected ones ``y``/``x`` with 2-D ``lat``/``lon`` coordinates. GRIB variables
        (``u10``, ``v10``, ``msl``, …) have a ``time`` dimension. Every variable has CF
        ``units`` and ``long_name``; the CRS is available as ``ds.rio.crs``. Nodata is NaN.

    Raises
    ------
    IsomerError
        61004 if there is no such dataset, 61005 if its file has gone, 61006 for a chart.

    Examples
    --------
    >>> ds = open_dataset(db, "gfs")                       # doctest: +SKIP
    >>> ds.u10.sel(lat=50.5, lon=-1.2, method="nearest")   # doctest: +SKIP
    """
    return _store.open_dataset(db, name_or_id)


def chart_layer(
    db: Any,
    layer: str,
    bbox: tuple[float, float, float, float] | None = None,
    *,
    chart: str | None = None,
) -> gpd.GeoDataFrame:
    """The features of one S-57 layer (object class) from every ingested chart cell.

    Parameters
    ----------
    db : isomer_data.database.Database or pymongo.database.Database
    layer : str
        S-57 object class acronym: ``"DEPARE"``, ``"SOUNDG"``, ``"LIGHTS"``, …
    bbox : (west, south, east, north), optional
        Only features intersecting this box (degrees, WGS 84).
    chart : str, optional
        Only features of this cell (its name, e.g. ``"GB5X01SW"``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature (per sounding for ``SOUNDG``) in EPSG:4326, with columns
        ``chart``, ``layer``, ``lnam`` and the S-57 attributes; depths (``DRVAL1``,
        ``DRVAL2``, ``VALDCO``, ``VALSOU``, ``DEPTH``) are float metres.

    Examples
    --------
    >>> areas = chart_layer(db, "DEPARE")                   # doctest: +SKIP
    >>> areas[areas.DRVAL1 < 2].plot()                      # doctest: +SKIP
    """
    documents = _store.find_chart_features(db, layer, bbox, chart)
    rows = [
        {"chart": d["chart"], "layer": d["layer"], "lnam": d.get("lnam"), **d["properties"]}
        for d in documents
    ]
    geometry = [shapely.geometry.shape(d["geometry"]) for d in documents]
    frame = pd.DataFrame(rows, columns=None if rows else ["chart", "layer", "lnam"])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
