"""The scientist's API over a replayed sample voyage: xarray, pandas and GeoPandas out."""

import math

import numpy as np
import pytest
from isomer_data.ingest.pipeline import ingest_log
from pymongo import MongoClient

import isomer_data
from isomer_data.samples import VOYAGE_NMEA
from isomer_data.samples.voyage import SPEED_KN


@pytest.fixture
def isomer(db_url, db_name, mongo_url):
    ingest_log(MongoClient(mongo_url)[db_name], VOYAGE_NMEA)
    client = isomer_data.connect(db_url)
    yield client
    client.close()


def test_observations_are_a_cf_dataset_with_si_units(isomer):
    ds = isomer.observations(["navigation.speedOverGround", "environment.*", "navigation.position"])
    sog = ds["navigation.speedOverGround"]
    assert sog.dims == ("time",)
    assert sog.attrs["units"] == "m s-1"
    assert sog.attrs["standard_name"] == "platform_speed_wrt_ground"
    assert float(sog.median()) == pytest.approx(SPEED_KN * 1852 / 3600, rel=1e-6)
    assert ds["environment.water.temperature"].attrs["standard_name"] == "sea_water_temperature"
    assert ds["latitude"].attrs["units"] == "degrees_north"
    assert float(ds["latitude"].dropna("time")[0]) == pytest.approx(50.8)
    assert ds["vessel"].item() == "self"


def test_observations_as_pandas_and_by_time_range(isomer):
    frame = isomer.observations(
        "environment.depth.belowTransducer", start="2024-05-02T00:00:00Z", as_="pandas"
    )
    assert frame["time"].min().isoformat() >= "2024-05-02T00:00:00+00:00"
    assert set(frame["path"]) == {"environment.depth.belowTransducer"}


def test_several_vessels_get_a_vessel_dimension(isomer):
    ds = isomer.observations("navigation.speedOverGround", vessels=None)
    assert ds["navigation.speedOverGround"].dims == ("vessel", "time")
    assert ds.sizes["vessel"] >= 2


def test_bbox_keeps_only_times_inside_it(isomer):
    full = isomer.observations("navigation.speedOverGround", as_="pandas")
    part = isomer.observations(
        "navigation.speedOverGround", bbox=(-1.30, 50.79, -1.28, 50.80), as_="pandas"
    )
    assert 0 < len(part) < len(full)


def test_tracks_per_vessel_and_day_with_geodesic_distance(isomer):
    tracks = isomer.tracks(vessels="self")
    assert list(tracks["day"]) == ["2024-05-01", "2024-05-02"]  # the voyage crosses midnight
    total = tracks["distance"].sum()
    expected = SPEED_KN * 1852 / 3600 * tracks["duration"].sum()
    assert total == pytest.approx(expected, rel=0.02)
    assert tracks.crs.to_epsg() == 4326
    assert tracks.geometry.iloc[0].geom_type == "LineString"


def test_soundings_and_depth_grid(isomer):
    gdf = isomer.soundings(bbox=(-1.32, 50.77, -1.26, 50.81))
    assert len(gdf) == 840 and gdf.crs.to_epsg() == 4326
    grid = isomer.depth_grid((-1.32, 50.77, -1.26, 50.81), 0.002)
    assert int(grid["count"].sum()) + grid.attrs["soundings_rejected_outliers"] == 840
    assert np.nanmin(grid.depth.values) > 0 and math.isfinite(float(grid.depth.max()))
