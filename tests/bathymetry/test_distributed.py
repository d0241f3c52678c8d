"""Gridding on Dask (a two-worker LocalCluster) gives the single-process gridder's map."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from isomer_data.bathymetry import grid_soundings
from isomer_data.bathymetry.distributed import grid_soundings_dask

BBOX = (0.0, 0.0, 0.02, 0.015)
RES = 0.001  # 20 × 15 cells, cut into bands of rows
OFFSETS = {"a": {"transducer_depth": 0.5}, "b": {"transducer_depth": 1.2}}


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as local,
        Client(local) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def soundings() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    parts = []
    for vessel, bias in (("a", 0.0), ("b", 0.2), ("c", -0.1)):
        n = 4000
        lon = rng.uniform(-0.001, 0.021, n)  # some fall outside the box
        lat = rng.uniform(0.0, 0.015, n)
        depth = 5 + 200 * lon + rng.normal(0, 0.1, n) + bias
        depth[rng.integers(0, n, 20)] += 5  # outliers to reject
        parts.append(
            pd.DataFrame(
                {
                    "time": pd.Timestamp("2026-05-01", tz="UTC"),
                    "longitude": lon,
                    "latitude": lat,
                    "depth_below_transducer": depth,
                    "vessel": vessel,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("apply_bias", [False, True])
def test_dask_grid_equals_the_single_process_grid(cluster, soundings, apply_bias):
    options = {"vessels": OFFSETS, "apply_bias": apply_bias}
    single = grid_soundings(soundings, BBOX, RES, **options)
    spread = grid_soundings_dask(soundings, BBOX, RES, scheduler=cluster, bands=6, **options)
    names = [n for n in single.data_vars if n != "spatial_ref"]
    assert sorted(names) == sorted(n for n in spread.data_vars if n != "spatial_ref")
    depth_gap = np.nanmax(np.abs(spread.depth.values - single.depth.values))
    assert depth_gap < 0.001  # the goal: the millimetre; in fact bit for bit
    xr.testing.assert_equal(spread[names], single[names])
    for key in ("soundings_used", "soundings_rejected_outliers", "soundings_outside_bbox"):
        assert spread.attrs[key] == single.attrs[key]
    assert single.attrs["soundings_rejected_outliers"] > 0
    assert single.attrs["soundings_outside_bbox"] > 0


def test_the_bathymetry_package_does_not_import_distributed():
    # xarray itself peeks at dask when it is installed; the cluster client is ours to load.
    code = "import sys, isomer_data.bathymetry; print('distributed' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
