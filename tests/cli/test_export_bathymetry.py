"""`isomer export bathymetry` from a replayed log: files open with EPSG:4326, values match."""

import numpy as np
import pytest
import rasterio
import xarray as xr

from isomer_data.cli.main import main
from isomer_data.samples import VOYAGE_NMEA
from isomer_data.samples.voyage import seabed_depth
from isomer_data.store.soundings import query_soundings

BBOX = "-1.32,50.77,-1.26,50.81"


@pytest.fixture
def ingested(db_url):
    assert main(["ingest", str(VOYAGE_NMEA), "--db", db_url]) == 0
    return db_url


@pytest.mark.parametrize("fmt", ["netcdf", "geotiff", "cog"])
def test_export_writes_a_georeferenced_depth_map(tmp_path, ingested, mongo_db, fmt):
    out = tmp_path / ("depth.nc" if fmt == "netcdf" else "depth.tif")
    args = ["export", "bathymetry", f"--bbox={BBOX}", "--resolution", "0.002", "--format", fmt]
    assert main([*args, "-o", str(out), "--db", ingested]) == 0
    if fmt == "netcdf":
        ds = xr.open_dataset(out, decode_coords="all")
        assert ds.rio.crs.to_epsg() == 4326
        depth = ds.depth.values
    else:
        with rasterio.open(out) as src:
            assert src.crs.to_epsg() == 4326
            depth = src.read(1)
    soundings = query_soundings(mongo_db)
    # The sample's sounder reports DPT with a +0.5 m offset, so depth below the surface is
    # known for every sounding; its median per cell is what the map must hold.
    lon0, lat0, res = -1.32, 50.77, 0.002
    ix = np.floor((soundings.longitude - lon0) / res).astype(int)
    iy = np.floor((soundings.latitude - lat0) / res).astype(int)
    medians = soundings.assign(ix=ix, iy=iy).groupby(["iy", "ix"])["depth_below_surface"].median()
    ny = depth.shape[0]
    for (cy, cx), median in medians.items():
        assert depth[ny - 1 - cy, cx] == pytest.approx(median, abs=1e-3)
    # and every sounding sits where the seabed has that depth (paired with the right fix)
    truth = np.array(
        [seabed_depth(a, o) for a, o in zip(soundings.latitude, soundings.longitude, strict=True)]
    )
    assert np.max(np.abs(soundings.depth_below_surface.to_numpy() - truth)) <= 0.11


def test_bad_bbox_is_a_numbered_error(tmp_path, db_url, capsys):
    code = main(
        [
            "export",
            "bathymetry",
            "--bbox",
            "1,2,3",
            "--resolution",
            "0.1",
            "-o",
            str(tmp_path / "x.nc"),
            "--db",
            db_url,
        ]
    )
    assert code == 2
    assert "50030" in capsys.readouterr().err
