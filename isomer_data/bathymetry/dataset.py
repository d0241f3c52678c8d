"""The depth map as a CF/ACDD ``xarray.Dataset``, built in one go or incrementally."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401 - registers the .rio accessor
import xarray as xr

from isomer_data.acdd import common_attributes
from isomer_data.bathymetry.bias import (
    bias_cell_medians,
    bias_from_medians,
    reference_on_grid,
)
from isomer_data.bathymetry.corrections import reduce_soundings
from isomer_data.bathymetry.fleet import (
    NO_VESSEL,
    add_fleet_variables,
    cell_contributors,
    vessel_contributions,
)
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


def _usable(
    spec: GridSpec, reduced: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Cells, depths and vessels of the soundings that can be gridded, and counts of the
    others."""
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
    return cells[inside], depth[inside], reduced["vessel"].to_numpy()[inside], counts


def _vessel_names(reduced: pd.DataFrame) -> pd.DataFrame:
    """One spelling per vessel: a sounding without one is filed under ``unknown``."""
    return reduced.assign(vessel=reduced["vessel"].fillna("unknown").astype(str))


def _check_spec(bbox, resolution, order) -> GridSpec:
    s44_coefficients(order)  # refuse an unknown order before any work
    spec = GridSpec(*map(float, bbox), float(resolution))
    if not spec.resolution > 0 or not np.isfinite(spec.resolution):
        raise ValueError(f"resolution must be a positive number of degrees, not {resolution!r}")
    if spec.size > MAX_CELLS:
        raise ValueError(
            f"resolution {resolution:g} over this bbox makes {spec.size:,} cells (limit "
            f"{MAX_CELLS:,}): choose a coarser resolution or a smaller bbox"
        )
    return spec


def _summary(k, tide, order, apply_bias) -> dict:
    return {
        "outlier_rule": f"|d - median| > {k} * 1.4826 * max(MAD, 0.1 m) per cell",
        "water_level_correction": "applied" if tide is not None else "none",
        "tvu_order": order,
    }


def _shift(biases: pd.DataFrame, names) -> np.ndarray:
    """Each vessel's bias to subtract, in the order of ``names`` (unknown: 0)."""
    return biases["bias"].reindex(list(names)).fillna(0.0).to_numpy(float)


def grid_soundings(
    soundings: pd.DataFrame,
    bbox: Sequence[float],
    resolution: float,
    *,
    vessels: Mapping[str, Mapping] | None = None,
    tide=None,
    k: float = 3.0,
    order: str = "1b",
    apply_bias: bool = False,
    reference=None,
    bias_min_cells: int = 3,
) -> xr.Dataset:
    """Grid soundings from one or many vessels into a depth map.

    Each vessel's soundings are reduced with its own offsets; each vessel's vertical bias
    is estimated where vessels overlap (:mod:`isomer_data.bathymetry.bias`) and reported,
    and removed before gridding when ``apply_bias`` is set.

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
        Vessel metadata with ``transducer_depth`` (m below the waterline), per vessel.
    tide : callable or pandas.Series, optional
        Water level above chart datum, subtracted after the offsets.
    k : float
        Outlier threshold in robust standard deviations.
    order : str
        IHO S-44 order whose TVU enters ``uncertainty``: ``"exclusive"``, ``"special"``,
        ``"1a"``, ``"1b"`` (default) or ``"2"``.
    apply_bias : bool
        Subtract each vessel's estimated bias before gridding (vessels whose bias is
        unknown are left as they are).
    reference : array or xarray.DataArray, optional
        A reference survey (positive-down depth on ``lat``/``lon``, or one value per cell):
        biases become absolute instead of relative to the fleet's consensus.
    bias_min_cells : int
        A vessel sharing fewer cells than this with others has no bias estimate (NaN).

    Returns
    -------
    xarray.Dataset
        ``depth`` (median), ``depth_mean``, ``depth_std``, ``count``, ``uncertainty``,
        ``elevation``, ``vessel_count`` and ``dominant_vessel`` on dims ``lat`` (north to
        south), ``lon``; per vessel (dim ``vessel``) ``vessel_bias``,
        ``vessel_bias_uncertainty``, ``vessel_bias_cells``, ``vessel_transducer_depth``,
        ``vessel_soundings``, ``vessel_cells``; CRS EPSG:4326.

    Examples
    --------
    >>> ds = grid_soundings(df, bbox=(-1.31, 50.77, -1.26, 50.81), resolution=0.001)
    >>> ds.depth.sel(lat=50.79, lon=-1.29, method="nearest")
    >>> isomer_data.bathymetry.vessel_table(ds)
    """
    spec = _check_spec(bbox, resolution, order)
    reduced = _vessel_names(reduce_soundings(soundings, vessels, tide))
    ref = None if reference is None else reference_on_grid(reference, spec)
    cells, depth, vessel, counts = _usable(spec, reduced)
    codes, names = pd.factorize(vessel, sort=True)
    names = [str(n) for n in names]
    per = bias_cell_medians(cells, codes, depth, np.asarray(names, dtype=object), ref)
    biases = bias_from_medians(per, reference=ref, min_cells=bias_min_cells)
    if apply_bias:
        depth = depth - _shift(biases, names)[codes]
    keep = reject_outliers(cells, depth, spec.size, k=k)
    stats = cell_statistics(cells[keep], depth[keep], spec.size, order)
    contributors = cell_contributors(cells[keep], codes[keep], spec.size, np.arange(len(names)))
    used, sounded = vessel_contributions(cells[keep], codes[keep], len(names))
    summary = {
        "soundings_used": int(keep.sum()),
        "soundings_rejected_outliers": int((~keep).sum()),
        **counts,
        **_summary(k, tide, order, apply_bias),
    }
    ds = build_dataset(spec, stats, acdd_attributes(spec, reduced, summary))
    return add_fleet_variables(
        ds,
        spec,
        contributors,
        names,
        biases,
        vessels,
        used,
        sounded,
        applied=apply_bias,
        reference=ref is not None,
    )


class DepthGrid:
    """A depth map that takes new soundings and recomputes only the cells they touch.

    Keeps every accepted sounding's cell, depth and vessel (20 bytes, plus a byte for
    whether it is currently kept) because exact medians and outlier rejection need a
    cell's full sample, and a table of each vessel's median per cell (the sufficient
    statistic of the bias estimate). A new batch:

    1. recomputes the (cell, vessel) medians of the cells it falls into, and solves the
       vessels' biases again from that table (its cost is the shared cells, not the
       soundings);
    2. with ``apply_bias``, adds to those cells every cell of a vessel whose bias moved;
    3. re-decides outliers and recomputes the statistics and contributors of those cells.

    The result equals gridding all soundings at once with :func:`grid_soundings` (tested).
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
        apply_bias: bool = False,
        reference=None,
        bias_min_cells: int = 3,
    ):
        s44_coefficients(order)
        self.spec = GridSpec(*map(float, bbox), float(resolution))
        self.vessels, self.tide, self.k, self.order = vessels, tide, k, order
        self.apply_bias = apply_bias
        self.bias_min_cells = bias_min_cells
        self.reference = None if reference is None else reference_on_grid(reference, self.spec)
        self.cells = np.empty(0, dtype=np.int64)
        self.depth = np.empty(0, dtype=np.float64)
        self.codes = np.empty(0, dtype=np.int32)
        self._kept = np.empty(0, dtype=bool)
        self._names: list[str] = []
        self._code_of: dict[str, int] = {}
        size = self.spec.size
        self.stats = empty_statistics(size)
        self.contributors = {
            "vessel_count": np.zeros(size, dtype=np.int64),
            "dominant_vessel": np.full(size, NO_VESSEL, dtype=np.int64),
        }
        self.per = pd.DataFrame(
            {
                "cell": np.empty(0, np.int64),
                "vessel": np.empty(0, object),
                "median": np.empty(0, float),
                "soundings": np.empty(0, np.int64),
            }
        )
        self.biases = bias_from_medians(self.per)
        self._shift = np.zeros(0)
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

    def _code(self, names: np.ndarray) -> np.ndarray:
        for name in pd.unique(names):
            if name not in self._code_of:
                self._code_of[name] = len(self._names)
                self._names.append(name)
        position, distinct = pd.factorize(names)
        code = np.array([self._code_of[n] for n in distinct], dtype=np.int32)
        return code[position]

    def add(self, soundings: pd.DataFrame) -> int:
        """Add soundings; returns how many cells were recomputed."""
        reduced = _vessel_names(reduce_soundings(soundings, self.vessels, self.tide))
        cells, depth, vessel, counts = _usable(self.spec, reduced)
        for key, value in counts.items():
            self._counts[key] = self._counts.get(key, 0) + value
        codes = self._code(vessel)
        self.cells = np.concatenate([self.cells, cells])
        self.depth = np.concatenate([self.depth, depth])
        self.codes = np.concatenate([self.codes, codes])
        self._kept = np.concatenate([self._kept, np.zeros(len(cells), dtype=bool)])
        if len(reduced):
            self._times += [reduced["time"].min(), reduced["time"].max()]
        ordered = np.sort(cells)  # np.unique hashes here, measured 8× slower than a sort
        touched = ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered
        names = np.asarray(self._names, dtype=object)
        # 1. the bias's sufficient statistic: (cell, vessel) medians of the touched cells
        mask = np.isin(self.cells, touched)
        fresh = bias_cell_medians(
            self.cells[mask], self.codes[mask], self.depth[mask], names, self.reference
        )
        kept_rows = self.per[~self.per["cell"].isin(touched)]
        self.per = (
            pd.concat([kept_rows, fresh], ignore_index=True)
            .sort_values(["cell", "vessel"], kind="stable")
            .reset_index(drop=True)
        )
        self.biases = bias_from_medians(
            self.per, reference=self.reference, min_cells=self.bias_min_cells
        )
        # 2. a bias that moved moves every cell of its vessel
        shift = np.zeros(len(names))
        if self.apply_bias:
            shift = _shift(self.biases, names)
            before = np.r_[self._shift, np.zeros(len(names) - len(self._shift))]
            moved = names[shift != before]
            if len(moved):
                extra = self.per.loc[self.per["vessel"].isin(moved), "cell"].to_numpy()
                touched = np.union1d(touched, extra)
                mask = np.isin(self.cells, touched)
        self._shift = shift
        # 3. outliers, statistics and contributors of those cells
        sub_cells, sub_codes = self.cells[mask], self.codes[mask]
        sub_depth = self.depth[mask] - shift[sub_codes] if self.apply_bias else self.depth[mask]
        size = self.spec.size
        keep = reject_outliers(sub_cells, sub_depth, size, k=self.k)
        self._kept[mask] = keep
        stats = cell_statistics(sub_cells[keep], sub_depth[keep], size, self.order)
        for key, values in stats.items():
            self.stats[key][touched] = values[touched]
        rank = np.argsort(np.argsort(names.astype(str))) if len(names) else np.zeros(0, int)
        contributors = cell_contributors(sub_cells[keep], sub_codes[keep], size, rank)
        for key, values in contributors.items():
            self.contributors[key][touched] = values[touched]
        rejected = np.bincount(sub_cells[~keep], minlength=size)
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
            **_summary(self.k, self.tide, self.order, self.apply_bias),
        }
        ds = build_dataset(self.spec, self.stats, acdd_attributes(self.spec, times, summary))
        # Codes in arrival order -> places in name order, as grid_soundings numbers them.
        order = np.argsort(np.asarray(self._names, dtype=str)) if self._names else np.zeros(0, int)
        place = np.empty(len(order), dtype=np.int64)
        place[order] = np.arange(len(order))
        dominant = self.contributors["dominant_vessel"]
        contributors = {
            "vessel_count": self.contributors["vessel_count"],
            "dominant_vessel": np.where(
                dominant >= 0, place[np.maximum(dominant, 0)] if len(place) else 0, NO_VESSEL
            ),
        }
        kept = self._kept
        used, sounded = vessel_contributions(self.cells[kept], self.codes[kept], len(order))
        return add_fleet_variables(
            ds,
            self.spec,
            contributors,
            [self._names[i] for i in order],
            self.biases,
            self.vessels,
            used[order],
            sounded[order],
            applied=self.apply_bias,
            reference=self.reference is not None,
        )
