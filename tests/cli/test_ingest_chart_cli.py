"""`isomer ingest CHART.000` stores the chart's layers, the same command as for logs."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))

from fixtures_gdal import write_geotiff, write_s57_cell  # noqa: E402

from isomer_data.cli.main import main  # noqa: E402


def test_chart_file_is_dispatched_to_the_chart_reader(tmp_path, db_url, mongo_db, capsys):
    cell = write_s57_cell(tmp_path / "GB4TEST1.000")
    assert main(["ingest", str(cell), "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("chart GB4TEST1:")
    assert "SOUNDG 3" in out
    assert mongo_db.chart_features.count_documents({"layer": "DEPARE"}) > 0


def test_geotiff_is_registered_as_a_dataset(tmp_path, db_url, mongo_db, capsys):
    tif = write_geotiff(tmp_path / "depth.tif")
    assert main(["ingest", str(tif), "--db", db_url]) == 0
    assert "raster" in capsys.readouterr().out
    assert mongo_db.datasets.count_documents({"kind": "raster"}) == 1


def test_chart_packs_are_told_by_content_and_registered(tmp_path, db_url, mongo_db, capsys):
    sys.path.insert(0, str(Path(__file__).parents[1] / "tiles"))
    from tile_packs import write_mbtiles, write_pmtiles

    mbtiles = write_mbtiles(tmp_path / "harbour.mbtiles")
    pmtiles = write_pmtiles(tmp_path / "coast.bin")  # the suffix says nothing
    assert main(["ingest", str(mbtiles), "--db", db_url]) == 0
    assert main(["ingest", str(pmtiles), "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "chart pack harbour registered (MBTiles, png tiles, zoom 0-2)" in out
    assert "chart pack coast registered (PMTiles, png tiles, zoom 0-2)" in out
    records = {r["name"]: r for r in mongo_db.datasets.find({"kind": "tiles"})}
    assert records["coast"]["path"] == str(pmtiles.resolve())
    # a SQLite file that is no MBTiles: a numbered error, nothing registered
    import sqlite3

    other = tmp_path / "notes.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE notes (text)").connection.commit()
    assert main(["ingest", str(other), "--db", db_url]) != 0
    assert "50740" in capsys.readouterr().err
    assert mongo_db.datasets.count_documents({"kind": "tiles"}) == 2
