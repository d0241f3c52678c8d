"""The depth map across vessels: own offsets, bias recovered and applied, contributors per
cell, and incremental updates equal to a full recompute."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from isomer_data.bathymetry import DepthGrid, grid_soundings, vessel_table
from isomer_data.bathymetry.grid import GridSpec

BBOX = (0.0, 0.0, 0.01, 0.01)
RES = 0.001  # 10 × 10 cells
SPEC = GridSpec(*BBOX, RES)
A, B = "urn:mrn:imo:mmsi:235000001", "urn:mrn:imo:mmsi:235000002"
OFFSETS = {A: {"transducer_depth": 0.5}, B: {"transducer_depth": 1.8}}
BIAS_B = 0.30


def seabed(lon, lat):
    return 6.0 + 100.0 * lon + 50.0 * lat  # 6 m to 7.5 m across the box


def sounder(vessel, n, rng, *, bias=0.0, noise=0.05, start=0.0) -> pd.DataFrame:
    """DBT as the vessel's sounder reads it: below its own transducer, plus its bias."""
    lon = rng.uniform(0, 0.01, n)
    lat = rng.uniform(0, 0.01, n)
    true = seabed(lon, lat)
    below = true - OFFSETS[vessel]["transducer_depth"] + bias + rng.normal(0, noise, n)
    return pd.DataFrame(
        {
            "time": pd.to_datetime(start + np.arange(n), unit="s", utc=True),
            "longitude": lon,
            "latitude": lat,
            "depth_below_transducer": np.round(below, 3),
            "vessel": vessel,
        }
    )


@pytest.fixture(scope="module")
def fleet() -> pd.DataFrame:
    rng = np.random.default_rng(13)
    return pd.concat(
        [sounder(A, 3000, rng), sounder(B, 3000, rng, bias=BIAS_B, start=10_000)],
        ignore_index=True,
    )


def survey() -> xr.DataArray:
    """A reference survey grid: the true seabed at each cell centre (lat descending)."""
    lat = SPEC.lat_centres()[::-1]
    lon = SPEC.lon_centres()
    lon2, lat2 = np.meshgrid(lon, lat)
    return xr.DataArray(seabed(lon2, lat2), coords={"lat": lat, "lon": lon}, dims=("lat", "lon"))


def test_two_vessels_with_own_offsets_and_a_bias_recover_it_within_its_uncertainty(fleet):
    ds = grid_soundings(fleet, BBOX, RES, vessels=OFFSETS, reference=survey())
    table = vessel_table(ds)
    assert list(table.index) == [A, B]
    assert table.loc[A, "transducer_depth"] == 0.5 and table.loc[B, "transducer_depth"] == 1.8
    for vessel, truth in ((A, 0.0), (B, BIAS_B)):
        row = table.loc[vessel]
        assert 0 < row["uncertainty"] < 0.02
        assert abs(row["bias"] - truth) <= 3 * row["uncertainty"], row
        assert row["bias_cells"] == 100 and row["cells"] == 100 and row["soundings"] > 2900
    assert ds.attrs["vessel_bias_reference"].startswith("reference survey")
    assert ds.attrs["vessel_bias_applied"] == "no"


def test_without_a_reference_the_difference_between_vessels_is_recovered(fleet):
    table = vessel_table(grid_soundings(fleet, BBOX, RES, vessels=OFFSETS))
    difference = table.loc[B, "bias"] - table.loc[A, "bias"]
    spread = np.hypot(table.loc[A, "uncertainty"], table.loc[B, "uncertainty"])
    assert abs(difference - BIAS_B) <= 3 * spread and spread < 0.03
    assert table["bias"].median() == pytest.approx(0.0, abs=1e-9)  # relative to the fleet
    # Without each vessel's own offset the 1.3 m between the transducers would pass for bias.
    blind = vessel_table(grid_soundings(fleet, BBOX, RES))
    assert blind.loc[B, "bias"] - blind.loc[A, "bias"] == pytest.approx(BIAS_B - 1.3, abs=0.05)


def test_applying_the_bias_brings_the_map_to_the_survey(fleet):
    truth = survey()
    raw = grid_soundings(fleet, BBOX, RES, vessels=OFFSETS, reference=truth)
    fixed = grid_soundings(fleet, BBOX, RES, vessels=OFFSETS, reference=truth, apply_bias=True)
    assert fixed.attrs["vessel_bias_applied"] == "yes"
    raw_error = float(np.abs(raw.depth - truth).median())
    fixed_error = float(np.abs(fixed.depth - truth).median())
    assert raw_error > 0.1  # half the vessels read 0.3 m deep
    assert fixed_error < 0.03, fixed_error


def test_cells_record_how_many_vessels_and_soundings_support_them():
    def at(cell, vessel, depth):
        return {
            "time": pd.Timestamp("2026-06-01", tz="UTC"),
            "longitude": SPEC.west + (cell % SPEC.nx + 0.5) * RES,
            "latitude": SPEC.south + (cell // SPEC.nx + 0.5) * RES,
            "depth_below_transducer": depth,
            "vessel": vessel,
        }

    rows = [at(0, "b", 5.0), at(0, "b", 5.1), at(0, "a", 5.2)]  # b sounded most
    rows += [at(1, "c", 6.0)]  # one vessel
    rows += [at(2, "c", 7.0), at(2, "a", 7.1)]  # a tie goes to the first name: a
    ds = grid_soundings(pd.DataFrame(rows), BBOX, RES)
    south = ds.isel(lat=-1)  # lat is north-up: the last row is the southern one
    assert list(ds.vessel.values) == ["a", "b", "c"]
    assert list(south.vessel_count.values[:4]) == [2, 1, 2, 0]
    assert list(south["count"].values[:4]) == [3, 1, 2, 0]
    assert list(south.dominant_vessel.values[:4]) == [1, 2, 0, -1]
    table = vessel_table(ds)
    assert list(table["soundings"]) == [2, 2, 2] and list(table["cells"]) == [2, 1, 2]
    for name in ("vessel_count", "dominant_vessel", *[v for v in ds.data_vars if "vessel_" in v]):
        attrs = ds[name].attrs
        assert attrs["units"] and attrs["long_name"] and attrs["coverage_content_type"], name


@pytest.mark.parametrize("apply_bias", [False, True])
def test_an_incremental_update_equals_a_full_recompute(fleet, apply_bias):
    rng = np.random.default_rng(5)
    late = sounder(B, 400, rng, bias=BIAS_B, start=20_000)
    late = late[late.longitude < 0.004]  # a new batch in the western cells only
    batches = [fleet.iloc[:2500], fleet.iloc[2500:], late]
    grid = DepthGrid(BBOX, RES, vessels=OFFSETS, apply_bias=apply_bias)
    touched = [grid.add(batch) for batch in batches]
    full = grid_soundings(
        pd.concat(batches, ignore_index=True), BBOX, RES, vessels=OFFSETS, apply_bias=apply_bias
    )
    incremental = grid.to_dataset()
    names = [n for n in full.data_vars if n != "spatial_ref"]
    assert sorted(names) == sorted(n for n in incremental.data_vars if n != "spatial_ref")
    xr.testing.assert_equal(incremental[names], full[names])
    if not apply_bias:
        assert touched[-1] == 40  # only the cells the last batch fell in
    else:  # a bias that moved re-grids its vessel's cells
        assert touched[-1] >= 40
