"""Each vessel's vertical bias against the others (or a reference survey), and how to remove it.

A crowdsourced map mixes sounders that disagree: a transducer offset entered wrongly, a
sound speed set for fresh water, a squat nobody measured. Where several vessels sounded the
same cells, those disagreements show. The model is the simplest that explains them:

    m[v, c] = D[c] + b[v] + e

where ``m[v, c]`` is vessel ``v``'s median depth in cell ``c`` (offsets already applied),
``D[c]`` the cell's true depth and ``b[v]`` the vessel's bias. It is solved robustly by
alternating medians: ``D[c] = median_v(m[v, c] - b[v])`` over the vessels in the cell, then
``b[v] = median_c(m[v, c] - D[c])`` over the vessel's shared cells, until the biases move
by less than a millimetre.

Only differences between vessels are observable from the vessels alone, so without a
reference the biases are given relative to the fleet: their median is zero (a vessel
that agrees with most of the fleet gets ≈0). With a ``reference`` grid (a survey), ``D`` is
the reference and each bias is absolute. A bias's uncertainty (one standard error) is
the spread of the estimate over a bootstrap of the cells (``resamples`` draws of the cells
with replacement, fixed seed so results repeat): it carries the vessel's own noise, the
consensus's and, without a reference, the fleet gauge's, which a formula on the residuals
alone underestimates (by about half for a vessel far from the fleet, measured).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from isomer_data.bathymetry.grid import GridSpec

RESAMPLES = 30


def vessel_cell_medians(reduced: pd.DataFrame, spec: GridSpec) -> pd.DataFrame:
    """One row per (cell, vessel): the vessel's median depth there and its sounding count,
    sorted by cell, then vessel."""
    cells = spec.cells(reduced["longitude"].to_numpy(), reduced["latitude"].to_numpy())
    depth = reduced["depth"].to_numpy(dtype=float)
    ok = (cells >= 0) & np.isfinite(depth)
    codes, names = pd.factorize(reduced["vessel"].to_numpy()[ok], sort=True)
    return cell_vessel_medians(cells[ok], codes, depth[ok], np.asarray(names, dtype=object))


def bias_cell_medians(
    cells: np.ndarray,
    codes: np.ndarray,
    depth: np.ndarray,
    names: np.ndarray,
    reference: np.ndarray | None = None,
) -> pd.DataFrame:
    """:func:`cell_vessel_medians` of the cells a bias estimate uses, and only those: cells
    with a reference depth, or, without a reference, cells sounded by two vessels or more.
    (One vessel's cells say nothing about its bias; a grid skips their medians.)"""
    nv = len(names)
    if reference is not None:
        mask = np.isfinite(reference[cells])
    elif nv < 2:
        mask = np.zeros(len(cells), dtype=bool)
    else:
        pairs = np.unique(cells.astype(np.int64) * nv + codes)
        shared_cells, vessels_there = np.unique(pairs // nv, return_counts=True)
        mask = np.isin(cells, shared_cells[vessels_there >= 2])
    return cell_vessel_medians(cells[mask], codes[mask], depth[mask], names)


def cell_vessel_medians(
    cells: np.ndarray, codes: np.ndarray, depth: np.ndarray, names: np.ndarray
) -> pd.DataFrame:
    """The (cell, vessel) median table from arrays; ``names[code]`` is each vessel's name.
    Rows sorted by cell, then vessel name."""
    nv = max(len(names), 1)
    key = cells.astype(np.int64) * nv + np.asarray(codes, dtype=np.int64)
    pairs, inverse, count = np.unique(key, return_inverse=True, return_counts=True)
    table = pd.DataFrame(
        {
            "cell": pairs // nv,
            "vessel": names[pairs % nv],
            "median": _group_median(inverse.ravel(), np.asarray(depth, float), len(pairs)),
            "soundings": count.astype(np.int64),
        }
    )
    return table.sort_values(["cell", "vessel"], kind="stable", ignore_index=True)


def contributors(reduced: pd.DataFrame, spec: GridSpec) -> np.ndarray:
    """How many distinct vessels sounded each cell (flat, rows from the south), as GEBCO's
    source grid records where a value comes from."""
    per = vessel_cell_medians(reduced, spec)
    return np.bincount(per["cell"].to_numpy(), minlength=spec.size)


def reference_on_grid(reference, spec: GridSpec) -> np.ndarray:
    """A reference depth per flat cell (NaN where unknown) from what a caller may hold.

    ``reference`` is an array of ``spec.size`` (flat, rows from the south), a mapping
    ``cell -> depth``, or an ``xarray.DataArray`` (positive-down depth on ``lat``/``lon``, e.g.
    a survey opened with ``isomer.open_dataset``), read at each cell centre from its nearest
    grid point no further than one cell away.
    """
    ref = np.full(spec.size, np.nan)
    if isinstance(reference, Mapping):
        for cell, value in reference.items():
            ref[int(cell)] = float(value)
        return ref
    if hasattr(reference, "sel") and hasattr(reference, "dims"):
        lat = spec.lat_centres()
        lon = spec.lon_centres()
        values = np.full((spec.ny, spec.nx), np.nan)
        src_lat = np.asarray(reference["lat"], float)
        src_lon = np.asarray(reference["lon"], float)
        data = np.asarray(reference.transpose("lat", "lon").values, float)
        iy = _nearest(src_lat, lat, spec.resolution)
        ix = _nearest(src_lon, lon, spec.resolution)
        ok_y, ok_x = iy >= 0, ix >= 0
        values[np.ix_(ok_y, ok_x)] = data[np.ix_(iy[ok_y], ix[ok_x])]
        return values.ravel()
    ref[:] = np.asarray(reference, dtype=float).ravel()
    return ref


def _nearest(source: np.ndarray, wanted: np.ndarray, tolerance: float) -> np.ndarray:
    """Index of the nearest ``source`` value for each ``wanted`` one, −1 beyond tolerance."""
    order = np.argsort(source)
    ordered = source[order]
    last = len(ordered) - 1
    right = np.clip(np.searchsorted(ordered, wanted), 0, last)
    left = np.clip(right - 1, 0, last)
    closer = np.abs(ordered[right] - wanted) < np.abs(ordered[left] - wanted)
    pick = np.where(closer, right, left)
    far = np.abs(ordered[pick] - wanted) > tolerance
    return np.where(far, -1, order[pick])


def estimate_vessel_bias(
    reduced: pd.DataFrame,
    spec: GridSpec,
    *,
    reference=None,
    min_cells: int = 3,
    max_iterations: int = 50,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """Estimate each vessel's vertical bias (m, positive: it reads too deep).

    Parameters
    ----------
    reduced : pandas.DataFrame
        Soundings with ``longitude``, ``latitude``, ``vessel`` and ``depth`` (offsets applied,
        as :func:`isomer_data.bathymetry.corrections.reduce_soundings` returns them).
    spec : GridSpec
        The cells in which vessels are compared.
    reference : array, mapping or xarray.DataArray, optional
        Reference depth per cell (see :func:`reference_on_grid`; NaN or absent where
        unknown): biases become absolute instead of relative to the fleet.
    min_cells : int
        Fewer shared cells than this leave a vessel's bias unknown (NaN).

    Returns
    -------
    pandas.DataFrame
        Indexed by vessel: ``bias`` (m), ``uncertainty`` (m, one standard error), ``cells``
        (shared cells used) and ``soundings`` (in those cells).
    """
    per = vessel_cell_medians(reduced, spec)
    ref = None if reference is None else reference_on_grid(reference, spec)
    return bias_from_medians(
        per,
        reference=ref,
        min_cells=min_cells,
        max_iterations=max_iterations,
        resamples=resamples,
    )


def bias_from_medians(
    per: pd.DataFrame,
    *,
    reference: np.ndarray | None = None,
    min_cells: int = 3,
    max_iterations: int = 50,
    resamples: int = RESAMPLES,
    mapper=None,
) -> pd.DataFrame:
    """:func:`estimate_vessel_bias` from the (cell, vessel) medians alone.

    ``per`` is what :func:`vessel_cell_medians` returns (sorted by cell, then vessel): an
    incremental grid keeps that table and refreshes only the rows of the cells a new batch
    touched, then solves here, at a cost set by the shared cells, not the soundings.
    ``mapper(func, picks, **shared)`` runs the bootstrap draws (default: one after another;
    the Dask gridder spreads them over its workers).
    """
    vessels = pd.Index(sorted(per["vessel"].unique()), name="vessel")
    if reference is not None:
        per = per.assign(reference=reference[per["cell"].to_numpy()])
        shared = per[np.isfinite(per["reference"])]
    else:
        shared = per[per.groupby("cell")["vessel"].transform("size") >= 2]
    bias = _solve(shared, vessels, reference is not None, max_iterations)
    cells = shared.groupby("vessel")["cell"].size().reindex(vessels).fillna(0).astype(int)
    soundings = shared.groupby("vessel")["soundings"].sum().reindex(vessels).fillna(0)
    rng = np.random.default_rng(0)
    ordered = shared.sort_values("cell", kind="stable").reset_index(drop=True)
    first = np.flatnonzero(np.r_[True, np.diff(ordered["cell"].to_numpy()) != 0])
    sizes = np.diff(np.r_[first, len(ordered)])
    # The draws are made here, in order, so any mapper gives the same uncertainties.
    picks = [
        rng.integers(0, len(first), len(first)) for _ in range(resamples if len(first) > 1 else 0)
    ]
    draws = list(
        (mapper or _serial)(
            _draw,
            picks,
            ordered=ordered,
            first=first,
            sizes=sizes,
            vessels=vessels,
            absolute=reference is not None,
            max_iterations=max_iterations,
        )
    )
    uncertainty = pd.concat(draws, axis=1).std(axis=1, ddof=1) if draws else bias * np.nan
    # A bootstrap of medians is coarse (a median takes few distinct values over thirty
    # draws) and can come out small by chance: the robust standard error of the median of
    # the vessel's residuals is its floor.
    floor = _median_standard_error(shared, vessels, bias, reference is not None)
    uncertainty = np.fmax(uncertainty.reindex(vessels), floor)
    table = pd.DataFrame(
        {
            "bias": bias,
            "uncertainty": uncertainty.reindex(vessels),
            "cells": cells,
            "soundings": soundings.astype(int),
        }
    )
    unknown = table["cells"] < min_cells
    table.loc[unknown, ["bias", "uncertainty"]] = np.nan
    return table


def _median_standard_error(
    shared: pd.DataFrame, vessels: pd.Index, bias: pd.Series, absolute: bool
) -> pd.Series:
    """1.2533 · 1.4826 · MAD(residuals) / √cells per vessel, residuals after the solve."""
    if shared.empty:
        return pd.Series(np.nan, index=vessels)
    vcode = vessels.get_indexer(shared["vessel"])
    corrected = shared["median"].to_numpy(float) - bias.fillna(0.0).to_numpy()[vcode]
    if absolute:
        residual = corrected - shared["reference"].to_numpy(float)
    else:
        ccode, cells = pd.factorize(shared["cell"].to_numpy())
        residual = corrected - _group_median(ccode, corrected, len(cells))[ccode]
    nv = len(vessels)
    centre = _group_median(vcode, residual, nv)
    mad = _group_median(vcode, np.abs(residual - centre[vcode]), nv)
    n = np.bincount(vcode, minlength=nv)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(1.2533 * 1.4826 * mad / np.sqrt(n), index=vessels)


def _serial(func, picks, **shared) -> list:
    return [func(pick, **shared) for pick in picks]


def _draw(pick, *, ordered, first, sizes, vessels, absolute, max_iterations) -> pd.Series:
    """The biases solved on one bootstrap draw of the shared cells (``pick``)."""
    counts = sizes[pick]
    # every row of every drawn cell, without a loop over cells
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    sample = ordered.iloc[np.repeat(first[pick], counts) + within].copy()
    sample["cell"] = np.repeat(np.arange(len(pick)), counts)  # a cell drawn twice counts twice
    return _solve(sample, vessels, absolute, max_iterations)


def _group_median(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Median of ``values`` per group code 0..n-1 (NaN for an empty group), one sort."""
    order = np.lexsort((values, groups))
    ordered = values[order]
    count = np.bincount(groups, minlength=n)
    start = np.cumsum(count) - count
    have = count > 0
    out = np.full(n, np.nan)
    lo = start[have] + (count[have] - 1) // 2
    hi = start[have] + count[have] // 2
    out[have] = (ordered[lo] + ordered[hi]) / 2
    return out


DENSE_LIMIT = 50_000_000  # cells × vessels held as one matrix; more: sorted groups


def _row_medians(matrix: np.ndarray) -> np.ndarray:
    """Median of each row's non-NaN values (NaN for an empty row)."""
    ordered = np.sort(matrix, axis=1)  # NaN sorts last
    k = np.sum(~np.isnan(matrix), axis=1)
    rows = np.arange(len(matrix))
    lo = ordered[rows, np.maximum((k - 1) // 2, 0)]
    hi = ordered[rows, np.maximum(k // 2, 0) if matrix.shape[1] else 0]
    out = (lo + hi) / 2
    out[k == 0] = np.nan
    return out


def _column_medians(matrix: np.ndarray) -> np.ndarray:
    out = np.full(matrix.shape[1], np.nan)
    for j in range(matrix.shape[1]):
        column = matrix[:, j]
        column = column[~np.isnan(column)]
        if len(column):
            out[j] = np.median(column)
    return out


def _solve(shared: pd.DataFrame, vessels: pd.Index, absolute: bool, max_iterations: int):
    """Biases by alternating medians (see the module docstring); NaN without shared cells.

    Each (cell, vessel) appears once, so a fleet's medians fit a cells × vessels matrix:
    a cell's consensus is its row's median (rows hold a few vessels: a small sort each), a
    vessel's bias its column's (one partition each). The bootstrap solves this thirty
    times over; very large fleets fall back to sorted groups.
    """
    nv = len(vessels)
    vcode = vessels.get_indexer(shared["vessel"])
    median = shared["median"].to_numpy(float)
    if absolute:
        residual = median - shared["reference"].to_numpy(float)
        return pd.Series(_group_median(vcode, residual, nv), index=vessels)
    ccode, cells = pd.factorize(shared["cell"].to_numpy())
    bias = np.zeros(nv)
    present = np.bincount(vcode, minlength=nv) > 0
    dense = len(cells) * nv <= DENSE_LIMIT
    if dense:
        matrix = np.full((len(cells), nv), np.nan)
        matrix[ccode, vcode] = median
    for _ in range(max_iterations):
        if not present.any():
            break
        if dense:
            consensus = _row_medians(matrix - bias)
            fresh = _column_medians(matrix - consensus[:, None])
        else:
            consensus = _group_median(ccode, median - bias[vcode], len(cells))[ccode]
            fresh = _group_median(vcode, median - consensus, nv)
        fresh -= np.nanmedian(fresh)  # relative to the fleet: only differences are observable
        moved = float(np.nanmax(np.abs(fresh - bias)))
        bias = np.nan_to_num(fresh, nan=0.0)
        if moved < 5e-4:
            break
    return pd.Series(np.where(present, bias, np.nan), index=vessels)


def apply_vessel_bias(reduced: pd.DataFrame, biases: pd.DataFrame) -> pd.DataFrame:
    """Subtract each vessel's bias from its depths (unknown biases change nothing)."""
    bias = biases["bias"].reindex(reduced["vessel"]).fillna(0.0).to_numpy()
    out = reduced.copy()
    out["depth"] = out["depth"].to_numpy(dtype=float) - bias
    return out
