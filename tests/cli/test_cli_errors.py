"""Errors a person can act on: a numbered message and a small exit status, never a traceback."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest
import rasterio

from isomer_data.cli.main import build_parser, main
from isomer_data.samples import VOYAGE_NMEA
from isomer_data.samples.voyage import with_checksum

BBOX = "--bbox=-1.32,50.77,-1.26,50.81"
BIN = Path(sys.executable).parent


@pytest.fixture
def ingested(db_url):
    assert main(["ingest", str(VOYAGE_NMEA), "--db", db_url]) == 0
    return db_url


def fails_with(capsys, code: int, argv: list[str]) -> str:
    """Run ``isomer ARGV``; assert the numbered error, a small status and no traceback."""
    status = main(argv)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert 0 < status < 10, text
    assert f"error {code}:" in captured.err, text
    assert "Remedy:" in captured.err
    assert "Traceback" not in text
    return captured.err


def run_isomer(*argv: str, program: str = "isomer") -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / program), *argv], capture_output=True, text=True, timeout=120, check=False
    )


def test_bathymetry_into_a_missing_folder_is_70103_from_the_real_command(db_url):
    done = run_isomer(
        "export", "bathymetry", BBOX, "--resolution", "0.01", "-o", "/missing/dir/x.nc",
        "--db", db_url,
    )  # fmt: skip
    assert done.returncode == 2
    assert "error 70103:" in done.stderr and "/missing/dir" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_too_fine_resolution_is_70105_from_the_real_command(tmp_path, db_url):
    out = str(tmp_path / "x.nc")
    done = run_isomer(
        "export", "bathymetry", BBOX, "--resolution", "0.0000001", "-o", out, "--db", db_url
    )
    assert done.returncode == 2 and "error 70105:" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_a_word_for_a_time_is_70101_from_the_real_command(tmp_path, db_url):
    out = str(tmp_path / "x.jsonl")
    done = run_isomer("export", "observations", "--start", "yesterday", "-o", out, "--db", db_url)
    assert done.returncode == 2 and "error 70101:" in done.stderr and "yesterday" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_iso_help_says_iso():
    done = run_isomer("--help", program="iso")
    assert done.returncode == 0 and done.stdout.startswith("usage: iso ")
    assert run_isomer("ingest", "--help").stdout.startswith("usage: isomer ingest")


def test_output_into_a_folder_or_a_missing_folder_is_70103(tmp_path, capsys, db_url):
    fails_with(capsys, 70103, ["export", "observations", "-o", str(tmp_path), "--db", db_url])
    missing = str(tmp_path / "no" / "x.csv")
    fails_with(capsys, 70103, ["export", "soundings", "-o", missing, "--db", db_url])
    fails_with(capsys, 70103, ["export", "tracks", "-o", missing[:-4] + ".gpkg", "--db", db_url])


@pytest.mark.parametrize(
    "resolution,code",
    [("0.0000001", 70105), ("0", 70105), ("-1", 70105), ("nan", 70105), ("5", 70105)],
)
def test_resolution_is_bounded(tmp_path, capsys, db_url, resolution, code):
    argv = ["export", "bathymetry", BBOX, "--resolution", resolution]
    fails_with(capsys, code, [*argv, "-o", str(tmp_path / "x.nc"), "--db", db_url])


def test_a_grid_too_large_is_70107(tmp_path, capsys, db_url):
    argv = ["export", "bathymetry", "--bbox=-10,40,10,60", "--resolution", "0.001"]
    err = fails_with(capsys, 70107, [*argv, "-o", str(tmp_path / "x.nc"), "--db", db_url])
    assert "400,000,000 cells" in err


@pytest.mark.parametrize(
    "flags,code",
    [
        (["--start", "yesterday"], 70101),
        (["--end", "2024-13-45"], 70101),
        (["--start", "0001-01-01"], 70101),
        (["--start", "2024-05-02", "--end", "2024-05-01"], 70105),
    ],
)
def test_times_are_checked_before_any_query(tmp_path, capsys, db_url, flags, code):
    out = str(tmp_path / "x.jsonl")
    fails_with(capsys, code, ["export", "observations", *flags, "-o", out, "--db", db_url])
    fails_with(capsys, code, ["export", "tracks", *flags, "-o", out[:-6] + ".gpkg", "--db", db_url])


def test_soundings_bbox_that_is_not_numbers_is_numbered(tmp_path, capsys, db_url):
    out = str(tmp_path / "x.csv")
    fails_with(
        capsys, 50030, ["export", "soundings", "--bbox", "a,b,c,d", "-o", out, "--db", db_url]
    )


def test_the_suffix_chooses_the_format(tmp_path, ingested, capsys):
    csv_out = tmp_path / "x.csv"
    assert main(["export", "observations", "-o", str(csv_out), "--db", ingested]) == 0
    assert csv_out.read_text().splitlines()[0] == "time,vessel,path,value"

    tif = tmp_path / "map.tif"
    argv = ["export", "bathymetry", BBOX, "--resolution", "0.002", "-o", str(tif)]
    assert main([*argv, "--db", ingested]) == 0
    with rasterio.open(tif) as src:
        assert src.driver == "GTiff" and src.crs.to_epsg() == 4326

    geojson = tmp_path / "t.geojson"
    assert main(["export", "tracks", "-o", str(geojson), "--db", ingested]) == 0
    assert json.loads(geojson.read_text())["type"] == "FeatureCollection"

    points = tmp_path / "s.gpkg"
    assert main(["export", "soundings", "-o", str(points), "--db", ingested]) == 0
    assert points.read_bytes()[:15] == b"SQLite format 3"


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "observations", "--format", "jsonl", "-o", "x.csv"],
        ["export", "observations", "-o", "map.tif"],
        ["export", "tracks", "--format", "gpkg", "-o", "t.geojson"],
        ["export", "soundings", "-o", "s.nc"],
        ["export", "bathymetry", BBOX, "--resolution", "0.01", "--format", "netcdf", "-o", "m.tif"],
    ],
)
def test_a_suffix_that_contradicts_the_format_is_70104(tmp_path, capsys, db_url, argv):
    argv = [
        a if not a.startswith(("x.", "map.", "t.", "s.", "m.")) else str(tmp_path / a) for a in argv
    ]
    fails_with(capsys, 70104, [*argv, "--db", db_url])
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_ingest_of_a_file_with_nothing_recognised_is_60101(capsys, db_url):
    err = fails_with(capsys, 60101, ["ingest", "/etc/passwd", "--db", db_url])
    assert "/etc/passwd" in err
    # A second run finds the checkpoint and still says so.
    fails_with(capsys, 60101, ["ingest", "/etc/passwd", "--db", db_url])


def test_ingest_of_a_folder_is_60001(tmp_path, capsys, db_url):
    fails_with(capsys, 60001, ["ingest", str(tmp_path), "--db", db_url])


@pytest.mark.parametrize(
    "flags,code",
    [
        (["--date", "01/05/2024"], 70102),
        (["--date", "2024-02-30"], 70102),
        (["--start", "yesterday"], 70101),
        (["--batch-size", "0"], 70105),
    ],
)
def test_ingest_flags_are_checked(tmp_path, capsys, db_url, flags, code):
    log = tmp_path / "a.log"
    log.write_text(with_checksum("SDDBT,,f,3.0,M,,F") + "\n")
    fails_with(capsys, code, ["ingest", str(log), *flags, "--db", db_url])


def test_date_for_a_live_source_is_60102(capsys, db_url):
    argv = ["ingest", "udp://127.0.0.1:9", "--date", "2024-05-01", "--db", db_url]
    fails_with(capsys, 60102, argv)


def test_ingest_date_dates_a_dateless_log(tmp_path, capsys, db_url):
    log = tmp_path / "bus.log"
    lines = [
        with_checksum(f"GPGGA,2359{s:02d}.00,5048.0,N,00118.0,W,1,9,0.9,,M,,M,,") for s in (58, 59)
    ]
    lines.append(with_checksum("GPGGA,000000.00,5048.0,N,00118.0,W,1,9,0.9,,M,,M,,"))
    log.write_text("\n".join(lines) + "\n")
    assert main(["ingest", str(log), "--date", "2024-05-01", "--db", db_url]) == 0
    assert "dated by: given 12" in capsys.readouterr().out
    out = tmp_path / "x.jsonl"
    argv = ["export", "observations", "--path", "navigation.position", "-o", str(out)]
    assert main([*argv, "--time-source", "given", "--db", db_url]) == 0
    times = [json.loads(line)["time"] for line in out.read_text().splitlines()]
    assert times == ["2024-05-01T23:59:58Z", "2024-05-01T23:59:59Z", "2024-05-02T00:00:00Z"]
    capsys.readouterr()
    err = fails_with(capsys, 70106, [*argv, "--time-source", "gps", "--db", db_url])
    assert "--time-source" in err


def test_an_export_whose_selection_holds_no_data_says_so(tmp_path, ingested, capsys):
    out = str(tmp_path / "x.nc")
    argv = ["export", "bathymetry", "--bbox=10,10,11,11", "--resolution", "0.01", "-o", out]
    err = fails_with(capsys, 70106, [*argv, "--db", ingested])
    assert "--bbox 10,10,11,11" in err
    argv = ["export", "soundings", "--bbox=10,10,11,11", "-o", str(tmp_path / "s.csv")]
    fails_with(capsys, 70106, [*argv, "--db", ingested])
    argv = ["export", "observations", "--start", "2030-01-01", "-o", str(tmp_path / "o.csv")]
    fails_with(capsys, 70106, [*argv, "--db", ingested])
    assert list(tmp_path.iterdir()) == []


def test_every_option_has_a_help_line_with_its_default():
    missing = []

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        formatter = parser._get_formatter()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, subparser in action.choices.items():
                    walk(subparser, f"{name} {sub}")
            elif action.option_strings and not isinstance(
                action, argparse._HelpAction | argparse._VersionAction
            ):
                text = formatter._expand_help(action) if action.help else ""
                if "default" not in text and not action.required:
                    missing.append(f"{name} {action.option_strings[-1]}: {text!r}")

    walk(build_parser("isomer"), "isomer")
    assert missing == []


def test_an_unexpected_failure_is_one_numbered_line(tmp_path, capsys, db_url, monkeypatch):
    import isomer_data.store.observations as store

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(store, "query_observations", broken)
    out = str(tmp_path / "x.jsonl")
    err = fails_with(capsys, 70108, ["export", "observations", "-o", out, "--db", db_url])
    assert "simulated bug" in err
