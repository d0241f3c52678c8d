"""S-57 cells written by GDAL's S57 driver, ingested into the embedded MongoDB."""

from __future__ import annotations

import pytest
import shapely
from fixtures_gdal import (
    ISLAND,
    SOUNDINGS,
    S57Feature,
    sample_features,
    write_s57_cell,
    write_s57_update,
)
from isomer_data.ingest.charts import ingest_file, is_chart_or_raster, read_cell
from pymongo.errors import PyMongoError

from isomer_data import catalog
from isomer_data.core.errors import IsomerError
from isomer_data.store.datasets import CHART_FEATURES, get_dataset, replace_chart_features

CELL = "GB4TEST1"


@pytest.fixture
def cell(tmp_path):
    return write_s57_cell(tmp_path / f"{CELL}.000")


def features(db, layer):
    return list(db[CHART_FEATURES].find({"layer": layer}, {"_id": 0}))


def test_every_layer_is_stored_as_geojson_with_its_attributes(mongo_db, cell):
    summary = ingest_file(mongo_db, cell)

    assert summary["kind"] == "chart" and summary["name"] == CELL
    assert summary["layers"] == {
        "BOYCAR": 1,
        "BOYLAT": 1,
        "COALNE": 1,
        "DEPARE": 2,
        "DEPCNT": 1,
        "LIGHTS": 1,
        "LNDARE": 1,
        "OBSTRN": 1,
        "SOUNDG": 3,
        "WRECKS": 1,
    }
    assert mongo_db[CHART_FEATURES].count_documents({"chart": CELL}) == 13

    depare = sorted(features(mongo_db, "DEPARE"), key=lambda d: d["properties"]["DRVAL1"])
    assert [(d["properties"]["DRVAL1"], d["properties"]["DRVAL2"]) for d in depare] == [
        (0.0, 5.0),
        (5.0, 10.5),
    ]
    assert depare[0]["geometry"] == {
        "type": "Polygon",
        "coordinates": [[[-1.3, 50.0], [-1.0, 50.0], [-1.0, 50.3], [-1.3, 50.3], [-1.3, 50.0]]],
    }
    (contour,) = features(mongo_db, "DEPCNT")
    assert contour["properties"]["VALDCO"] == 5.0
    assert contour["geometry"]["type"] == "LineString"
    (land,) = features(mongo_db, "LNDARE")
    assert shapely.geometry.shape(land["geometry"]).equals(ISLAND)
    assert land["properties"]["OBJNAM"] == "Test Island"
    (buoy,) = features(mongo_db, "BOYLAT")
    assert buoy["properties"]["CATLAM"] == 1 and buoy["properties"]["COLOUR"] == ["3", "1"]
    assert buoy["geometry"] == {"type": "Point", "coordinates": [-1.1, 50.2]}
    (wreck,) = features(mongo_db, "WRECKS")
    assert wreck["properties"]["VALSOU"] == 3.4 and isinstance(wreck["properties"]["VALSOU"], float)
    (light,) = features(mongo_db, "LIGHTS")
    assert light["properties"]["VALNMR"] == 10.0
    assert all(d["lnam"] for d in mongo_db[CHART_FEATURES].find())


def test_soundings_become_one_document_each_with_depth_from_z(mongo_db, cell):
    ingest_file(mongo_db, cell)
    soundings = features(mongo_db, "SOUNDG")
    got = sorted((*d["geometry"]["coordinates"], d["properties"]["DEPTH"]) for d in soundings)
    assert got == sorted(SOUNDINGS)
    assert all(d["geometry"]["type"] == "Point" for d in soundings)


def test_geometry_has_a_2dsphere_index_and_answers_bbox_queries(mongo_db, cell):
    ingest_file(mongo_db, cell)
    indexes = mongo_db[CHART_FEATURES].index_information()
    assert any(("geometry", "2dsphere") in spec["key"] for spec in indexes.values())

    near_island = catalog.chart_layer(mongo_db, "SOUNDG", bbox=(-1.3, 50.0, -1.2, 50.1))
    assert near_island["DEPTH"].tolist() == [12.3]
    assert near_island.crs.to_epsg() == 4326


def test_chart_layer_is_a_geodataframe_of_attributes(mongo_db, cell):
    ingest_file(mongo_db, cell)
    areas = catalog.chart_layer(mongo_db, "DEPARE", chart=CELL).sort_values("DRVAL1")
    assert areas["DRVAL2"].tolist() == [5.0, 10.5]
    assert set(areas["chart"]) == {CELL}
    assert areas.geometry.iloc[1].equals(sample_features()[1].geometry)
    assert catalog.chart_layer(mongo_db, "DEPARE", chart="NOSUCH").empty


def test_reingesting_a_cell_replaces_its_features(mongo_db, cell, tmp_path):
    ingest_file(mongo_db, cell)
    first = get_dataset(mongo_db, CELL)
    ingest_file(mongo_db, cell)
    assert mongo_db[CHART_FEATURES].count_documents({"chart": CELL}) == 13
    assert get_dataset(mongo_db, CELL)["id"] == first["id"]

    # A new edition with one depth area fewer replaces the old one entirely.
    newer = tmp_path / "new" / f"{CELL}.000"
    newer.parent.mkdir()
    write_s57_cell(newer, sample_features()[1:], edition=4)
    summary = ingest_file(mongo_db, newer)
    assert summary["edition"] == 4
    assert mongo_db[CHART_FEATURES].count_documents({"chart": CELL}) == 12
    assert mongo_db[CHART_FEATURES].count_documents({"chart": CELL, "layer": "DEPARE"}) == 1
    assert mongo_db.datasets.count_documents({"name": CELL}) == 1


def test_the_cell_is_recorded_in_the_catalog(mongo_db, cell):
    ingest_file(mongo_db, cell)
    record = get_dataset(mongo_db, CELL)
    assert record["kind"] == "chart" and record["driver"] == "S57"
    assert (record["edition"], record["update"], record["issue_date"]) == (3, 0, "2024-01-15")
    assert record["bbox"] == [-1.3, 50.0, -1.0, 50.4]
    assert record["layers"]["SOUNDG"] == 3 and record["features"] == 13

    listing = catalog.list_datasets(mongo_db)
    assert listing[["name", "kind", "edition", "features"]].values.tolist() == [
        [CELL, "chart", 3, 13]
    ]
    with pytest.raises(IsomerError) as err:
        catalog.open_dataset(mongo_db, CELL)
    assert err.value.code == 61006


def test_a_cell_with_other_layers_reads_only_those_asked_for(cell):
    read = read_cell(cell, layers=["LIGHTS"])
    assert [d["layer"] for d in read["features"]] == ["LIGHTS"]
    assert read["header"]["cell"] == CELL


def test_a_file_that_is_not_a_chart_is_refused_with_61001(mongo_db, tmp_path):
    log = tmp_path / "voyage.nmea"
    log.write_text("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\n")
    assert not is_chart_or_raster(log)
    with pytest.raises(IsomerError) as err:
        ingest_file(mongo_db, log)
    assert err.value.code == 61001
    assert "61001" in str(err.value)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_cell_is_refused_with_61002_and_stores_nothing(mongo_db, cell, tmp_path, damage):
    ingest_file(mongo_db, cell)
    before = list(mongo_db[CHART_FEATURES].find({}, {"_id": 1}).sort("_id"))
    record = get_dataset(mongo_db, CELL)

    broken = tmp_path / "broken" / f"{CELL}.000"
    broken.parent.mkdir()
    data = cell.read_bytes()
    if damage == "garbage":
        broken.write_bytes(b"this is not an ISO 8211 file at all" * 20)
    else:
        broken.write_bytes(data[: len(data) // 2])
    assert is_chart_or_raster(broken)
    with pytest.raises(IsomerError) as err:
        ingest_file(mongo_db, broken)
    assert err.value.code == 61002
    assert list(mongo_db[CHART_FEATURES].find({}, {"_id": 1}).sort("_id")) == before
    assert get_dataset(mongo_db, CELL)["registered"] == record["registered"]


def test_a_cell_without_some_layers_stores_the_ones_it_has(tmp_path, mongo_db):
    # A cell holding only a wreck: the other default layers are simply absent.
    path = write_s57_cell(
        tmp_path / "GB4TEST2.000",
        [S57Feature("WRECKS", shapely.Point(-1.0, 50.0), {"VALSOU": 12.5})],
    )
    summary = ingest_file(mongo_db, path)
    assert summary["layers"] == {"WRECKS": 1}
    assert catalog.chart_layer(mongo_db, "WRECKS")["VALSOU"].tolist() == [12.5]


def test_update_files_beside_the_base_cell_are_applied(mongo_db, cell):
    write_s57_update(
        cell.with_suffix(".001"),
        [S57Feature("WRECKS", shapely.Point(-1.01, 50.01), {"VALSOU": 9.9})],
    )
    summary = ingest_file(mongo_db, cell)
    assert (summary["edition"], summary["update"]) == (3, 1)
    wrecks = catalog.chart_layer(mongo_db, "WRECKS").sort_values("VALSOU")
    assert wrecks["VALSOU"].tolist() == [3.4, 9.9]

    # Naming the update file ingests the base cell with its updates, once.
    assert ingest_file(mongo_db, cell.with_suffix(".001"))["name"] == CELL
    assert mongo_db[CHART_FEATURES].count_documents({"layer": "WRECKS"}) == 2
    cell.unlink()
    with pytest.raises(IsomerError) as err:
        ingest_file(mongo_db, cell.with_suffix(".001"))
    assert err.value.code == 61002


def test_a_failed_store_leaves_the_previous_features_alone(mongo_db, cell):
    ingest_file(mongo_db, cell)
    before = list(mongo_db[CHART_FEATURES].find({}, {"_id": 1}).sort("_id"))
    good = {"layer": "WRECKS", "lnam": "x", "properties": {}, "geometry": shapely_point(0, 0)}
    # Latitude 95 is no place on Earth: the 2dsphere index refuses the second document.
    bad = {**good, "geometry": shapely_point(0, 95)}
    with pytest.raises(PyMongoError):
        replace_chart_features(mongo_db, CELL, [good, bad, good])
    assert list(mongo_db[CHART_FEATURES].find({}, {"_id": 1}).sort("_id")) == before


def shapely_point(x, y):
    return shapely.geometry.mapping(shapely.Point(x, y))
