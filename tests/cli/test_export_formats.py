"""Every export format read back with the library a user would use."""

import json

import pandas as pd
import pyogrio
import pytest

from isomer_data.cli.main import main
from isomer_data.samples import VOYAGE_NMEA


@pytest.fixture
def ingested(db_url):
    assert main(["ingest", str(VOYAGE_NMEA), "--db", db_url]) == 0
    return db_url


def test_observations_parquet(tmp_path, ingested):
    out = tmp_path / "obs.parquet"
    assert (
        main(["export", "observations", "--format", "parquet", "-o", str(out), "--db", ingested])
        == 0
    )
    frame = pd.read_parquet(out)
    assert str(frame["time"].dtype).startswith("datetime64")
    sog = frame[frame.path == "navigation.speedOverGround"]
    assert sog["value"].median() == pytest.approx(6 * 1852 / 3600)
    position = frame[frame.path == "navigation.position"].iloc[0]
    assert json.loads(position["value_json"]) == {"latitude": 50.8, "longitude": -1.3}


@pytest.mark.parametrize("fmt,suffix", [("geojson", "geojson"), ("gpkg", "gpkg")])
def test_soundings_as_points(tmp_path, ingested, fmt, suffix):
    out = tmp_path / f"soundings.{suffix}"
    assert main(["export", "soundings", "--format", fmt, "-o", str(out), "--db", ingested]) == 0
    info = pyogrio.read_info(out)
    assert info["features"] == 840
    assert info["geometry_type"] == "Point"
    assert "EPSG:4326" in info["crs"]
    frame = pyogrio.read_dataframe(out)
    assert frame["depth_below_surface"].between(5, 30).all()


@pytest.mark.parametrize("fmt,suffix", [("geojson", "geojson"), ("gpkg", "gpkg")])
def test_tracks_as_lines(tmp_path, ingested, fmt, suffix):
    out = tmp_path / f"tracks.{suffix}"
    assert main(["export", "tracks", "--format", fmt, "-o", str(out), "--db", ingested]) == 0
    frame = pyogrio.read_dataframe(out)
    own = frame[frame.vessel == "self"]
    assert [str(day)[:10] for day in own["day"]] == ["2024-05-01", "2024-05-02"]
    assert own.geometry.iloc[0].geom_type == "LineString"
    assert own["distance"].sum() == pytest.approx(6 * 1852 / 3600 * own["duration"].sum(), rel=0.02)
