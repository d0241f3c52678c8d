"""Vessel bias against the fleet or a reference survey, checked against worked numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from isomer_data.bathymetry.bias import apply_vessel_bias, contributors, estimate_vessel_bias
from isomer_data.bathymetry.grid import GridSpec

SPEC = GridSpec(0.0, 0.0, 0.01, 0.01, 0.001)  # 10 × 10 cells


def seabed(lon, lat):
    return 5.0 + 300.0 * lon + 100.0 * lat  # 5 m to 9 m across the box


def track(vessel: str, bias: float, n: int, rng, noise: float = 0.0) -> pd.DataFrame:
    lon = rng.uniform(0, 0.01, n)
    lat = rng.uniform(0, 0.01, n)
    depth = seabed(lon, lat) + bias + rng.normal(0, noise, n) if noise else seabed(lon, lat) + bias
    return pd.DataFrame({"longitude": lon, "latitude": lat, "vessel": vessel, "depth": depth})


def cell_truth() -> np.ndarray:
    lon, lat = np.meshgrid(SPEC.lon_centres(), SPEC.lat_centres())
    return seabed(lon, lat).ravel()


def test_worked_example_one_biased_vessel_among_three():
    # Four cells, each sounded once by every vessel; B reads 0.30 m too deep.
    rows = []
    truth = {0: 4.0, 1: 6.0, 12: 8.0, 99: 10.0}
    for cell, depth in truth.items():
        lon = SPEC.west + (cell % SPEC.nx + 0.5) * SPEC.resolution
        lat = SPEC.south + (cell // SPEC.nx + 0.5) * SPEC.resolution
        for vessel, bias in (("A", 0.0), ("B", 0.30), ("C", 0.0)):
            rows.append(
                {"longitude": lon, "latitude": lat, "vessel": vessel, "depth": depth + bias}
            )
    frame = pd.DataFrame(rows)
    table = estimate_vessel_bias(frame, SPEC)
    assert table.loc["B", "bias"] == pytest.approx(0.30, abs=1e-9)
    assert table.loc["A", "bias"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc["C", "bias"] == pytest.approx(0.0, abs=1e-9)
    assert list(table["cells"]) == [4, 4, 4]
    assert table["uncertainty"].max() == pytest.approx(0.0, abs=1e-9)  # no noise at all
    fixed = apply_vessel_bias(frame, table)
    assert np.allclose(fixed.groupby("longitude")["depth"].std(), 0.0)


def test_noisy_fleet_recovers_the_simulated_bias_within_its_uncertainty():
    rng = np.random.default_rng(7)
    frame = pd.concat(
        [
            track("urn:mrn:imo:mmsi:235000001", 0.0, 4000, rng, 0.08),
            track("urn:mrn:imo:mmsi:235000002", 0.42, 4000, rng, 0.08),
            track("urn:mrn:imo:mmsi:235000003", 0.0, 4000, rng, 0.08),
            track("urn:mrn:imo:mmsi:235000004", -0.05, 4000, rng, 0.08),
        ],
        ignore_index=True,
    )
    table = estimate_vessel_bias(frame, SPEC)
    expected = {"1": 0.0, "2": 0.42, "3": 0.0, "4": -0.05}
    for suffix, bias in expected.items():
        row = table.loc[f"urn:mrn:imo:mmsi:23500000{suffix}"]
        assert row["cells"] == 100
        assert 0 < row["uncertainty"] < 0.02
        assert row["bias"] == pytest.approx(bias, abs=max(3 * row["uncertainty"], 0.01))


def test_two_vessels_need_a_reference_for_absolute_bias():
    rng = np.random.default_rng(11)
    frame = pd.concat(
        [track("A", 0.0, 3000, rng, 0.05), track("B", 0.25, 3000, rng, 0.05)], ignore_index=True
    )
    relative = estimate_vessel_bias(frame, SPEC)
    # Only the difference is observable: 0.25 m apart, centred on the fleet.
    assert relative.loc["B", "bias"] - relative.loc["A", "bias"] == pytest.approx(0.25, abs=0.02)
    assert relative["bias"].median() == pytest.approx(0.0, abs=1e-9)
    survey = cell_truth()
    absolute = estimate_vessel_bias(frame, SPEC, reference=survey)
    # Cell centres vs sounding positions: the seabed's slope inside a cell averages out.
    assert absolute.loc["A", "bias"] == pytest.approx(0.0, abs=0.02)
    assert absolute.loc["B", "bias"] == pytest.approx(0.25, abs=0.02)


def test_too_few_shared_cells_leave_the_bias_unknown():
    rng = np.random.default_rng(3)
    lonely = pd.DataFrame(  # a few soundings, all in the south-west cell
        {"longitude": [0.0002, 0.0004, 0.0006], "latitude": [0.0003, 0.0005, 0.0007]}
    )
    lonely = lonely.assign(vessel="solo", depth=seabed(lonely.longitude, lonely.latitude) + 0.3)
    frame = pd.concat([track("A", 0, 500, rng), track("B", 0, 500, rng), lonely])
    table = estimate_vessel_bias(frame, SPEC, min_cells=3)
    assert np.isnan(table.loc["solo", "bias"]) and table.loc["solo", "cells"] == 1
    unchanged = apply_vessel_bias(frame[frame.vessel == "solo"], table)
    assert np.array_equal(unchanged["depth"], frame[frame.vessel == "solo"]["depth"])


def test_contributors_count_distinct_vessels_per_cell():
    frame = pd.DataFrame(
        {
            "longitude": [0.0005, 0.0005, 0.0005, 0.0015, 0.02],
            "latitude": [0.0005, 0.0005, 0.0005, 0.0005, 0.0005],
            "vessel": ["A", "A", "B", "A", "B"],
            "depth": [5.0, 5.1, 5.2, 6.0, 7.0],
        }
    )
    counts = contributors(frame, SPEC)
    assert counts[0] == 2 and counts[1] == 1 and counts.sum() == 3  # the last one is outside
