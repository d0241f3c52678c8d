"""The example notebooks, executed for real in the "Isomer Data (Python 3)" kernel."""

import json
from pathlib import Path

import nbformat
import pytest
import rasterio
from isomer_data.ingest.framing import checksum
from isomer_data.ingest.pipeline import ingest_log
from nbclient import NotebookClient
from pymongo import MongoClient

from isomer_data.samples import VOYAGE_NMEA
from isomer_data.store.vessels import set_vessel

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"
OTHER = "urn:mrn:imo:mmsi:235000077"
OTHER_TRANSDUCER = 0.8  # the sample's own transducer is 0.5 m below the waterline


def second_vessel_log(path: Path) -> Path:
    """The same voyage logged by a boat whose transducer sits 0.3 m deeper and sends no DPT."""
    lines = []
    for line in VOYAGE_NMEA.read_text(encoding="ascii", errors="replace").splitlines():
        if line.startswith("$SDDPT"):
            continue
        if line.startswith("$SDDBT"):
            fields = line[1 : line.index("*")].split(",")
            metres = float(fields[3]) - (OTHER_TRANSDUCER - 0.5)
            fields[1], fields[3], fields[5] = "", f"{metres:.1f}", ""
            body = ",".join(fields)
            line = f"${body}*{checksum(body):02X}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def platform_data(mongo_url, db_name, db_url, tmp_path, monkeypatch):
    db = MongoClient(mongo_url)[db_name]
    ingest_log(db, VOYAGE_NMEA)
    ingest_log(db, second_vessel_log(tmp_path / "other.nmea"), vessel=OTHER)
    set_vessel(db, OTHER, name="Second Wind", transducer_depth=OTHER_TRANSDUCER)
    monkeypatch.setenv("ISOMER_DATA_DB", db_url)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv("ISOMER_NOTEBOOK_OUTPUT", str(out))
    return out


def run(name: str, cwd: Path) -> dict:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="isomer-data", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    last = nb.cells[-1]["outputs"][-1]
    return eval(last["data"]["text/plain"], {})  # the last cell shows a dict of plain numbers


def test_explore_voyage(platform_data):
    result = run("01-explore-voyage.ipynb", platform_data)
    assert result["sog_kn"] == pytest.approx(6.0)
    assert (platform_data / "track.png").stat().st_size > 1000
    assert (platform_data / "voyage.png").stat().st_size > 1000


def test_depth_map_goes_from_replayed_log_to_geotiff_and_netcdf(platform_data):
    result = run("02-depth-map.ipynb", platform_data)
    assert result["cells_checked"] > 10
    with rasterio.open(platform_data / "depth.tif") as src:
        assert src.crs.to_epsg() == 4326
    assert (platform_data / "depth.nc").exists()


def test_compare_two_sounders(platform_data):
    result = run("03-compare-sounders.ipynb", platform_data)
    assert abs(result["mean_difference_m"]) < 0.05
    assert result["raw_mean_difference_m"] == pytest.approx(0.3, abs=0.1)


def test_notebooks_are_committed_without_outputs():
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = json.loads(path.read_text())
        assert all(
            not cell.get("outputs") for cell in nb["cells"] if cell["cell_type"] == "code"
        ), path


def test_kernel_starts_connected(platform_data):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("repr(isomer)")])
    NotebookClient(nb, timeout=60, kernel_name="isomer-data").execute()
    text = nb.cells[0]["outputs"][0]["data"]["text/plain"]
    assert "isomer_data.Client" in text and "test_" in text
