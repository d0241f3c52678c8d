"""Exported files carry the metadata the standard checkers ask for.

The IOOS compliance-checker scores the NetCDF depth map of the bundled sample against
CF-1.8 (100 % required) and ACDD-1.3 (≥ 90 %); the COG keeps band units, description,
licence and dates and stays a valid COG for rio-cogeo. Offline: the CF checker would
download a standard-name table the file names if it is not the one it ships; the file names
the shipped one, and the test refuses any connection that is not local.
"""

from __future__ import annotations

import json
import socket
import uuid

import netCDF4
import numpy as np
import pytest
import rasterio
from pymongo import MongoClient

from isomer_data.cli.main import main
from isomer_data.database.connection import url_with_database
from isomer_data.samples import load_sample

BBOX = "-1.32,50.77,-1.26,50.81"


@pytest.fixture(scope="module")
def exported(mongo_url, tmp_path_factory):
    """The sample (both vessels) gridded once and written as NetCDF, GeoTIFF and COG."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    client = MongoClient(mongo_url, tz_aware=True, serverSelectionTimeoutMS=10_000)
    load_sample(client[name])
    out = tmp_path_factory.mktemp("exports")
    db_url = url_with_database(mongo_url, name)
    files = {"db": client[name], "url": mongo_url, "name": name}
    for fmt, file in (("netcdf", "depth.nc"), ("geotiff", "depth.tif"), ("cog", "cog.tif")):
        args = ["export", "bathymetry", f"--bbox={BBOX}", "--resolution", "0.002"]
        assert main([*args, "--format", fmt, "-o", str(out / file), "--db", db_url]) == 0
        files[fmt] = out / file
    yield files
    client.drop_database(name)
    client.close()


LOCAL = ("127.", "::1", "localhost")


@pytest.fixture
def offline(monkeypatch):
    """Refuses, and records, every name lookup or connection beyond this machine; the test
    asserts that nothing tried (a library may swallow the refusal and fall back)."""
    attempts: list = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def remote(host) -> bool:
        return isinstance(host, str) and not host.startswith(LOCAL)

    def connect(sock, address):
        if sock.family != socket.AF_UNIX and remote(address[0]):
            attempts.append(address)
            raise OSError(f"offline test: no connection to {address!r}")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if remote(host):
            attempts.append(host)
            raise socket.gaierror(f"offline test: no lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert not attempts, f"tried to reach the network: {attempts}"


def compliance(path, tmp_path) -> dict:
    """``checker -> {"score": %, "failed": [check names]}`` from the IOOS compliance-checker."""
    from compliance_checker.runner import CheckSuite, ComplianceChecker

    CheckSuite.load_all_available_checkers()
    report = tmp_path / "report.json"
    ComplianceChecker.run_checker(
        str(path),
        ["cf:1.8", "acdd:1.3"],
        verbose=0,
        criteria="lenient",
        output_filename=str(report),
        output_format="json",
    )
    scores = {}
    for checker, result in json.loads(report.read_text()).items():
        failed = [
            f"{item['name']}: {'; '.join(item['msgs'])}"
            for priority in ("high_priorities", "medium_priorities", "low_priorities")
            for item in result[priority]
            if item["value"][0] < item["value"][1]
        ]
        scores[checker] = {
            "score": 100.0 * result["scored_points"] / result["possible_points"],
            "failed": failed,
        }
    return scores


def test_depth_map_netcdf_passes_cf_and_acdd(exported, offline, tmp_path, capsys):
    scores = compliance(exported["netcdf"], tmp_path)
    with capsys.disabled():
        for checker, result in scores.items():
            print(f"\ncompliance-checker {checker}: {result['score']:.1f} %")
    assert scores["cf:1.8"]["score"] == 100.0, scores["cf:1.8"]["failed"]
    assert scores["acdd:1.3"]["score"] >= 90.0, scores["acdd:1.3"]["failed"]


# The fleet's contributor grids and per-vessel biases: CF defines no standard name for a
# number of platforms, a platform's index or its vertical bias, and a name CF does not define
# fails the CF check; they say what they are in long_name and units.
NO_CF_NAME = {
    "vessel_count",
    "dominant_vessel",
    "vessel_bias",
    "vessel_bias_uncertainty",
    "vessel_cells",
}


def test_every_netcdf_variable_says_what_it_is_and_extents_match(exported):
    with netCDF4.Dataset(exported["netcdf"]) as nc:
        assert set(nc.variables) >= NO_CF_NAME  # the sample has two vessels
        for name, var in nc.variables.items():
            if name.endswith("_bnds"):
                continue  # bounds inherit their variable's metadata (CF 7.1)
            assert var.getncattr("coverage_content_type"), name
            if name in NO_CF_NAME:
                assert var.getncattr("long_name") and var.getncattr("units"), name
            elif name != "spatial_ref":
                assert var.getncattr("standard_name"), name
        assert nc["vessel"].standard_name == "platform_id"
        assert nc["count"].standard_name == "number_of_observations"
        assert nc["uncertainty"].standard_name.endswith(" standard_error")
        lat, lon = nc["lat"][:], nc["lon"][:]
        assert nc.geospatial_lat_min == pytest.approx(float(lat.min()))
        assert nc.geospatial_lat_max == pytest.approx(float(lat.max()))
        assert nc.geospatial_lon_min == pytest.approx(float(lon.min()))
        assert nc.geospatial_lon_max == pytest.approx(float(lon.max()))
        # cells' bounds: contiguous, ordered like their (north-up, descending) coordinate
        lat_bnds = nc["lat_bnds"][:]
        assert np.array_equal(lat_bnds[1:, 0], lat_bnds[:-1, 1])
        assert np.all(lat_bnds[:, 0] > lat_bnds[:, 1]) and np.all(np.diff(lat) < 0)
        # the cells' edges are the bbox asked for
        assert float(nc["lat_bnds"][:].min()) == pytest.approx(50.77)
        assert float(nc["lon_bnds"][:].max()) == pytest.approx(-1.26)
        assert "POLYGON" in nc.geospatial_bounds
        times = netCDF4.num2date(nc["time_bnds"][:], nc["time"].units)
        assert times[0].isoformat() == nc.time_coverage_start.rstrip("Z")
        assert times[1].isoformat() == nc.time_coverage_end.rstrip("Z")
        assert nc["time"].bounds == "time_bnds"
        # the sample: 14 minutes of the own vessel, its companion a minute behind
        assert nc.time_coverage_start == "2024-05-01T23:53:00Z"
        assert nc.time_coverage_end == "2024-05-02T00:07:59Z"
        assert nc.acknowledgement and nc.comment
        depth = np.ma.filled(nc["depth"][:], np.nan)
        assert nc.geospatial_vertical_min == pytest.approx(float(np.nanmin(depth)))


@pytest.mark.parametrize("fmt", ["geotiff", "cog"])
def test_geotiff_band_has_units_description_licence_and_dates(exported, fmt):
    with rasterio.open(exported[fmt]) as src:
        assert src.units == ("m",)
        assert "median depth" in src.descriptions[0]
        assert src.tags(1)["standard_name"] == "sea_floor_depth_below_sea_surface"
        tags = src.tags()
        assert tags["license"] == "ODbL-1.0"
        assert tags["date_created"].endswith("Z")
        assert tags["time_coverage_start"] == "2024-05-01T23:53:00Z"
        assert len(tags["TIFFTAG_DATETIME"]) == 19
        assert "ODbL-1.0" in tags["TIFFTAG_COPYRIGHT"]
        assert src.crs.to_epsg() == 4326
        assert np.isnan(src.nodata)
        band = src.read(1)
    with netCDF4.Dataset(exported["netcdf"]) as nc:
        np.testing.assert_array_equal(np.ma.filled(nc["depth"][:], np.nan), band)


def test_cog_stays_a_valid_cog(exported):
    from rio_cogeo.cogeo import cog_validate

    valid, errors, warnings = cog_validate(str(exported["cog"]))
    assert valid, errors
    assert not errors
    valid, _, _ = cog_validate(str(exported["geotiff"]))
    assert not valid  # the plain GeoTIFF is not one, so the check means something


def test_observations_netcdf_passes_cf_and_acdd(exported, offline, tmp_path, capsys):
    from isomer_data.client import Client
    from isomer_data.export import to_netcdf

    isomer = Client(exported["url"], exported["name"])
    ds = isomer.observations(
        [
            "navigation.position",
            "navigation.speedOverGround",
            "navigation.courseOverGroundTrue",
            "environment.depth.belowSurface",
            "environment.water.temperature",
            "environment.outside.*",
        ]
    )
    path = to_netcdf(ds, tmp_path / "observations.nc")
    scores = compliance(path, tmp_path)
    with capsys.disabled():
        for checker, result in scores.items():
            print(f"\ncompliance-checker {checker} (observations): {result['score']:.1f} %")
    assert scores["cf:1.8"]["score"] == 100.0, scores["cf:1.8"]["failed"]
    assert scores["acdd:1.3"]["score"] >= 90.0, scores["acdd:1.3"]["failed"]


def test_every_standard_name_we_write_is_in_the_cf_table():
    """A name CF does not know fails the CF check: the path table and the depth map's
    variables use only names of the table the files cite (modifiers after a space)."""
    from compliance_checker.cf.util import StandardNameTable

    from isomer_data.acdd import STANDARD_NAME_VOCABULARY
    from isomer_data.bathymetry.dataset import VARIABLES
    from isomer_data.units import PATHS

    table = StandardNameTable()
    assert STANDARD_NAME_VOCABULARY.endswith(f"v{table._version}")
    names = {sn for _, sn, _ in PATHS.values() if sn}
    names |= {spec[2].split()[0] for spec in VARIABLES.values()}
    assert names - set(table._names) == set()
