"""NetCDF4 with CF-1.8 / ACDD-1.3 metadata, compressed.

xarray's defaults would put ``_FillValue = NaN`` on ``lat``/``lon`` (CF forbids fill
values on coordinates) and write uncompressed; the encoding below fixes both, and the
``grid_mapping`` attributes are checked to survive.

What a file needs beyond the in-memory dataset is added here, on a copy, so every NetCDF
the platform writes passes the IOOS compliance-checker (``tests/export/test_metadata.py``):

* cell bounds for regular ``lat``/``lon`` axes (``lat_bnds``, ``lon_bnds``);
* a ``time`` variable with bounds when the data has no time axis but covers a period (a
  depth map): a scalar coordinate at the middle of ``time_coverage_start``/``_end``;
* ``geospatial_*_min``/``_max`` from the coordinate values (the checker compares them with
  the data), the full footprint as ``geospatial_bounds`` (WKT, cell edges), and
  ``time_coverage_*`` from the time values;
* ``coverage_content_type`` on every variable (``coordinate`` for coordinates,
  ``referenceInformation`` for the grid mapping, ``physicalMeasurement`` by default);
* the grid mapping variable as a 32-bit integer and times as seconds in doubles (CF 2.2
  has no 64-bit integers);
* names CF accepts (``environment.depth.belowSurface`` → ``environment_depth_belowSurface``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

FILL_FLOAT = -9999.0
FILL_INT = -1
TIME_UNITS = "seconds since 1970-01-01 00:00:00"
LAT_NAMES, LON_NAMES = ("lat", "latitude"), ("lon", "longitude")


def to_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` as compressed NetCDF4 with complete CF/ACDD metadata; returns the path.

    Parameters
    ----------
    ds : xarray.Dataset
        A depth map (:func:`isomer_data.bathymetry.grid_soundings`), observations
        (``isomer.observations(...)``) or any dataset with CF attributes.
    path : str or Path

    Examples
    --------
    >>> to_netcdf(isomer.depth_grid(bbox, 0.002), "depth.nc")
    """
    path = Path(path)
    ds = file_metadata(ds)
    encoding: dict = {}
    for name, var in ds.variables.items():
        if name in ds.dims or name.endswith("_bnds") or not var.dims:
            encoding[name] = {"_FillValue": None}
    if "time" in ds.variables and np.issubdtype(ds["time"].dtype, np.datetime64):
        # CF 2.2 has no 64-bit integers: seconds as doubles keep sub-second times exact
        encoding["time"] = {
            "units": TIME_UNITS,
            "calendar": "standard",
            "dtype": "float64",
            "_FillValue": None,
        }
    for name, var in ds.data_vars.items():
        if name.endswith("_bnds"):
            continue
        fill = FILL_INT if np.issubdtype(var.dtype, np.integer) else FILL_FLOAT
        encoding[name] = {"zlib": True, "complevel": 4, "shuffle": True, "_FillValue": fill}
    ds.to_netcdf(path, engine="netcdf4", format="NETCDF4", encoding=encoding)
    return path


def file_metadata(ds: xr.Dataset) -> xr.Dataset:
    """A copy of ``ds`` with what a CF-1.8/ACDD-1.3 file adds to the in-memory dataset."""
    ds = ds.copy()
    ds.attrs = dict(ds.attrs)
    for name in ds.variables:
        ds[name].attrs = dict(ds[name].attrs)
    # CF 2.3: names of letters, digits and underscores (Signal K paths have dots); the path
    # stays in each variable's signalk_path attribute.
    renames = {name: _cf_name(str(name)) for name in ds.variables if _cf_name(str(name)) != name}
    if renames:
        ds = ds.rename(renames)
    bounds: dict[str, tuple[float, float]] = {}
    for names, axis in ((LAT_NAMES, "lat"), (LON_NAMES, "lon")):
        name = next((n for n in names if n in ds.variables), None)
        if name is None:
            continue
        values = np.asarray(ds[name].values, dtype=float)
        if not np.isfinite(values).any():
            continue
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        ds.attrs[f"geospatial_{axis}_min"], ds.attrs[f"geospatial_{axis}_max"] = low, high
        ds.attrs[f"geospatial_{axis}_units"] = ds[name].attrs.get(
            "units", "degrees_north" if axis == "lat" else "degrees_east"
        )
        edges = _cell_bounds(ds, name)
        bounds[axis] = (
            (float(edges.min()), float(edges.max())) if edges is not None else (low, high)
        )
    if len(bounds) == 2:
        (south, north), (west, east) = bounds["lat"], bounds["lon"]
        ds.attrs["geospatial_bounds"] = (
            f"POLYGON (({south} {west}, {north} {west}, {north} {east}, {south} {east}, "
            f"{south} {west}))"
        )
        ds.attrs["geospatial_bounds_crs"] = "EPSG:4326"
    _time(ds)
    for name, var in ds.variables.items():
        if name.endswith("_bnds"):
            continue
        if name == "spatial_ref" or "grid_mapping_name" in var.attrs:
            var.attrs.setdefault("coverage_content_type", "referenceInformation")
            var.attrs.setdefault("long_name", "coordinate reference system")
            if np.issubdtype(var.dtype, np.integer):
                ds[name] = var.astype(np.int32)
        elif name in ds.coords:
            var.attrs.setdefault("coverage_content_type", "coordinate")
        else:
            var.attrs.setdefault("coverage_content_type", "physicalMeasurement")
    return ds


def _cf_name(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return name if name[:1].isalpha() else f"v_{name}"


def _cell_bounds(ds: xr.Dataset, name: str) -> np.ndarray | None:
    """Add ``NAME_bnds`` to a regular 1-D dimension coordinate; returns the bounds."""
    var = ds[name]
    if var.dims != (name,) or var.size < 2:
        return None
    values = np.asarray(var.values, dtype=float)
    steps = np.diff(values)
    if not np.allclose(steps, steps[0], rtol=1e-6, atol=0):
        return None
    # Edges in the coordinate's own direction, each shared edge one and the same number
    # (CF 7.1: contiguous cells, bounds ordered like the coordinate).
    step = (values[-1] - values[0]) / (len(values) - 1)
    edge = values[0] - step / 2 + step * np.arange(len(values) + 1)
    edges = np.stack([edge[:-1], edge[1:]], axis=1)
    ds[f"{name}_bnds"] = ((name, "nv"), edges)
    ds[name].attrs["bounds"] = f"{name}_bnds"
    return edges


def _time(ds: xr.Dataset) -> None:
    """Time coverage from the time axis, or a time variable with bounds for a period."""
    if "time" in ds.variables and np.issubdtype(ds["time"].dtype, np.datetime64):
        times = pd.to_datetime(ds["time"].values)
        times = times[~times.isna()]
        if len(times):
            ds.attrs["time_coverage_start"] = _iso(times.min())
            ds.attrs["time_coverage_end"] = _iso(times.max())
        ds["time"].attrs.setdefault("standard_name", "time")
        ds["time"].attrs.setdefault("axis", "T")
    elif "time" not in ds.variables and "time_coverage_start" in ds.attrs:
        start = pd.Timestamp(ds.attrs["time_coverage_start"]).timestamp()
        end = pd.Timestamp(ds.attrs.get("time_coverage_end", ds.attrs["time_coverage_start"]))
        end = end.timestamp()
        ds.coords["time"] = (
            (),
            (start + end) / 2,
            {
                "units": TIME_UNITS,
                "calendar": "standard",
                "standard_name": "time",
                "long_name": "time: middle of the period the data covers (see bounds)",
                "axis": "T",
                "bounds": "time_bnds",
                "coverage_content_type": "coordinate",
            },
        )
        ds["time_bnds"] = (("nv",), np.array([start, end]))
    else:
        return
    start, end = ds.attrs.get("time_coverage_start"), ds.attrs.get("time_coverage_end")
    if start and end:
        seconds = int((pd.Timestamp(end) - pd.Timestamp(start)).total_seconds())
        ds.attrs["time_coverage_duration"] = pd.Timedelta(seconds=seconds).isoformat()


def _iso(ts) -> str:
    ts = pd.Timestamp(ts)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")
