"""GeoTIFF, BAG and GRIB files written by GDAL, registered and opened as xarray."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures_gdal import (
    GRIB_REF_TIME,
    GRIB_STEPS,
    bathymetry,
    grib_values,
    write_bag,
    write_geotiff,
    write_grib,
)
from isomer_data.ingest.charts import ingest_file, is_chart_or_raster

from isomer_data import catalog
from isomer_data.core.errors import IsomerError
from isomer_data.database import Database
from isomer_data.store.datasets import get_dataset

STEP_TIMES = [np.datetime64(GRIB_REF_TIME + 3600 * h, "s") for h in GRIB_STEPS]


def test_geotiff_is_registered_and_opens_with_lat_lon_and_crs(mongo_db, tmp_path):
    path = write_geotiff(tmp_path / "bathy.tif")
    assert is_chart_or_raster(path)
    summary = ingest_file(mongo_db, path)
    assert summary == {
        "kind": "raster",
        "name": "bathy",
        "id": summary["id"],
        "path": str(path.resolve()),
        "driver": "GTiff",
        "variables": ["elevation"],
        "times": 0,
    }
    record = get_dataset(mongo_db, "bathy")
    assert record["epsg"] == 4326 and record["shape"] == [6, 8]
    assert record["bbox"] == pytest.approx([-1.3, 50.34, -1.22, 50.4])
    assert record["variables"] == [
        {"name": "elevation", "bands": [1], "units": "m", "long_name": "elevation"}
    ]

    ds = catalog.open_dataset(mongo_db, record["id"])
    expected = bathymetry()
    expected[0, 0] = np.nan
    np.testing.assert_array_equal(ds["elevation"].values, expected)
    assert ds["elevation"].dims == ("lat", "lon")
    assert ds["elevation"].attrs["units"] == "m"
    np.testing.assert_allclose(ds.lon.values, -1.3 + 0.005 + 0.01 * np.arange(8))
    np.testing.assert_allclose(ds.lat.values, 50.4 - 0.005 - 0.01 * np.arange(6))
    assert ds.lat.attrs["units"] == "degrees_north"
    assert ds.rio.crs.to_epsg() == 4326


def test_bag_opens_with_elevation_uncertainty_and_2d_lat_lon(mongo_db, tmp_path):
    path = write_bag(tmp_path / "survey.bag", tmp_path)
    ingest_file(mongo_db, path)
    record = get_dataset(mongo_db, "survey")
    assert record["driver"] == "BAG"
    assert [(v["name"], v["units"]) for v in record["variables"]] == [
        ("elevation", "m"),
        ("uncertainty", "m"),
    ]
    west, south, east, north = record["bbox"]
    assert -3.0 < west < east < -2.99 and 50.5 < south < north < 50.6

    ds = catalog.open_dataset(mongo_db, "survey")
    np.testing.assert_array_equal(ds["elevation"].values, bathymetry())
    assert ds["elevation"].dims == ("y", "x")
    np.testing.assert_array_equal(ds.x.values, 500005.0 + 10.0 * np.arange(8))
    assert ds.lat.dims == ("y", "x") and ds.lon.shape == (6, 8)
    assert "UTM zone 30N" in ds.rio.crs.to_wkt()
    lon, lat = ds.lon.values[0, 0], ds.lat.values[0, 0]
    assert -3.0 < lon < -2.99 and 50.5 < lat < 50.6


@pytest.mark.parametrize(
    ("west", "width", "dx", "expected_lon"),
    [
        # A 0–360 global grid, as GFS publishes: rolled to −180..180.
        (0.0, 8, 45.0, [-157.5, -112.5, -67.5, -22.5, 22.5, 67.5, 112.5, 157.5]),
        # A regional grid west of Greenwich stored as 350..355 °E.
        (350.0, 5, 1.0, [-9.5, -8.5, -7.5, -6.5, -5.5]),
    ],
)
def test_grib_bands_become_variables_with_time_and_normalised_lon(
    mongo_db, tmp_path, west, width, dx, expected_lon
):
    path, bands = write_grib(tmp_path / "gfs.grb2", tmp_path, west=west, width=width, dx=dx)
    summary = ingest_file(mongo_db, path)
    assert summary["variables"] == ["u10", "v10", "msl"]
    assert summary["times"] == 2
    record = get_dataset(mongo_db, "gfs")
    assert record["driver"] == "GRIB" and record["reference_time"] == GRIB_REF_TIME
    assert record["bbox"][0] >= -180.0 and record["bbox"][2] <= 180.0
    u10 = next(v for v in record["variables"] if v["name"] == "u10")
    assert (u10["units"], u10["standard_name"]) == ("m s-1", "eastward_wind")

    ds = catalog.open_dataset(mongo_db, "gfs")
    assert set(ds.data_vars) == {"u10", "v10", "msl"}
    assert ds["msl"].dims == ("time", "lat", "lon")
    assert ds["msl"].attrs["units"] == "Pa"
    np.testing.assert_array_equal(ds.time.values, np.array(STEP_TIMES, "datetime64[ns]"))
    np.testing.assert_allclose(ds.lon.values, expected_lon)
    np.testing.assert_array_equal(ds.lat.values, [57.5, 52.5, 47.5, 42.5])

    order = np.argsort((west + dx * (np.arange(width) + 0.5) + 180.0) % 360.0 - 180.0)
    for name in ("u10", "v10", "msl"):
        for t, step in enumerate(GRIB_STEPS):
            written = grib_values(name, step, (4, width))[:, order]
            np.testing.assert_array_equal(ds[name].isel(time=t).values, written)
    assert ds.rio.crs.is_geographic


def test_listing_shows_rasters_with_their_variables(mongo_db, tmp_path):
    write_geotiff(tmp_path / "bathy.tif")
    write_grib(tmp_path / "gfs.grb2", tmp_path, west=350.0, width=5, dx=1.0)
    ingest_file(mongo_db, tmp_path / "bathy.tif")
    ingest_file(mongo_db, tmp_path / "gfs.grb2")
    ingest_file(mongo_db, tmp_path / "gfs.grb2")
    listing = catalog.list_datasets(mongo_db, kind="raster")
    assert listing["name"].tolist() == ["bathy", "gfs"]
    assert listing["variables"].tolist() == [["elevation"], ["u10", "v10", "msl"]]
    assert listing["times"].tolist() == [0, 2]


def test_a_corrupt_raster_is_refused_with_61003_and_not_registered(mongo_db, tmp_path):
    good = write_geotiff(tmp_path / "bathy.tif")
    broken = tmp_path / "broken.tif"
    broken.write_bytes(good.read_bytes()[:64])
    with pytest.raises(IsomerError) as err:
        ingest_file(mongo_db, broken)
    assert err.value.code == 61003
    assert mongo_db.datasets.count_documents({}) == 0


def test_unknown_dataset_and_missing_file_have_their_own_codes(mongo_db, tmp_path):
    with pytest.raises(IsomerError) as err:
        catalog.open_dataset(mongo_db, "nothing-here")
    assert err.value.code == 61004

    path = write_geotiff(tmp_path / "bathy.tif")
    ingest_file(mongo_db, path)
    path.unlink()
    with pytest.raises(IsomerError) as err:
        catalog.open_dataset(mongo_db, "bathy")
    assert err.value.code == 61005


def test_the_platform_database_object_is_accepted_too(db_url, db_name, tmp_path):
    with Database(db_url, db_name, "mongodb") as db:
        ingest_file(db, write_geotiff(tmp_path / "bathy.tif"))
        assert catalog.list_datasets(db)["name"].tolist() == ["bathy"]
        assert catalog.open_dataset(db, "bathy")["elevation"].shape == (6, 8)
