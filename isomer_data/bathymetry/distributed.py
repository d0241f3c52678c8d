"""Gridding all vessels' soundings on a Dask cluster, with the single-process result.

A cell's statistics need only that cell's soundings, so the grid is cut into bands of rows
and each band is one task: the worker rejects outliers and computes the statistics and
contributors of its band's cells with the very functions :func:`grid_soundings` uses. Within
a band the soundings keep their order, so even the sums behind the means are added in the
same order: the result is the single-process one, bit for bit (tested to the millimetre and
beyond). Each vessel's bias is estimated first from the bands' (cell, vessel) medians
(small), solved once on the caller, and subtracted by the workers when it is applied.

``dask`` and ``distributed`` are imported only here, only when asked for (the ``cluster``
extra): a boat never loads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from isomer_data.bathymetry.bias import bias_cell_medians, bias_from_medians, reference_on_grid
from isomer_data.bathymetry.corrections import reduce_soundings
from isomer_data.bathymetry.dataset import (
    _check_spec,
    _shift,
    _summary,
    _usable,
    _vessel_names,
    acdd_attributes,
    build_dataset,
)
from isomer_data.bathymetry.fleet import add_fleet_variables, cell_contributors
from isomer_data.bathymetry.grid import cell_statistics, empty_statistics, reject_outliers


def _band_medians(band: dict, reference: np.ndarray | None, vessels: int) -> pd.DataFrame:
    """The bias's (cell, vessel code) medians of one band, cells in whole-grid numbering."""
    cells = band["cells"] + band["first"]
    return bias_cell_medians(cells, band["codes"], band["depth"], np.arange(vessels), reference)


def _band_grid(band: dict, shift: np.ndarray, k: float, order: str, vessels: int) -> dict:
    """Statistics, contributors and per-vessel counts of one band's cells."""
    cells, codes, n = band["cells"], band["codes"], band["size"]
    depth = band["depth"] - shift[codes] if shift is not None else band["depth"]
    keep = reject_outliers(cells, depth, n, k=k)
    stats = cell_statistics(cells[keep], depth[keep], n, order)
    contributors = cell_contributors(cells[keep], codes[keep], n, np.arange(vessels))
    pairs = np.unique(np.stack([cells[keep], codes[keep].astype(np.int64)]), axis=1)
    return {
        "stats": stats,
        "contributors": contributors,
        "rejected": int((~keep).sum()),
        "used": np.bincount(codes[keep], minlength=vessels),
        "sounded": np.bincount(pairs[1], minlength=vessels),
    }


def _run_draw(pick, context: dict):
    return context["func"](pick, **context["shared"])


def _cluster_mapper(client):
    """Bootstrap draws as tasks: the shared table goes to every worker once."""

    def mapper(func, picks, **shared):
        if not picks:
            return []
        (context,) = client.scatter([{"func": func, "shared": shared}], broadcast=True)
        draws = client.scatter(picks)  # sent to the workers, not written into the graph
        return client.gather(client.map(_run_draw, draws, context=context, pure=False))

    return mapper


def connect(scheduler):
    """A ``distributed.Client`` for an address, or the client given."""
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler, False
    return Client(scheduler), True


def grid_soundings_dask(
    soundings: pd.DataFrame,
    bbox: Sequence[float],
    resolution: float,
    *,
    scheduler,
    vessels: Mapping[str, Mapping] | None = None,
    tide=None,
    k: float = 3.0,
    order: str = "1b",
    apply_bias: bool = False,
    reference=None,
    bias_min_cells: int = 3,
    bands: int | None = None,
) -> xr.Dataset:
    """:func:`isomer_data.bathymetry.grid_soundings` on a Dask cluster.

    Parameters
    ----------
    scheduler : str or distributed.Client
        The scheduler's address (``tcp://host:8786``, the ``dask_scheduler`` setting) or a
        connected client (a ``LocalCluster``'s in tests).
    bands : int, optional
        Tasks (bands of grid rows); default four per worker.

    The other parameters and the result are those of ``grid_soundings``.
    """
    spec = _check_spec(bbox, resolution, order)
    client, own = connect(scheduler)
    try:
        reduced = _vessel_names(reduce_soundings(soundings, vessels, tide))
        cells, depth, vessel, counts = _usable(spec, reduced)
        codes, names = pd.factorize(vessel, sort=True)
        names = [str(n) for n in names]
        if bands is None:
            bands = 4 * max(1, len(client.scheduler_info().get("workers", {})))
        bands = max(1, min(int(bands), spec.ny))
        rows = -(-spec.ny // bands)
        bands = -(-spec.ny // rows)  # 10 rows in 8 bands of 2 are 5 bands: none empty past the end
        band_of = (cells // spec.nx) // rows
        ordering = np.argsort(band_of, kind="stable")  # stable: each band keeps input order
        edges = np.searchsorted(band_of[ordering], np.arange(bands + 1))
        parts = []
        for b in range(bands):
            pick = ordering[edges[b] : edges[b + 1]]
            first = b * rows * spec.nx
            last = min((b + 1) * rows * spec.nx, spec.size)
            parts.append(
                {
                    "first": first,
                    "size": last - first,
                    "cells": cells[pick] - first,
                    "depth": depth[pick],
                    "codes": codes[pick].astype(np.int64),
                }
            )
        futures = client.scatter(parts)
        ref = None if reference is None else reference_on_grid(reference, spec)
        medians = client.gather(
            client.map(_band_medians, futures, reference=ref, vessels=len(names), pure=False)
        )
        per = pd.concat(medians, ignore_index=True)
        per["vessel"] = np.asarray(names, dtype=object)[per["vessel"].to_numpy(np.int64)]
        biases = bias_from_medians(
            per, reference=ref, min_cells=bias_min_cells, mapper=_cluster_mapper(client)
        )
        shift = _shift(biases, names) if apply_bias else None
        results = client.gather(
            client.map(
                _band_grid,
                futures,
                shift=shift,
                k=k,
                order=order,
                vessels=len(names),
                pure=False,
            )
        )
    finally:
        if own:
            client.close()
    stats = empty_statistics(spec.size)
    contributors = {
        "vessel_count": np.zeros(spec.size, dtype=np.int64),
        "dominant_vessel": np.full(spec.size, -1, dtype=np.int64),
    }
    used = np.zeros(len(names), dtype=np.int64)
    sounded = np.zeros(len(names), dtype=np.int64)
    rejected = 0
    for part, result in zip(parts, results, strict=True):
        window = slice(part["first"], part["first"] + part["size"])
        for key, values in result["stats"].items():
            stats[key][window] = values
        for key, values in result["contributors"].items():
            contributors[key][window] = values
        used += result["used"]
        sounded += result["sounded"]
        rejected += result["rejected"]
    summary = {
        "soundings_used": int(used.sum()),
        "soundings_rejected_outliers": rejected,
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
