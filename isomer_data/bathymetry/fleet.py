"""The fleet side of the depth map: who supports each cell, and each vessel's bias.

Beside the depth, every cell records how many vessels and soundings support it and which
vessel contributed most of them (as GEBCO's TID grid records where a value comes from);
beside the grid, a ``vessel`` dimension carries each vessel's transducer offset as used,
its estimated vertical bias with that estimate's uncertainty, and what it contributed.
The variables carry CF/ACDD attributes (``units``, ``long_name``, ``coverage_content_type``
and ``standard_name`` where the CF table has one) so an export needs no further work.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from isomer_data.bathymetry.grid import GridSpec

NO_VESSEL = -1

# name -> (units, long_name, coverage_content_type); none has a CF standard name.
CELL_VARIABLES = {
    "vessel_count": (
        "1",
        "number of distinct vessels whose soundings support the cell (after outlier rejection)",
        "auxiliaryInformation",
    ),
    "dominant_vessel": (
        "1",
        "index along the vessel dimension of the vessel that contributed most of the "
        "cell's soundings (-1: no soundings)",
        "auxiliaryInformation",
    ),
}

VESSEL_VARIABLES = {
    "vessel_bias": (
        "m",
        "estimated vertical bias of the vessel's depths (positive: reads too deep)",
        "qualityInformation",
    ),
    "vessel_bias_uncertainty": (
        "m",
        "standard error of the estimated vertical bias (bootstrap over shared cells)",
        "qualityInformation",
    ),
    "vessel_bias_cells": (
        "1",
        "number of cells shared with other vessels (or the reference) used for the bias",
        "auxiliaryInformation",
    ),
    "vessel_transducer_depth": (
        "m",
        "transducer depth below the waterline from the vessel's record (NaN: unknown)",
        "auxiliaryInformation",
    ),
    "vessel_soundings": (
        "1",
        "number of the vessel's soundings in the grid after outlier rejection",
        "auxiliaryInformation",
    ),
    "vessel_cells": ("1", "number of cells the vessel sounded", "auxiliaryInformation"),
}


# CF standard names where the CF table has one that fits; the contributor grids and the bias
# have none (CF defines no name for "number of platforms" or "vertical bias of a platform"),
# and a name CF does not define fails the CF check, so they carry long_name only.
STANDARD_NAMES = {
    "vessel": "platform_id",
    "vessel_soundings": "number_of_observations",
    # the shared cells the bias was derived from: CF's "number of discrete observations
    # from which a data value has been derived"
    "vessel_bias_cells": "number_of_observations",
    "vessel_transducer_depth": "depth",
}


def cell_contributors(
    cells: np.ndarray, codes: np.ndarray, size: int, rank: np.ndarray
) -> dict[str, np.ndarray]:
    """Per cell: distinct vessels, and the code of the vessel with most soundings.

    ``codes`` number the vessels; ``rank[code]`` is the vessel's place in name order, which
    breaks ties, so a grid built in batches names the same dominant vessel as one built at
    once.
    """
    count = np.zeros(size, dtype=np.int64)
    dominant = np.full(size, NO_VESSEL, dtype=np.int64)
    if not len(cells):
        return {"vessel_count": count, "dominant_vessel": dominant}
    if len(rank) <= 1:  # one vessel: it is every cell's only contributor
        have = np.bincount(cells, minlength=size) > 0
        count[have] = 1
        dominant[have] = codes[0]
        return {"vessel_count": count, "dominant_vessel": dominant}
    nv = len(rank)
    pairs, per_pair = np.unique(
        cells.astype(np.int64) * nv + codes.astype(np.int64), return_counts=True
    )
    pair_cells, pair_codes = pairs // nv, pairs % nv
    count[:] = np.bincount(pair_cells, minlength=size)
    # Per cell the most soundings first, ties to the vessel first in name order.
    order = np.lexsort((rank[pair_codes], -per_pair, pair_cells))
    first = np.r_[True, np.diff(pair_cells[order]) != 0]
    dominant[pair_cells[order][first]] = pair_codes[order][first]
    return {"vessel_count": count, "dominant_vessel": dominant}


def vessel_contributions(
    cells: np.ndarray, codes: np.ndarray, vessels: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per vessel code: soundings and distinct cells."""
    soundings = np.bincount(codes, minlength=vessels)
    if not len(cells):
        return soundings, np.zeros(vessels, dtype=np.int64)
    pairs = np.unique(cells.astype(np.int64) * vessels + codes.astype(np.int64))
    return soundings, np.bincount(pairs % vessels, minlength=vessels)


def add_fleet_variables(
    ds: xr.Dataset,
    spec: GridSpec,
    contributors: Mapping[str, np.ndarray],
    names: list[str],
    biases: pd.DataFrame,
    offsets: Mapping[str, Mapping] | None,
    soundings: np.ndarray,
    cells: np.ndarray,
    *,
    applied: bool,
    reference: bool,
) -> xr.Dataset:
    """Add the contributor grids and the per-vessel variables to a depth dataset.

    ``names`` are the vessels in name order; ``contributors['dominant_vessel']`` must
    already index into them.
    """
    for name, (units, long_name, content) in CELL_VARIABLES.items():
        values = np.asarray(contributors[name]).reshape(spec.ny, spec.nx)[::-1]
        attrs = {
            "units": units,
            "long_name": long_name,
            "coverage_content_type": content,
            "grid_mapping": "spatial_ref",
        }
        if name == "dominant_vessel":
            attrs["comment"] = "the vessel's identifier is vessel[dominant_vessel]"
        ds[name] = (("lat", "lon"), values.astype(np.int32), attrs)
    table = biases.reindex(names)
    transducer = [float((offsets or {}).get(v, {}).get("transducer_depth", np.nan)) for v in names]
    columns = {
        "vessel_bias": table["bias"].to_numpy(float),
        "vessel_bias_uncertainty": table["uncertainty"].to_numpy(float),
        "vessel_bias_cells": table["cells"].fillna(0).to_numpy(np.int32),
        "vessel_transducer_depth": np.asarray(transducer, float),
        "vessel_soundings": np.asarray(soundings, np.int32),
        "vessel_cells": np.asarray(cells, np.int32),
    }
    ds = ds.assign_coords(
        vessel=(
            "vessel",
            np.asarray(names, dtype=object),
            {
                "long_name": "vessel identifier (Signal K URN, as filed by the shore)",
                "standard_name": STANDARD_NAMES["vessel"],
                "coverage_content_type": "auxiliaryInformation",
            },
        )
    )
    for name, (units, long_name, content) in VESSEL_VARIABLES.items():
        ds[name] = (
            ("vessel",),
            columns[name],
            {"units": units, "long_name": long_name, "coverage_content_type": content}
            | ({"standard_name": STANDARD_NAMES[name]} if name in STANDARD_NAMES else {})
            | ({"positive": "down"} if name == "vessel_transducer_depth" else {}),
        )
    ds.attrs["vessel_bias_reference"] = (
        "reference survey grid (absolute biases)"
        if reference
        else "consensus of the other vessels (relative biases: their median is zero)"
    )
    ds.attrs["vessel_bias_applied"] = "yes" if applied else "no"
    ds.attrs["vessel_bias_method"] = (
        "alternating medians over (cell, vessel) medians in shared cells; uncertainty: "
        "bootstrap standard error over cells"
    )
    return ds


def vessel_table(ds: xr.Dataset) -> pd.DataFrame:
    """The per-vessel variables of a depth map as a table indexed by vessel.

    Columns ``bias`` and ``uncertainty`` (m), ``bias_cells``, ``transducer_depth`` (m),
    ``soundings`` and ``cells``.

    Examples
    --------
    >>> ds = isomer.depth_grid(bbox, 0.001)
    >>> isomer_data.bathymetry.vessel_table(ds)
    """
    frame = ds[list(VESSEL_VARIABLES)].to_dataframe()
    frame = frame[list(VESSEL_VARIABLES)]
    frame.columns = [c.removeprefix("vessel_") for c in frame.columns]
    frame = frame.rename(columns={"bias_uncertainty": "uncertainty"})
    frame.index = pd.Index([str(v) for v in frame.index], name="vessel")
    return frame
