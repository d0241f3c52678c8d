"""Every bathymetry statistic against a computation that does not use our code.

The expected values come from plain pandas group-bys on soundings reduced by hand
(depth below transducer + the vessel's transducer depth), from IHO S-44's TVU formula
written out here, and from a table of outlier cases worked by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from isomer_data.bathymetry import DepthGrid, GridSpec, grid_soundings
from isomer_data.bathymetry.external import ExternalGridder

BBOX = (-1.0, 50.0, -0.99, 50.004)  # 10 × 4 cells of 0.001°
RES = 0.001
OFFSETS = {"ship": 1.5, "yacht": 0.4}  # transducer depth below the waterline, m
VESSELS = {name: {"transducer_depth": depth} for name, depth in OFFSETS.items()}

# IHO S-44 (6th edition, table 1) total vertical uncertainty, a in m and b unitless.
S44 = {
    "exclusive": (0.15, 0.0075),
    "special": (0.25, 0.0075),
    "1a": (0.5, 0.013),
    "1b": (0.5, 0.013),
    "2": (1.0, 0.023),
}


def soundings(seed: int = 5) -> pd.DataFrame:
    """Whole-millimetre soundings, varied counts per cell (1, even, odd), some spikes.

    Positions stay 0.1–0.9 of a cell from its edges so that the cell is unambiguous.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for ix in range(10):
        for iy in range(4):
            n = (ix * 4 + iy) % 12  # 0 (an empty cell) to 11 soundings
            for j in range(n):
                vessel = ("ship", "yacht")[j % 2]
                depth_mm = round(10_000 + 500 * ix + 250 * iy + rng.normal(0, 80))
                if n >= 7 and j == 3:
                    depth_mm += 9_000  # a spike a robust rule must drop
                rows.append(
                    {
                        "time": pd.Timestamp("2024-05-01T12:00:00Z")
                        + pd.Timedelta(seconds=len(rows)),
                        "longitude": BBOX[0] + (ix + rng.uniform(0.1, 0.9)) * RES,
                        "latitude": BBOX[1] + (iy + rng.uniform(0.1, 0.9)) * RES,
                        # below the transducer, in mm, so that the hand reduction is exact
                        "depth_below_transducer": (depth_mm - round(OFFSETS[vessel] * 1000)) / 1000,
                        "vessel": vessel,
                        "ix": ix,
                        "iy": iy,
                    }
                )
    return pd.DataFrame(rows)


def by_hand(df: pd.DataFrame, k: float = 3.0, order: str = "1b") -> pd.DataFrame:
    """Per-cell statistics with pandas alone: the documented rule, written out again."""
    depth = df["depth_below_transducer"] + df["vessel"].map(OFFSETS)
    frame = pd.DataFrame({"ix": df["ix"], "iy": df["iy"], "depth": depth.round(3)})
    groups = frame.groupby(["iy", "ix"])["depth"]
    median = groups.transform("median")
    deviation = (frame["depth"] - median).abs()
    mad = deviation.groupby([frame["iy"], frame["ix"]]).transform("median")
    limit = k * 1.4826 * np.maximum(mad, 0.1)
    kept = frame[deviation <= limit + 0.0005]  # the rule's 0.5 mm resolution
    stats = kept.groupby(["iy", "ix"])["depth"].agg(["median", "mean", "std", "count"])
    stats["rejected"] = (
        frame.groupby(["iy", "ix"]).size() - kept.groupby(["iy", "ix"]).size()
    ).reindex(stats.index, fill_value=0)
    a, b = S44[order]
    tvu = np.sqrt(a**2 + (b * stats["median"]) ** 2)
    standard_error = (1.96 * stats["std"] / np.sqrt(stats["count"])).where(stats["count"] >= 2, 0.0)
    stats["uncertainty"] = np.sqrt(tvu**2 + standard_error**2)
    return stats


def at(ds, iy: int, ix: int, name: str) -> float:
    return float(
        ds[name].sel(
            lat=BBOX[1] + (iy + 0.5) * RES, lon=BBOX[0] + (ix + 0.5) * RES, method="nearest"
        )
    )


def assert_matches(ds, expected: pd.DataFrame) -> None:
    assert int((ds["count"] > 0).sum()) == len(expected)  # empty cells stay empty
    for (iy, ix), row in expected.iterrows():
        assert at(ds, iy, ix, "count") == row["count"], (iy, ix)
        assert at(ds, iy, ix, "depth") == pytest.approx(row["median"], abs=1e-5), (iy, ix)
        assert at(ds, iy, ix, "depth_mean") == pytest.approx(row["mean"], abs=1e-5), (iy, ix)
        if row["count"] >= 2:
            assert at(ds, iy, ix, "depth_std") == pytest.approx(row["std"], abs=1e-5), (iy, ix)
        else:
            assert math.isnan(at(ds, iy, ix, "depth_std"))
        assert at(ds, iy, ix, "uncertainty") == pytest.approx(row["uncertainty"], abs=1e-5)
        assert at(ds, iy, ix, "elevation") == pytest.approx(-row["median"], abs=1e-5)


def test_the_test_data_covers_empty_single_even_odd_and_spiked_cells():
    expected = by_hand(soundings())
    counts = expected["count"]
    assert (counts == 1).any() and (counts % 2 == 0).any() and (counts % 2 == 1).any()
    assert len(expected) < 40  # some cells are empty
    assert expected["rejected"].sum() >= 10


def test_grid_statistics_equal_a_pandas_group_by_of_the_reduced_soundings():
    df = soundings()
    expected = by_hand(df)
    ds = grid_soundings(df, BBOX, RES, vessels=VESSELS)
    assert_matches(ds, expected)
    assert ds.attrs["soundings_rejected_outliers"] == expected["rejected"].sum()
    assert ds.attrs["soundings_used"] == expected["count"].sum()


@pytest.mark.parametrize("order", sorted(S44))
def test_uncertainty_is_s44_tvu_of_the_order_combined_with_the_standard_error(order):
    df = soundings()
    ds = grid_soundings(df, BBOX, RES, vessels=VESSELS, order=order)
    assert_matches(ds, by_hand(df, order=order))
    assert ds.attrs["tvu_order"] == order


def test_unknown_s44_order_is_refused_with_the_orders_we_know():
    with pytest.raises(ValueError, match="exclusive"):
        grid_soundings(soundings(), BBOX, RES, vessels=VESSELS, order="3")


def test_single_sounding_cell_has_the_tvu_alone_worked_by_hand():
    df = soundings()
    one = df[(df.ix == 0) & (df.iy == 1)]  # the cell with n = 1
    assert len(one) == 1
    d = one["depth_below_transducer"].iloc[0] + OFFSETS[one["vessel"].iloc[0]]
    ds = grid_soundings(df, BBOX, RES, vessels=VESSELS)
    assert at(ds, 1, 0, "uncertainty") == pytest.approx(
        math.sqrt(0.5**2 + (0.013 * d) ** 2), abs=1e-5
    )


@pytest.mark.parametrize("k", [2.0, 3.0, 4.5])
def test_changing_k_matches_the_pandas_group_by(k):
    df = soundings()
    expected = by_hand(df, k=k)
    ds = grid_soundings(df, BBOX, RES, vessels=VESSELS, k=k)
    assert_matches(ds, expected)
    assert ds.attrs["soundings_rejected_outliers"] == expected["rejected"].sum()


def test_incremental_grid_equals_the_pandas_group_by_and_counts_rejections():
    df = soundings()
    expected = by_hand(df)
    grid = DepthGrid(BBOX, RES, vessels=VESSELS)
    shuffled = df.sample(frac=1, random_state=3)
    for part in np.array_split(np.arange(len(df)), 4):
        grid.add(shuffled.iloc[part])
    ds = grid.to_dataset()
    assert_matches(ds, expected)
    assert grid.rejected == expected["rejected"].sum() >= 10
    assert ds.attrs["soundings_rejected_outliers"] == grid.rejected
    assert ds.attrs["soundings_used"] == expected["count"].sum()


def test_external_gridder_equals_the_pandas_group_by(tmp_path):
    df = soundings()
    expected = by_hand(df)
    depth = df["depth_below_transducer"] + df["vessel"].map(OFFSETS)
    spec = GridSpec(*BBOX, RES)
    with ExternalGridder(spec, bands=3, workdir=tmp_path / "bands") as gridder:
        for part in np.array_split(np.arange(len(df)), 5):
            rows = df.iloc[part]
            gridder.add(rows.longitude, rows.latitude, depth.iloc[part])
        stats = gridder.finish()
    assert gridder.rejected == expected["rejected"].sum()
    for (iy, ix), row in expected.iterrows():
        cell = iy * spec.nx + ix
        assert stats["count"][cell] == row["count"]
        for ours, theirs in (
            ("median", "median"),
            ("mean", "mean"),
            ("uncertainty", "uncertainty"),
        ):
            assert stats[ours][cell] == pytest.approx(row[theirs], abs=1e-5), (ours, iy, ix)
        if row["count"] >= 2:
            assert stats["std"][cell] == pytest.approx(row["std"], abs=1e-5)
    empty = np.ones(spec.size, bool)
    empty[[iy * spec.nx + ix for iy, ix in expected.index]] = False
    assert (stats["count"][empty] == 0).all() and np.isnan(stats["median"][empty]).all()


# Outlier rule at its borders, worked by hand. Rule: reject when
# |d − median| > k · 1.4826 · max(MAD, 0.1 m).
# (depths in one cell, k, rejected depths, median of the kept)
OUTLIER_TABLE = [
    pytest.param(
        # median 20, every deviation 0, MAD 0 → floor 0.1 → limit 0.44478: nothing dropped
        [20.0] * 7,
        3.0,
        [],
        20.0,
        id="identical-soundings-keep-all-through-the-MAD-floor",
    ),
    pytest.param(
        # median 20, MAD 0 → limit 0.44478 m; 20.444 deviates 0.444 ≤ limit: kept
        [20.0] * 6 + [20.444],
        3.0,
        [],
        20.0,
        id="floor-limit-inside",
    ),
    pytest.param(
        # 20.445 deviates 0.445, 0.22 mm past the limit: within the rule's 0.5 mm
        # resolution, kept
        [20.0] * 6 + [20.445],
        3.0,
        [],
        20.0,
        id="floor-limit-within-half-a-millimetre",
    ),
    pytest.param(
        # 20.446 deviates 0.446, 1.22 mm past the limit: dropped
        [20.0] * 6 + [20.446],
        3.0,
        [20.446],
        20.0,
        id="floor-limit-outside",
    ),
    pytest.param(
        # median 10.3; deviations .3 .2 .1 0 .1 .2 1.0 → sorted 0 .1 .1 .2 .2 .3 1.0,
        # MAD 0.2, limit 0.88956; 11.3 deviates 1.0: dropped; kept median (10.2+10.3)/2
        [10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 11.3],
        3.0,
        [11.3],
        10.25,
        id="one-outlier",
    ),
    pytest.param(
        # sorted 2.0 10.0 … 10.6 18.0, median 10.3; deviations sorted
        # 0 .1 .1 .2 .2 .3 .3 7.7 8.3 → MAD 0.2, limit 0.88956: 2.0 and 18.0 dropped
        [10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6, 2.0, 18.0],
        3.0,
        [2.0, 18.0],
        10.3,
        id="two-outliers",
    ),
    pytest.param(
        # median 10.3; deviations .3 .1 0 .1 .301 → MAD 0.1 (the floor too);
        # k = 3/1.4826 → limit exactly 0.3: 10.0 sits on it (kept), 10.601 is 1 mm past
        [10.0, 10.2, 10.3, 10.4, 10.601],
        3 / 1.4826,
        [10.601],
        10.25,
        id="exactly-at-the-threshold-kept-1-mm-past-dropped",
    ),
    pytest.param(
        # median 10.3, deviations sorted 0 .1 .1 .2 .2 .3 .3 → MAD 0.2; k = 1 → limit
        # 0.29652: the two at 0.3 go, the two at 0.2 stay
        [10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6],
        1.0,
        [10.0, 10.6],
        10.3,
        id="k-1-drops-what-k-3-keeps",
    ),
    pytest.param([10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6], 3.0, [], 10.3, id="k-3-keeps-them"),
    pytest.param(
        # median 10.3 (5th of 9); deviations sorted 0 0 0 0 .05 .05 .1 .3 .45 → MAD 0.05
        # < floor, so limit 0.44478 (not 0.22239): 10.6 (0.3) stays, 10.75 (0.45) goes
        [10.2, 10.25, 10.3, 10.3, 10.3, 10.3, 10.35, 10.6, 10.75],
        3.0,
        [10.75],
        10.3,
        id="MAD-below-the-floor-uses-the-floor",
    ),
    pytest.param(
        # even count: median (10.3+10.4)/2 = 10.35, deviations .35 .25 .05 .05 .25 .35
        # → sorted .05 .05 .25 .25 .35 .35, MAD 0.25; k = 0.35/(1.4826·0.25) makes the
        # limit exactly 0.35: 10.0 and 10.7 sit on it, kept
        [10.0, 10.1, 10.3, 10.4, 10.6, 10.7],
        0.35 / (1.4826 * 0.25),
        [],
        10.35,
        id="even-count-both-ends-exactly-on-the-threshold",
    ),
]


def one_cell(depths: list[float]) -> pd.DataFrame:
    n = len(depths)
    return pd.DataFrame(
        {
            "time": pd.Timestamp("2024-05-01T12:00:00Z") + pd.to_timedelta(np.arange(n), "s"),
            "longitude": np.full(n, BBOX[0] + 0.5 * RES),
            "latitude": np.full(n, BBOX[1] + 0.5 * RES),
            "depth_below_transducer": np.asarray(depths) - 1.5,
            "vessel": "ship",
            "ix": 0,
            "iy": 0,
        }
    )


@pytest.mark.parametrize(("depths", "k", "dropped", "median"), OUTLIER_TABLE)
def test_outlier_rule_at_its_borders_follows_the_hand_worked_table(
    depths, k, dropped, median, tmp_path
):
    df = one_cell(depths)
    kept = list(depths)
    for d in dropped:
        kept.remove(d)
    # every implementation: in one go, incremental, through band files
    ds = grid_soundings(df, BBOX, RES, vessels=VESSELS, k=k)
    assert ds.attrs["soundings_rejected_outliers"] == len(dropped)
    assert at(ds, 0, 0, "count") == len(kept)
    assert at(ds, 0, 0, "depth") == pytest.approx(median, abs=1e-6)
    assert at(ds, 0, 0, "depth_mean") == pytest.approx(sum(kept) / len(kept), abs=1e-5)

    grid = DepthGrid(BBOX, RES, vessels=VESSELS, k=k)
    grid.add(df.iloc[: len(df) // 2])
    grid.add(df.iloc[len(df) // 2 :])
    assert grid.rejected == len(dropped)
    assert grid.to_dataset().attrs["soundings_rejected_outliers"] == len(dropped)

    with ExternalGridder(GridSpec(*BBOX, RES), bands=2, workdir=tmp_path, k=k) as gridder:
        gridder.add(df.longitude, df.latitude, np.asarray(depths))
        stats = gridder.finish()
    assert gridder.rejected == len(dropped)
    assert stats["median"][0] == pytest.approx(median, abs=1e-6)
    # and the independent group-by agrees with the table too
    assert by_hand(df, k=k)["rejected"].sum() == len(dropped)
