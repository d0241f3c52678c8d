"""The shore's depth map from two synced boats: each reduced with its own offsets, the
bias of one recovered, reported per vessel, applied on demand, in a notebook and an export."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from isomer_data.ingest.observation import Sounding
from pymongo import MongoClient

from isomer_data.bathymetry import vessel_table
from isomer_data.bathymetry.grid import GridSpec
from isomer_data.cli.main import main
from isomer_data.client import Client
from isomer_data.services.sync.shore import apply_batch
from isomer_data.store.soundings import ensure_indexes, write_soundings
from isomer_data.store.vessels import set_vessel, vessel_offsets

BBOX = (10.0, 54.0, 10.01, 54.01)
RES = 0.001
A, B = "urn:mrn:imo:mmsi:211000001", "urn:mrn:imo:mmsi:211000002"
TRANSDUCER = {A: 0.4, B: 1.9}
BIAS_B = 0.25


def seabed(lon, lat):
    return 8.0 + 100.0 * (lon - 10.0) + 80.0 * (lat - 54.0)


def boat_batch(client: MongoClient, name: str, urn: str, bias: float, seed: int) -> dict:
    """What a boat's sender would send: its soundings and records, written there as
    ``self`` (the boat's own database, then every numbered document as a batch item)."""
    boat = client[name]
    rng = np.random.default_rng(seed)
    n = 1500
    lon = rng.uniform(BBOX[0], BBOX[2], n)
    lat = rng.uniform(BBOX[1], BBOX[3], n)
    below = seabed(lon, lat) - TRANSDUCER[urn] + bias + rng.normal(0, 0.05, n)
    t0 = 1_780_000_000.0 + seed * 10_000
    rows = [
        Sounding(t0 + i, lon[i], lat[i], round(float(below[i]), 3), None, None, None, "self", "s")
        for i in range(n)
    ]
    write_soundings(boat, rows, origin=f"{name}.nmea")
    set_vessel(boat, "self", name=name, transducer_depth=TRANSDUCER[urn])
    if urn == B:  # what B's crew once typed about A: wrong, and not A's to say
        set_vessel(boat, A, name="the other one", transducer_depth=3.0)
    items = []
    for collection in ("soundings", "vessels"):
        for doc in boat[collection].find():
            items.append({"c": collection, "s": doc["_sync"], "d": doc})
    items.sort(key=lambda item: item["s"])
    return {"v": 1, "after": 0, "to": items[-1]["s"], "items": items}


@pytest.fixture
def shore(mongo_url, mongo_db, db_name):
    client = MongoClient(mongo_url, tz_aware=True)
    ensure_indexes(mongo_db)
    try:
        for urn, bias, seed in ((A, 0.0, 1), (B, BIAS_B, 2)):
            boat = f"{db_name}_boat{seed}"
            ack = apply_batch(mongo_db, urn, "0" * 64, boat_batch(client, boat, urn, bias, seed))
            assert ack["rejected"] == 0
            client.drop_database(boat)
    finally:
        client.close()
    return mongo_db


def survey() -> xr.DataArray:
    spec = GridSpec(*BBOX, RES)
    lat, lon = spec.lat_centres(), spec.lon_centres()
    lon2, lat2 = np.meshgrid(lon, lat)
    return xr.DataArray(seabed(lon2, lat2), coords={"lat": lat, "lon": lon}, dims=("lat", "lon"))


def test_each_vessel_is_reduced_with_its_own_record(shore):
    offsets = vessel_offsets(shore)
    assert offsets[A]["transducer_depth"] == 0.4  # A's own record, not B's word about A
    assert offsets[B]["transducer_depth"] == 1.9
    assert set(shore.soundings.distinct("vessel")) == {A, B}


def test_notebook_depth_grid_recovers_and_applies_the_bias(shore, mongo_url, db_name):
    isomer = Client(mongo_url, db_name)
    try:
        ds = isomer.depth_grid(BBOX, RES, reference=survey())
        fixed = isomer.depth_grid(BBOX, RES, reference=survey(), apply_bias=True)
    finally:
        isomer.close()
    table = vessel_table(ds)
    for vessel, truth in ((A, 0.0), (B, BIAS_B)):
        row = table.loc[vessel]
        assert abs(row["bias"] - truth) <= 3 * row["uncertainty"] and row["uncertainty"] < 0.03
        assert row["transducer_depth"] == TRANSDUCER[vessel]
    assert int(ds.vessel_count.max()) == 2 and int(ds["count"].sum()) > 2900
    error = float(np.abs(fixed.depth - survey()).median())
    assert error < 0.03 < float(np.abs(ds.depth - survey()).median())


def test_export_writes_the_fleet_variables_and_prints_the_table(shore, db_url, tmp_path, capsys):
    out = tmp_path / "fleet.nc"
    bbox = ",".join(str(x) for x in BBOX)
    args = ["export", "bathymetry", f"--bbox={bbox}", "--resolution", str(RES)]
    assert main([*args, "--apply-bias", "-o", str(out), "--db", db_url]) == 0
    err = capsys.readouterr().err
    assert "vessel bias (applied" in err and A in err and B in err
    ds = xr.open_dataset(out)
    try:
        assert list(ds.vessel.values) == [A, B]
        assert ds.attrs["vessel_bias_applied"] == "yes"
        difference = float(ds.vessel_bias.sel(vessel=B) - ds.vessel_bias.sel(vessel=A))
        assert difference == pytest.approx(BIAS_B, abs=0.03)
        assert int(ds.vessel_count.max()) == 2
        for name in ("vessel_count", "dominant_vessel", "vessel_bias", "vessel_bias_uncertainty"):
            attrs = ds[name].attrs
            assert attrs["units"] and attrs["long_name"] and attrs["coverage_content_type"]
        assert ds.depth.attrs["standard_name"] == "sea_floor_depth_below_sea_surface"
    finally:
        ds.close()


def test_export_on_a_dask_scheduler_writes_the_same_map(shore, db_url, tmp_path):
    from distributed import LocalCluster

    bbox = ",".join(str(x) for x in BBOX)
    args = ["export", "bathymetry", f"--bbox={bbox}", "--resolution", str(RES), "--db", db_url]
    here, there = tmp_path / "here.nc", tmp_path / "there.nc"
    assert main([*args, "-o", str(here)]) == 0
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        assert main([*args, "--dask-scheduler", cluster.scheduler_address, "-o", str(there)]) == 0
    with xr.open_dataset(here) as a, xr.open_dataset(there) as b:
        names = [n for n in a.data_vars if n != "spatial_ref"]
        xr.testing.assert_equal(a[names], b[names])
