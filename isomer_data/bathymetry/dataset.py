"""The depth map as a CF/ACDD ``xarray.Dataset``, built in one go or incrementally."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401 - registers the .rio accessor
import xarray as xr

from isomer_data.acdd import common_attributes
from isomer_data.bathymetry.corrections import reduce_soundings
from isomer_data.bathymetry.grid import (
    MAX_CELLS,
    GridSpec,
    cell_statistics,
    empty_statistics,
    reject_outliers,
    s44_coefficients,
)

# name -> (statistic, units, standard_name (with its CF modifier), coverage_content_type
#          (ACDD), cell_methods, long_name)
DEPTH = "sea_floor_depth_below_sea_surface"
VARIABLES = {
    "depth": (
        "median",
        "m",
        DEPTH,
        "physicalMeasurement",
        "area: median",
        "median depth of the cell's soundings (positive down)",
    ),
    "depth_mean": (
        "mean",
        "m",
        DEPTH,
        "physicalMeasurement",
        "area: mean",
        "mean depth of the cell's soundings (positive down)",
    ),
    "depth_std": (
        "std",
        "m",
        DEPTH,
        "qualityInformation",
        "area: standard_deviation",
        "standard deviation of the cell's soundings",
    ),
    "count": (
        "count",
        "1",
        # CF deprecates the number_of_observations modifier for this standard name; the
        # link to the depth is ancillary_variables on depth.
        "number_of_observations",
        "auxiliaryInformation",
        None,
        "number of soundings in the cell after outlier rejection",
    ),
    "uncertainty": (
        "uncertainty",
        "m",
        f"{DEPTH} standard_error",
        "qualityInformation",
        None,
        "95% depth uncertainty: sqrt(TVU_S44^2 + (1.96 std/sqrt(n))^2)",
    ),
}
# CF's standard_error is one standard error unless the variable says which multiple.
UNCERTAINTY_COMMENT = (
    "95 % confidence (coverage factor 1.96, i.e. 1.96 standard errors): the IHO S-44 total "
    "vertical uncertainty of the chosen order combined with the cell's own spread"
)


def _iso(ts) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def build_dataset(spec: GridSpec, stats: Mapping[str, np.ndarray], attrs: dict) -> xr.Dataset:
    """Arrange flat per-cell statistics into a north-up (lat descending) dataset."""
    lat = spec.lat_centres()[::-1]
    lon = spec.lon_centres()
    data_vars = {}
    for name, (key, units, standard_name, content, methods, long_name) in VARIABLES.items():
        values = np.asarray(stats[key]).reshape(spec.ny, spec.nx)[::-1]
        values = values.astype(np.int32) if name == "count" else values.astype(np.float32)
        var_attrs = {
            "units": units,
            "standard_name": standard_name,
            "long_name": long_name,
            "coverage_content_type": content,
        }
        if methods:
            var_attrs["cell_methods"] = methods
        data_vars[name] = (("lat", "lon"), values, var_attrs)
    data_vars["uncertainty"][2]["comment"] = UNCERTAINTY_COMMENT
    depth = data_vars["depth"][1]
    data_vars["elevation"] = (
        ("lat", "lon"),
        -depth,
        {
            "units": "m",
            # GEBCO's name for its elevation grids; the comment says which surface it is from.
            "standard_name": "height_above_mean_sea_level",
            "long_name": "elevation of the sea floor (negative below the surface), as GEBCO",
            "coverage_content_type": "physicalMeasurement",
            "cell_methods": "area: median",
            "comment": "-depth: relative to the sea surface at the time of sounding, or to "
            "chart datum when a water-level correction was applied (water_level_correction)",
        },
    )
    ds = xr.Dataset(
        data_vars,
        coords={
            "lat": (
                "lat",
                lat,
                {
                    "units": "degrees_north",
                    "standard_name": "latitude",
                    "long_name": "latitude of cell centre",
                    "axis": "Y",
                    "coverage_content_type": "coordinate",
                },
            ),
            "lon": (
                "lon",
                lon,
                {
                    "units": "degrees_east",
                    "standard_name": "longitude",
                    "long_name": "longitude of cell centre",
                    "axis": "X",
                    "coverage_content_type": "coordinate",
                },
            ),
        },
        attrs=attrs,
    )
    ds["depth"].attrs["positive"] = "down"
    ds["depth"].attrs["ancillary_variables"] = "count depth_std uncertainty"
    if np.isfinite(depth).any():
        ds.attrs["geospatial_vertical_min"] = float(np.nanmin(depth))
        ds.attrs["geospatial_vertical_max"] = float(np.nanmax(depth))
        ds.attrs["geospatial_vertical_units"] = "m"
        # EPSG:5831, instantaneous water level depth: below the sea surface when sounded
        ds.attrs["geospatial_bounds_vertical_crs"] = "EPSG:5831"
    ds = ds.rio.write_crs("EPSG:4326")
    for name in ds.data_vars:
        ds[name].attrs["grid_mapping"] = "spatial_ref"
    return ds


def acdd_attributes(spec: GridSpec, soundings: pd.DataFrame, summary: dict) -> dict:
    times = pd.to_datetime(soundings["time"], utc=True) if len(soundings) else None
    attrs = {
        **common_attributes("gridded"),
        "title": "Isomer Data crowdsourced bathymetry",
        "summary": "Median depth per cell of crowdsourced echo-sounder soundings, transducer "
        "offsets applied, robust per-cell outlier rejection (median/MAD, k=3).",
        "keywords": "bathymetry, crowdsourced bathymetry, CSB, depth, sea floor",
        "comment": "Depth positive down in metres; cells without soundings are empty "
        "(_FillValue). Statistics per cell: median (depth), mean, standard deviation, count "
        "and 95 % uncertainty. Built from volunteer vessels' echo sounders: not for navigation.",
        "source": "crowdsourced echo-sounder soundings (NMEA 0183 DBT/DPT, NMEA 2000) paired "
        "with GNSS positions, as logged by the contributing vessels",
        "processing_level": "gridded (L3): transducer offsets applied, per-cell outliers rejected",
        "geospatial_lat_min": spec.south,
        "geospatial_lat_max": spec.north,
        "geospatial_lon_min": spec.west,
        "geospatial_lon_max": spec.east,
        "geospatial_lat_units": "degrees_north",
        "geospatial_lon_units": "degrees_east",
        "geospatial_lat_resolution": spec.resolution,
        "geospatial_lon_resolution": spec.resolution,
        "geospatial_vertical_positive": "down",
        "depth_convention": "depth positive down from the sea surface (or chart datum if a "
        "water-level correction was applied); elevation = -depth, as GEBCO",
        "grid_registration": "pixel centre",
    }
    if times is not None:
        attrs["time_coverage_start"] = _iso(times.min())
        attrs["time_coverage_end"] = _iso(times.max())
    attrs.update({k: v for k, v in summary.items() if v is not None})
    return attrs


def _usable(spec: GridSpec, reduced: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, dict]:
    """Cells and depths of the soundings that can be gridded, and counts of the others."""
    cells = spec.cells(reduced["longitude"].to_numpy(), reduced["latitude"].to_numpy())
    depth = reduced["depth"].to_numpy(dtype=float)
    in_box = cells >= 0
    no_level = ~reduced["water_level_applied"].to_numpy()
    inside = in_box & np.isfinite(depth)
    counts = {
        "soundings_outside_bbox": int((~in_box).sum()),
        "soundings_without_water_level": int((in_box & no_level).sum()),
        "soundings_without_offset": int((~reduced["offset_applied"].to_numpy()[inside]).sum()),
        "soundings_offset_disagreeing": int(reduced["offset_disagrees"].to_numpy()[inside].sum()),
    }
    return cells[inside], depth[inside], counts


def grid_soundings(
    soundings: pd.DataFrame,
    bbox: Sequence[float],
    resolution: float,
    *,
    vessels: Mapping[str, Mapping] | None = None,
    tide=None,
    k: float = 3.0,
    order: str = "1b",
) -> xr.Dataset:
    """Grid soundings into a depth map.

    Parameters
    ----------
    soundings : pandas.DataFrame
        ``time``, ``longitude``, ``latitude``, ``depth_below_transducer``, ``vessel`` and
        optionally ``depth_below_surface`` (as :func:`isomer_data.store.soundings.query_soundings`
        returns them).
    bbox : (west, south, east, north)
        Degrees, EPSG:4326.
    resolution : float
        Cell size in degrees.
    vessels : mapping, optional
        Vessel metadata with ``transducer_depth`` (m below the waterline).
    tide : callable or pandas.Series, optional
        Water level above chart datum, subtracted after the offsets.
    k : float
        Outlier threshold in robust standard deviations.
    order : str
        IHO S-44 order whose TVU enters ``uncertainty``: ``"exclusive"``, ``"special"``,
        ``"1a"``, ``"1b"`` (default) or ``"2"``.

    Returns
    -------
    xarray.Dataset
        ``depth`` (median), ``depth_mean``, ``depth_std``, ``count``, ``uncertainty``,
        ``elevation``; dims ``lat`` (north to south), ``lon``; CRS EPSG:4326.

    Examples
    --------
    >>> ds = grid_soundings(df, bbox=(-1.31, 50.77, -1.26, 50.81), resolution=0.001)
    >>> ds.depth.sel(lat=50.79, lon=-1.29, method="nearest")
    """
    s44_coefficients(order)  # refuse an unknown order before any work
    spec = GridSpec(*map(float, bbox), float(resolution))
    if not spec.resolution > 0 or not np.isfinite(spec.resolution):
        raise ValueError(f"resolution must be a positive number of degrees, not {resolution!r}")
    if spec.size > MAX_CELLS:
        raise ValueError(
            f"resolution {resolution:g} over this bbox makes {spec.size:,} cells (limit "
            f"{MAX_CELLS:,}): choose a coarser resolution or a smaller bbox"
        )
    reduced = reduce_soundings(soundings, vessels, tide)
    cells, depth, counts = _usable(spec, reduced)
    keep = reject_outliers(cells, depth, spec.size, k=k)
    stats = cell_statistics(cells[keep], depth[keep], spec.size, order)
    summary = {
        "soundings_used": int(keep.sum()),
        "soundings_rejected_outliers": int((~keep).sum()),
        **counts,
        "outlier_rule": f"|d - median| > {k} * 1.4826 * max(MAD, 0.1 m) per cell",
        "water_level_correction": "applied" if tide is not None else "none",
        "tvu_order": order,
    }
    return build_dataset(spec, stats, acdd_attributes(spec, reduced, summary))


class DepthGrid:
    """A depth map that takes new soundings and recomputes only the cells they touch.

    Keeps every accepted sounding's (cell, depth) — 16 bytes each — because exact medians
    and outlier rejection need a cell's full sample; a new batch re-evaluates only the
    cells it falls into, so adding a day's soundings to a season's grid costs the day.
    For more soundings than memory holds, grid with
    :class:`isomer_data.bathymetry.external.ExternalGridder` instead.
    """

    def __init__(
        self,
        bbox: Sequence[float],
        resolution: float,
        *,
        vessels=None,
        tide=None,
        k: float = 3.0,
        order: str = "1b",
    ):
        s44_coefficients(order)
        self.spec = GridSpec(*map(float, bbox), float(resolution))
        self.vessels, self.tide, self.k, self.order = vessels, tide, k, order
        self.cells = np.empty(0, dtype=np.int64)
        self.depth = np.empty(0, dtype=np.float64)
        size = self.spec.size
        self.stats = empty_statistics(size)
        # Per cell, because a new batch re-decides a touched cell's outliers: a sounding
        # rejected against five neighbours may be kept against fifty, and vice versa.
        self._rejected = np.zeros(size, dtype=np.int64)
        self._counts: dict[str, int] = {}
        self._times: list = []
        self.last_updated_cells = 0

    @property
    def rejected(self) -> int:
        """Soundings currently rejected as outliers, over all cells."""
        return int(self._rejected.sum())

    def add(self, soundings: pd.DataFrame) -> int:
        """Add soundings; returns how many cells were recomputed."""
        reduced = reduce_soundings(soundings, self.vessels, self.tide)
        cells, depth, counts = _usable(self.spec, reduced)
        for key, value in counts.items():
            self._counts[key] = self._counts.get(key, 0) + value
        self.cells = np.concatenate([self.cells, cells])
        self.depth = np.concatenate([self.depth, depth])
        if len(reduced):
            self._times += [reduced["time"].min(), reduced["time"].max()]
        touched = np.unique(cells)
        mask = np.isin(self.cells, touched)
        sub_cells, sub_depth = self.cells[mask], self.depth[mask]
        keep = reject_outliers(sub_cells, sub_depth, self.spec.size, k=self.k)
        stats = cell_statistics(sub_cells[keep], sub_depth[keep], self.spec.size, self.order)
        for key, values in stats.items():
            self.stats[key][touched] = values[touched]
        rejected = np.bincount(sub_cells[~keep], minlength=self.spec.size)
        self._rejected[touched] = rejected[touched]
        self.last_updated_cells = len(touched)
        return len(touched)

    def to_dataset(self) -> xr.Dataset:
        times = (
            pd.DataFrame({"time": pd.to_datetime(self._times, utc=True)})
            if self._times
            else pd.DataFrame({"time": []})
        )
        summary = {
            "soundings_stored": int(len(self.cells)),
            "soundings_used": int(self.stats["count"].sum()),
            "soundings_rejected_outliers": self.rejected,
            **self._counts,
            "outlier_rule": f"|d - median| > {self.k} * 1.4826 * max(MAD, 0.1 m) per cell",
            "water_level_correction": "applied" if self.tide is not None else "none",
            "tvu_order": self.order,
        }
        return build_dataset(self.spec, self.stats, acdd_attributes(self.spec, times, summary))
