"""`isomer ingest` then `isomer export` gives back exactly what the log says, in SI units."""

import csv
import json
import math

import pytest
from isomer_data.ingest.framing import checksum

from isomer_data.cli.main import main
from isomer_data.store.soundings import count_soundings


def nmea(body: str) -> str:
    return f"${body}*{checksum(body):02X}"


LOG = [
    nmea("GPRMC,120000.00,A,5048.0000,N,00118.0000,W,6.0,135.0,010524,1.5,W"),
    nmea("SDDBT,24.6,f,7.5,M,4.1,F"),
    nmea("SDDPT,7.5,0.5"),
    nmea("WIMWV,30.0,R,10.0,N,A"),
    nmea("YXMTW,15.0,C"),
    nmea("SDDBT,99.0,f,30.2,M,16.5,F")[:-2] + "00",  # bad checksum: counted, not stored
    nmea("GPRMC,120001.00,A,5048.0010,N,00118.0010,W,6.0,135.0,010524,1.5,W"),
]


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "mixed.nmea"
    path.write_text("\n".join(LOG) + "\n")
    return path


def export(tmp_path, db_url, *args):
    out = tmp_path / "out.jsonl"
    assert main(["export", "observations", "--db", db_url, "-o", str(out), *args]) == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_ingest_prints_report_and_export_gives_back_si_values(tmp_path, db_url, log_file, capsys):
    assert main(["ingest", str(log_file), "--db", db_url]) == 0
    printed = capsys.readouterr().out
    assert "RMC 2" in printed and "DBT 1" in printed
    assert "rejected" in printed and "bad_checksum" in printed

    rows = export(tmp_path, db_url)
    first = {r["path"]: r for r in rows if r["time"] == "2024-05-01T12:00:00Z"}
    assert first["navigation.position"]["value"] == {"latitude": 50.8, "longitude": -1.3}
    assert first["navigation.speedOverGround"]["value"] == pytest.approx(6 * 1852 / 3600)
    assert first["navigation.courseOverGroundTrue"]["value"] == pytest.approx(math.radians(135))
    assert first["environment.depth.belowTransducer"]["value"] == pytest.approx(7.5)
    assert first["environment.depth.belowSurface"]["value"] == pytest.approx(8.0)
    assert first["environment.wind.angleApparent"]["value"] == pytest.approx(math.radians(30))
    assert first["environment.wind.speedApparent"]["value"] == pytest.approx(10 * 1852 / 3600)
    assert first["environment.water.temperature"]["value"] == pytest.approx(288.15)
    assert all(r["vessel"] == "self" for r in rows)


def test_export_filters_by_path_wildcard_and_time(tmp_path, db_url, log_file):
    main(["ingest", str(log_file), "--db", db_url])
    rows = export(
        tmp_path, db_url, "--path", "navigation.position", "--start", "2024-05-01T12:00:01Z"
    )
    assert [r["time"] for r in rows] == ["2024-05-01T12:00:01Z"]
    rows = export(tmp_path, db_url, "--path", "environment.wind.*")
    assert {r["path"] for r in rows} == {
        "environment.wind.angleApparent",
        "environment.wind.speedApparent",
    }


def test_csv_export_of_observations_and_soundings(tmp_path, db_url, log_file):
    main(["ingest", str(log_file), "--db", db_url])
    out = tmp_path / "obs.csv"
    assert main(["export", "observations", "--db", db_url, "--format", "csv", "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    position = next(r for r in rows if r["path"] == "navigation.position")
    assert json.loads(position["value"]) == {"latitude": 50.8, "longitude": -1.3}

    out = tmp_path / "soundings.csv"
    assert main(["export", "soundings", "--db", db_url, "-o", str(out)]) == 0
    (sounding,) = list(csv.DictReader(out.open()))
    assert sounding["time"] == "2024-05-01T12:00:00Z"
    assert float(sounding["depth"]) == pytest.approx(8.0)
    assert float(sounding["depth_below_transducer"]) == pytest.approx(7.5)
    assert (float(sounding["longitude"]), float(sounding["latitude"])) == (-1.3, 50.8)


def test_second_run_of_a_finished_file_stores_nothing_more(tmp_path, db_url, log_file, mongo_db):
    main(["ingest", str(log_file), "--db", db_url])
    before = len(export(tmp_path, db_url))
    main(["ingest", str(log_file), "--db", db_url])
    main(["ingest", str(log_file), "--db", db_url, "--no-resume"])
    assert len(export(tmp_path, db_url)) == before
    assert count_soundings(mongo_db) == 1
    assert mongo_db.ingest_reports.count_documents({}) == 2


def test_missing_file_is_a_numbered_error(db_url, capsys):
    assert main(["ingest", "/nonexistent/log.nmea", "--db", db_url]) == 2
    assert "60001" in capsys.readouterr().err


def test_a_fix_decoded_per_line_is_paired_with_its_depth(tmp_path, db_url, mongo_db):
    # A TAG block sends its line down the per-line path, whose positions land in the
    # batch's text column; the sounding pairer used to read them as a number and crash.
    tag = "c:1714564800"
    log = tmp_path / "tagged.nmea"
    log.write_text(f"\\{tag}*{checksum(tag):02X}\\{LOG[0]}\n{nmea('SDDBT,24.6,f,7.5,M,4.1,F')}\n")
    assert main(["ingest", str(log), "--db", db_url]) == 0
    assert count_soundings(mongo_db) == 1
