"""Offsets and water level against values worked by hand, not by our reduction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from isomer_data.bathymetry import DepthGrid, grid_soundings, reduce_soundings

BBOX = (-1.0, 50.0, -0.998, 50.001)  # two cells of 0.001°
RES = 0.001
T0 = pd.Timestamp("2024-05-01T12:00:00Z")


def sounding(minutes: float, below: float, vessel: str = "ship", cell: int = 0, **extra):
    return {
        "time": T0 + pd.Timedelta(minutes=minutes),
        "longitude": BBOX[0] + (cell + 0.5) * RES,
        "latitude": BBOX[1] + 0.5 * RES,
        "depth_below_transducer": below,
        "vessel": vessel,
        **extra,
    }


# Readings every 10 minutes: 1.0 m at 12:00, 2.0 m at 12:10, 1.6 m at 12:20.
TIDE = pd.Series([1.0, 2.0, 1.6], index=[T0 + pd.Timedelta(minutes=m) for m in (0, 10, 20)])
VESSELS = {"ship": {"transducer_depth": 1.0}}


@pytest.mark.parametrize(
    ("minutes", "level"),
    [
        (0, 1.0),  # on a reading
        (3, 1.3),  # 1.0 + 3/10 · (2.0 − 1.0)
        (10, 2.0),
        (12.5, 1.9),  # 2.0 + 2.5/10 · (1.6 − 2.0)
        (19.5, 1.62),  # 2.0 + 9.5/10 · (−0.4)
        (20, 1.6),
    ],
)
def test_tide_series_is_interpolated_linearly_in_time_between_readings(minutes, level):
    df = pd.DataFrame([sounding(minutes, 9.0)])
    reduced = reduce_soundings(df, VESSELS, TIDE)
    # 9.0 below the transducer + 1.0 transducer depth − the water level
    assert reduced["depth"].iloc[0] == pytest.approx(10.0 - level, abs=1e-9)
    assert bool(reduced["water_level_applied"].iloc[0])


def test_tide_series_out_of_order_and_in_another_zone_interpolates_the_same():
    shuffled = TIDE.iloc[[2, 0, 1]]
    shuffled.index = shuffled.index.tz_convert("Europe/Berlin")
    df = pd.DataFrame([sounding(12.5, 9.0)])
    assert reduce_soundings(df, VESSELS, shuffled)["depth"].iloc[0] == pytest.approx(8.1)


def test_sounding_outside_the_tide_record_is_not_reduced_with_an_invented_level():
    df = pd.DataFrame([sounding(-1, 9.0), sounding(5, 9.0), sounding(21, 9.0)])
    reduced = reduce_soundings(df, VESSELS, TIDE)
    assert reduced["water_level_applied"].tolist() == [False, True, False]
    assert np.isnan(reduced["depth"].iloc[0]) and np.isnan(reduced["depth"].iloc[2])
    assert reduced["depth"].iloc[1] == pytest.approx(10.0 - 1.5)
    ds = grid_soundings(df, BBOX, RES, vessels=VESSELS, tide=TIDE)
    assert ds.attrs["soundings_without_water_level"] == 2
    assert ds.attrs["soundings_outside_bbox"] == 0
    assert int(ds["count"].sum()) == 1
    grid = DepthGrid(BBOX, RES, vessels=VESSELS, tide=TIDE)
    grid.add(df)
    assert grid.to_dataset().attrs["soundings_without_water_level"] == 2


def test_callable_tide_gets_the_sounding_times_and_its_level_is_subtracted():
    seen = []

    def tide(times):
        seen.append(times)
        hours = (times - np.datetime64("2024-05-01T12:00:00")) / np.timedelta64(1, "h")
        return 0.5 + 0.3 * hours  # 0.5 m at noon, rising 0.3 m an hour

    df = pd.DataFrame([sounding(0, 9.0), sounding(30, 9.0), sounding(90, 9.0)])
    reduced = reduce_soundings(df, VESSELS, tide)
    # 10.0 − 0.5, 10.0 − (0.5 + 0.15), 10.0 − (0.5 + 0.45)
    np.testing.assert_allclose(reduced["depth"], [9.5, 9.35, 9.05], atol=1e-9)
    assert seen[0].dtype == np.dtype("datetime64[ns]")


def test_dpt_offset_wins_over_the_vessel_record_when_they_disagree():
    # The sounder reported DPT 7.5 m with offset +0.5 (below surface 8.0 m); the vessel
    # record says the transducer sits 1.2 m down. The instrument's own offset is used.
    df = pd.DataFrame(
        [
            sounding(0, 7.5, depth_below_surface=8.0, transducer_offset=0.5),
            sounding(1, 7.5, depth_below_surface=np.nan, transducer_offset=np.nan),
        ]
    )
    reduced = reduce_soundings(df, {"ship": {"transducer_depth": 1.2}})
    assert reduced["depth"].tolist() == pytest.approx([8.0, 8.7])
    assert reduced["offset_applied"].tolist() == [True, True]
    ds = grid_soundings(df, BBOX, RES, vessels={"ship": {"transducer_depth": 1.2}})
    assert ds.attrs["soundings_offset_disagreeing"] == 1  # 0.5 vs 1.2: worth a look


def test_two_vessels_drafts_and_transducers_combine_in_one_grid():
    # Same seabed, 12.0 m below the surface. The ship's transducer is 2.5 m down (draft
    # 4.0, not used: the sounder measures from the transducer); the yacht's 0.3 m (draft
    # 1.8). A third, unknown to the records, sends DPT with its offset.
    vessels = {
        "ship": {"transducer_depth": 2.5, "draft": 4.0},
        "yacht": {"transducer_depth": 0.3, "draft": 1.8},
    }
    rows = [sounding(i, 12.0 - 2.5 + e, "ship") for i, e in enumerate((-0.02, 0.0, 0.03))]
    rows += [sounding(5 + i, 12.0 - 0.3 + e, "yacht") for i, e in enumerate((0.01, -0.01))]
    rows += [sounding(9, 11.0, "rib", depth_below_surface=12.04, transducer_offset=1.04)]
    rows += [sounding(10, 20.0 - 2.5, "ship", cell=1), sounding(11, 20.1 - 0.3, "yacht", cell=1)]
    df = pd.DataFrame(rows)
    ds = grid_soundings(df, BBOX, RES, vessels=vessels)
    # cell 0 below the surface: 11.98 12.00 12.03 (ship) 12.01 11.99 (yacht) 12.04 (rib)
    # sorted 11.98 11.99 12.00 12.01 12.03 12.04 → median (12.00 + 12.01)/2 = 12.005
    first = ds.isel(lat=0, lon=0)
    assert float(first.depth) == pytest.approx(12.005, abs=1e-6)
    assert float(first.depth_mean) == pytest.approx(72.05 / 6, abs=1e-6)
    assert int(first["count"]) == 6
    second = ds.isel(lat=0, lon=1)  # 20.0 and 20.1: median 20.05
    assert float(second.depth) == pytest.approx(20.05, abs=1e-6)
    assert ds.attrs["soundings_without_offset"] == 0
    # the same through the incremental grid, vessel by vessel
    grid = DepthGrid(BBOX, RES, vessels=vessels)
    for _, part in df.groupby("vessel"):
        grid.add(part)
    assert float(grid.to_dataset().isel(lat=0, lon=0).depth) == pytest.approx(12.005, abs=1e-6)


def test_tide_readings_in_seconds_and_soundings_in_microseconds_line_up():
    # pandas keeps a time unit per index; the interpolation must not mix them.
    tide = TIDE.set_axis(TIDE.index.as_unit("s"))
    df = pd.DataFrame([sounding(3, 9.0)])
    df["time"] = df["time"].astype("datetime64[us, UTC]")
    assert reduce_soundings(df, VESSELS, tide)["depth"].iloc[0] == pytest.approx(10.0 - 1.3)
