"""Gridding with a known seabed: medians, offsets, outliers, incremental updates, files."""

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr

from isomer_data.bathymetry import DepthGrid, grid_soundings, reduce_soundings
from isomer_data.export import to_geotiff, to_netcdf

BBOX = (-1.0, 50.0, -0.99, 50.004)  # 10 × 4 cells of 0.001°
RES = 0.001


def true_depth(ix, iy):
    return 10.0 + 0.5 * ix + 0.25 * iy


def synthetic(seed=1, n_per_cell=9, vessel_offsets=(("ship", 1.5), ("yacht", 0.4))):
    """Soundings per cell around a known seabed, from two vessels with different transducers."""
    rng = np.random.default_rng(seed)
    rows = []
    for ix in range(10):
        for iy in range(4):
            for j in range(n_per_cell):
                vessel, offset = vessel_offsets[j % 2]
                lon = BBOX[0] + (ix + rng.uniform(0.1, 0.9)) * RES
                lat = BBOX[1] + (iy + rng.uniform(0.1, 0.9)) * RES
                depth = true_depth(ix, iy) + rng.normal(0, 0.05)
                rows.append(
                    {
                        "time": pd.Timestamp("2024-05-01T12:00:00Z")
                        + pd.Timedelta(seconds=len(rows)),
                        "longitude": lon,
                        "latitude": lat,
                        "depth_below_transducer": depth - offset,
                        "vessel": vessel,
                    }
                )
    return pd.DataFrame(rows)


VESSELS = {"ship": {"transducer_depth": 1.5}, "yacht": {"transducer_depth": 0.4}}


def expected_medians(df):
    reduced = reduce_soundings(df, VESSELS)
    ix = np.floor((reduced.longitude - BBOX[0]) / RES).astype(int)
    iy = np.floor((reduced.latitude - BBOX[1]) / RES).astype(int)
    return reduced.assign(ix=ix, iy=iy).groupby(["iy", "ix"])["depth"].median()


def test_grid_depth_is_the_median_of_offset_corrected_soundings_per_cell():
    df = synthetic()
    ds = grid_soundings(df, BBOX, RES, vessels=VESSELS)
    assert ds.depth.dims == ("lat", "lon") and ds.depth.shape == (4, 10)
    assert ds.lat.values[0] > ds.lat.values[-1]  # north-up
    for (iy, ix), median in expected_medians(df).items():
        cell = ds.depth.sel(
            lat=BBOX[1] + (iy + 0.5) * RES, lon=BBOX[0] + (ix + 0.5) * RES, method="nearest"
        )
        assert float(cell) == pytest.approx(median, abs=1e-3)
        assert float(cell) == pytest.approx(true_depth(ix, iy), abs=0.1)
    assert int(ds["count"].sum()) == len(df)
    assert ds.attrs["soundings_without_offset"] == 0


def test_vessel_without_offset_metadata_is_used_but_counted():
    df = synthetic()
    ds = grid_soundings(df, BBOX, RES, vessels={"ship": VESSELS["ship"]})
    assert ds.attrs["soundings_without_offset"] == (df.vessel == "yacht").sum()


def test_outlier_is_rejected_and_counted():
    df = synthetic()
    spike = df.iloc[[0]].assign(depth_below_transducer=55.0)
    ds = grid_soundings(pd.concat([df, spike]), BBOX, RES, vessels=VESSELS)
    assert ds.attrs["soundings_rejected_outliers"] == 1
    assert float(ds.depth.max()) < 20


def test_incremental_grid_counts_a_spike_and_reports_it_in_the_dataset():
    df = synthetic()
    grid = DepthGrid(BBOX, RES, vessels=VESSELS)
    grid.add(df)
    assert grid.rejected == 0
    grid.add(df.iloc[[0]].assign(depth_below_transducer=55.0))
    assert grid.rejected == 1
    ds = grid.to_dataset()
    assert ds.attrs["soundings_rejected_outliers"] == 1
    assert ds.attrs["soundings_used"] == len(df)
    assert float(ds.depth.max()) < 20


def test_tide_is_subtracted_after_the_offsets():
    df = synthetic()
    tide = pd.Series([1.0, 1.0], index=pd.to_datetime(["2024-05-01", "2024-05-02"], utc=True))
    plain = grid_soundings(df, BBOX, RES, vessels=VESSELS)
    reduced = grid_soundings(df, BBOX, RES, vessels=VESSELS, tide=tide)
    np.testing.assert_allclose(reduced.depth.values, plain.depth.values - 1.0, atol=1e-5)


def test_incremental_grid_equals_full_recompute_and_touches_only_new_cells():
    df = synthetic()
    grid = DepthGrid(BBOX, RES, vessels=VESSELS)
    grid.add(df.iloc[: len(df) // 2])
    later = df.iloc[len(df) // 2 :]
    touched = grid.add(later)
    full = grid_soundings(df, BBOX, RES, vessels=VESSELS)
    inc = grid.to_dataset()
    np.testing.assert_allclose(inc.depth.values, full.depth.values, atol=1e-6)
    np.testing.assert_array_equal(inc["count"].values, full["count"].values)
    assert touched == 20  # rows are ordered cell by cell: the second half is cells 20–39
    assert grid.rejected == full.attrs["soundings_rejected_outliers"]


def test_dataset_has_cf_and_acdd_metadata():
    ds = grid_soundings(synthetic(), BBOX, RES, vessels=VESSELS)
    assert ds.attrs["Conventions"] == "CF-1.8, ACDD-1.3"
    for key in (
        "title",
        "summary",
        "id",
        "date_created",
        "time_coverage_start",
        "geospatial_lat_min",
        "license",
    ):
        assert ds.attrs[key]
    assert ds.depth.attrs["standard_name"] == "sea_floor_depth_below_sea_surface"
    assert ds.depth.attrs["units"] == "m"
    assert ds.rio.crs.to_epsg() == 4326


def test_netcdf_reads_back_with_cf_encoding(tmp_path):
    ds = grid_soundings(synthetic(), BBOX, RES, vessels=VESSELS)
    path = to_netcdf(ds, tmp_path / "depth.nc")
    back = xr.open_dataset(path, engine="netcdf4", decode_coords="all")
    np.testing.assert_allclose(back.depth.values, ds.depth.values)
    assert "_FillValue" not in back.lat.encoding or back.lat.encoding["_FillValue"] is None
    assert back.depth.encoding["zlib"] is True
    grid_mapping = back.depth.attrs.get("grid_mapping") or back.depth.encoding.get("grid_mapping")
    assert grid_mapping == "spatial_ref"
    assert back.rio.crs.to_epsg() == 4326
    with rasterio.open(f"netcdf:{path}:depth") as src:
        assert src.crs.to_epsg() == 4326


@pytest.mark.parametrize("cog", [False, True])
def test_geotiff_and_cog_read_back_with_crs_nodata_and_values(tmp_path, cog):
    df = synthetic()
    ds = grid_soundings(
        df, (-1.0, 50.0, -0.99, 50.005), RES, vessels=VESSELS
    )  # a row of empty cells
    path = to_geotiff(ds, tmp_path / "depth.tif", cog=cog)
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4326
        assert np.isnan(src.nodata)
        band = src.read(1)
        np.testing.assert_allclose(band, ds.depth.values, equal_nan=True)
        assert np.isnan(band[0]).all()  # the northern row has no soundings
        assert src.transform.e < 0  # north-up
        if cog:
            assert src.profile["tiled"]
            assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"


def test_cog_of_a_large_grid_has_overviews(tmp_path):
    rng = np.random.default_rng(3)
    n = 400_000
    df = pd.DataFrame(
        {
            "time": pd.Timestamp("2024-05-01T00:00:00Z"),
            "longitude": rng.uniform(-1.0, -0.9, n),
            "latitude": rng.uniform(50.0, 50.1, n),
            "depth_below_transducer": rng.uniform(5, 50, n),
            "vessel": "ship",
        }
    )
    ds = grid_soundings(df, (-1.0, 50.0, -0.9, 50.1), 0.0001, vessels=VESSELS)
    assert ds.depth.shape == (1000, 1000)
    path = to_geotiff(ds, tmp_path / "big.tif", cog=True)
    with rasterio.open(path) as src:
        assert src.overviews(1), "a COG of 1000×1000 cells must carry overviews"
        assert src.block_shapes[0] == (512, 512)
        assert src.profile["compress"].lower() == "deflate"


@pytest.mark.parametrize("resolution", [0.0, -0.1, float("nan"), 1e-7])
def test_a_resolution_that_is_not_a_usable_cell_size_is_refused_before_any_allocation(
    resolution,
):
    empty = pd.DataFrame(
        {
            "time": pd.to_datetime([], utc=True),
            "longitude": [],
            "latitude": [],
            "depth_below_transducer": [],
            "depth_below_surface": [],
            "vessel": [],
        }
    )
    with pytest.raises(ValueError, match="resolution"):
        grid_soundings(empty, (-10.0, 40.0, 10.0, 60.0), resolution)
