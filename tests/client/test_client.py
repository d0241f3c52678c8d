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
    ingest_log(
        MongoClient(mongo_url, serverSelectionTimeoutMS=10_000, socketTimeoutMS=60_000)[db_name],
        VOYAGE_NMEA,
    )
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
    bbox = west, south, east, north = (-1.30, 50.79, -1.28, 50.80)
    full = isomer.observations("navigation.speedOverGround", as_="pandas")
    part = isomer.observations("navigation.speedOverGround", bbox=bbox, as_="pandas")
    assert 0 < len(part) < len(full)
    # Where the vessel was at each time, from its own position reports
    positions = isomer.observations("navigation.position", as_="pandas")
    where = positions.drop_duplicates(["vessel", "time"]).set_index(["vessel", "time"])
    where = where[["latitude", "longitude"]].rename(columns=lambda c: f"at_{c}")

    def inside(frame):
        located = frame.join(where, on=["vessel", "time"])
        assert located["at_latitude"].notna().all()
        return located["at_longitude"].between(west, east) & located["at_latitude"].between(
            south, north
        )

    assert inside(part).all()  # every time kept was inside
    assert inside(full).sum() == len(part)  # and every time inside was kept


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
    small = isomer.soundings(bbox=(-1.30, 50.79, -1.28, 50.80))
    assert 0 < len(small) < 840
    assert small.geometry.x.between(-1.30, -1.28).all()
    assert small.geometry.y.between(50.79, 50.80).all()
    in_small = gdf.geometry.x.between(-1.30, -1.28) & gdf.geometry.y.between(50.79, 50.80)
    assert int(in_small.sum()) == len(small)
    grid = isomer.depth_grid((-1.32, 50.77, -1.26, 50.81), 0.002)
    assert int(grid["count"].sum()) + grid.attrs["soundings_rejected_outliers"] == 840
    assert np.nanmin(grid.depth.values) > 0 and math.isfinite(float(grid.depth.max()))


def test_observations_keep_their_dating_rule_and_can_be_selected_by_it(isomer, tmp_path):
    # The sample is GPS-dated throughout; a bus log whose date comes late is added to it.
    from isomer_data.samples.voyage import with_checksum

    log = tmp_path / "bus.log"
    depth = with_checksum("SDDBT,,f,4.0,M,,F")
    rmc = with_checksum("GPRMC,120000.00,A,5048.0,N,00118.0,W,6.0,135.0,010624,,")
    log.write_text("\n".join([depth, depth, rmc, depth]) + "\n")
    ingest_log(isomer.db, log)
    frame = isomer.observations("environment.depth.belowTransducer", as_="pandas")
    assert set(frame["time_source"]) == {"gps", "file-date"}
    gps = isomer.observations("environment.depth.belowTransducer", as_="pandas", time_source="gps")
    assert len(gps) == len(frame) - 2 and set(gps["time_source"]) == {"gps"}
    ds = isomer.observations("environment.depth.belowTransducer", time_source=["file-date"])
    assert ds.sizes["time"] == 1  # both dated at the RMC's instant: one time, two values
