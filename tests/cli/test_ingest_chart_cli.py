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
