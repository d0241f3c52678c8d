"""`isomer export csb`: IHO B-12 files the standard's own validator accepts, values as stored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from isomer_data.cli.main import main
from isomer_data.samples import VOYAGE_NMEA
from isomer_data.store.soundings import query_soundings

ROOT = Path(__file__).parents[2]
CSBSCHEMA = ROOT / ".venv-csb" / "bin" / "csbschema"
UNIQUE_ID = r"^ISOMER-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def csb_validate(path: Path) -> subprocess.CompletedProcess:
    assert CSBSCHEMA.exists(), "the B-12 validator is installed by scripts/install --dev"
    return subprocess.run(
        [str(CSBSCHEMA), "validate", "-f", str(path)], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def ingested(db_url):
    assert main(["ingest", str(VOYAGE_NMEA), "--db", db_url]) == 0
    return db_url


def export(db_url, *args) -> int:
    return main(["export", "csb", *args, "--db", db_url])


def test_geojson_passes_the_b12_validator_with_raw_depths(tmp_path, ingested, mongo_db, capsys):
    out = tmp_path / "voyage.json"
    assert export(ingested, "-o", str(out)) == 0
    summary = capsys.readouterr().err
    assert "trusted node is a placeholder" in summary
    checked = csb_validate(out)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    doc = json.loads(out.read_text())
    node = doc["properties"]["trustedNode"]
    assert node["convention"] == "GeoJSON CSB 3.1"
    assert node["verticalReferenceOfDepth"] == "Transducer"
    assert pd.Series([node["uniqueVesselID"]]).str.match(UNIQUE_ID).all()
    soundings = query_soundings(mongo_db)
    assert len(doc["features"]) == len(soundings)
    depths = np.array([f["properties"]["depth"] for f in doc["features"]])
    assert np.abs(depths - soundings["depth_below_transducer"].to_numpy()).max() <= 0.005
    first = doc["features"][0]
    assert first["geometry"]["coordinates"] == pytest.approx(
        [soundings.longitude[0], soundings.latitude[0]], abs=1e-7
    )
    expected = soundings.time[0].strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"
    assert first["properties"]["time"] == expected

    # The vessel keeps its id from one export to the next, as B-12 wants.
    again = tmp_path / "again.json"
    assert export(ingested, "-o", str(again)) == 0
    assert (
        json.loads(again.read_text())["properties"]["trustedNode"]["uniqueVesselID"]
        == (node["uniqueVesselID"])
    )


def test_waterline_depths_record_the_reduction_and_the_configured_node(
    tmp_path, ingested, mongo_db, monkeypatch, capsys
):
    monkeypatch.setenv("ISOMER_CSB_PROVIDER_NAME", "Solent Sounders")
    monkeypatch.setenv("ISOMER_CSB_PROVIDER_EMAIL", "data@solent-sounders.org")
    mongo_db.vessels.insert_one(
        {
            "vessel": "self",
            "name": "Wavelet",
            "length": 11.6,
            "mmsi": "235012345",
            "transducer_depth": 0.5,
        }
    )
    out = tmp_path / "waterline.geojson"
    assert export(ingested, "--reference", "waterline", "-o", str(out)) == 0
    assert "placeholder" not in capsys.readouterr().err
    checked = csb_validate(out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    doc = json.loads(out.read_text())
    props = doc["properties"]
    assert props["trustedNode"]["providerOrganizationName"] == "Solent Sounders"
    assert props["trustedNode"]["verticalReferenceOfDepth"] == "Waterline"
    assert props["platform"]["name"] == "Wavelet"
    assert props["platform"]["length"] == 12
    assert (props["platform"]["IDType"], props["platform"]["IDNumber"]) == ("MMSI", "235012345")
    assert props["platform"]["sensors"][0]["draft"] == 0.5
    assert props["platform"]["dataProcessed"] is True
    assert props["processing"][0]["name"] == "transducer offset applied"
    soundings = query_soundings(mongo_db)
    depths = np.array([f["properties"]["depth"] for f in doc["features"]])
    # The sample's DPT carries +0.5 m: depth below the surface is what the sounder reported.
    assert np.abs(depths - soundings["depth_below_surface"].to_numpy()).max() <= 0.005


def test_the_validator_really_checks(tmp_path, ingested):
    out = tmp_path / "voyage.json"
    assert export(ingested, "-o", str(out)) == 0
    doc = json.loads(out.read_text())
    doc["features"][0]["properties"]["time"] = "2026-11-26 10:00:00"  # not RFC 3339 with Z
    del doc["properties"]["trustedNode"]["providerEmail"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(doc))
    assert csb_validate(broken).returncode != 0


def test_dcdb_csv_holds_the_stored_soundings(tmp_path, ingested, mongo_db):
    out = tmp_path / "voyage.csv"
    assert export(ingested, "-o", str(out)) == 0
    table = pd.read_csv(out)
    assert tuple(table.columns) == (
        "UNIQUE_ID",
        "FILE_UUID",
        "LON",
        "LAT",
        "DEPTH",
        "TIME",
        "PLATFORM_NAME",
        "PROVIDER",
    )
    soundings = query_soundings(mongo_db)
    assert len(table) == len(soundings)
    assert table.UNIQUE_ID.nunique() == 1 and table.FILE_UUID.nunique() == 1
    assert table.UNIQUE_ID.str.match(UNIQUE_ID).all()
    assert np.abs(table.LON - soundings.longitude).max() < 1e-6
    assert np.abs(table.DEPTH - soundings.depth_below_transducer).max() <= 0.005
    assert table.TIME.str.endswith("Z").all()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--bbox", "10,10,11,11"], "70106: No data in the selection"),
        (["--vessel", "urn:mrn:imo:mmsi:999999999"], "70106: No data in the selection"),
        (["--format", "dcdb-csv"], "70104: The output file's suffix does not match --format"),
        (["--start", "yesterday"], "70101: Not a time"),
    ],
)
def test_bad_requests_get_numbered_errors(tmp_path, ingested, args, code):
    out = tmp_path / "x.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "isomer_data",
            "export",
            "csb",
            *args,
            "-o",
            str(out),
            "--db",
            ingested,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0
    assert code in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_unwritable_output_is_a_numbered_error(tmp_path, ingested, capsys):
    assert export(ingested, "-o", str(tmp_path / "missing" / "x.json")) != 0
    assert "70103: The output file cannot be written" in capsys.readouterr().err


def test_several_vessels_need_a_choice(tmp_path, ingested, mongo_db, capsys):
    doc = mongo_db.soundings.find_one({}, {"_id": 0})
    doc["vessel"] = "urn:mrn:imo:mmsi:235099999"
    mongo_db.soundings.insert_one(doc)
    assert export(ingested, "-o", str(tmp_path / "x.json")) != 0
    err = capsys.readouterr().err
    assert "70201" in err and "urn:mrn:imo:mmsi:235099999" in err and "self" in err
    assert export(ingested, "--vessel", "self", "-o", str(tmp_path / "x.json")) == 0
