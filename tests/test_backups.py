"""Backups against the test's MongoDB server: exact round trips and refused archives."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from bson import Binary, Decimal128, Int64, ObjectId
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient
from traitlets.config import Config

from isomer_data.backups import (
    create_backup,
    prune_scheduled,
    restore_backup,
    verify_backup,
)
from isomer_data.cli.main import main
from isomer_data.config import IsomerConfig, write_config_file
from isomer_data.core.errors import IsomerError
from isomer_data.database.connection import url_with_database
from isomer_data.samples import VOYAGE_NMEA

sys.path.insert(0, str(Path(__file__).parent / "ingest"))


def collection_hashes(db) -> dict[str, str]:
    """Per collection, an order-independent hash of its documents' exact BSON."""
    raw = CodecOptions(document_class=RawBSONDocument)
    hashes = {}
    for name in sorted(db.list_collection_names()):
        digests = sorted(
            hashlib.sha256(doc.raw).hexdigest()
            for doc in db.get_collection(name, codec_options=raw).find()
        )
        hashes[name] = hashlib.sha256("".join(digests).encode()).hexdigest()
    return hashes


def index_specs(db) -> dict[str, list]:
    return {
        name: sorted(
            (json.dumps({k: v for k, v in spec.items() if k not in ("v", "ns")}, default=str))
            for spec in db[name].list_indexes()
        )
        for name in db.list_collection_names()
    }


def fill(db_url: str, db_name: str, db, tmp_path: Path) -> None:
    """Users and tokens, objects, a voyage, a chart, and values of every awkward type."""
    from fixtures_gdal import write_s57_cell
    from isomer_data.ingest.charts import ingest_file
    from isomer_data.ingest.pipeline import ingest_log

    from isomer_data.database import Database
    from isomer_data.platform import Platform
    from isomer_data.services.auth.users import UserStore
    from isomer_data.services.objects.manager import ObjectManager
    from isomer_data.services.objects.schemas import SchemaRegistry

    async def people_and_objects():
        config = IsomerConfig(config=Config({"IsomerConfig": {"db_url": db_url}}))
        platform = Platform(config, Database(db_url, db_name, "mongodb"))
        try:
            users = UserStore(platform.adb)
            await users.ensure_indexes()
            skipper = await users.create("skipper", "skipper-pass", ["admin"], name="Skipper")
            await users.create("ole", "ole-pass-1", ["crew"])
            await users.issue_token(skipper, "laptop")
            manager = ObjectManager(platform, SchemaRegistry())
            admin = SimpleNamespace(
                user_id=str(skipper["_id"]), roles=("admin",), username="skipper"
            )
            await manager.put(
                admin, "waypoint", {"name": "Buoy", "latitude": 54.1, "longitude": 10.2}
            )
            await manager.put(
                admin,
                "logbookentry",
                {"text": "Anchored", "category": "event", "time": "2024-05-01T12:00:00Z"},
            )
        finally:
            await platform.close()

    asyncio.run(people_and_objects())
    ingest_log(db, VOYAGE_NMEA)
    ingest_file(db, write_s57_cell(tmp_path / "GB4TEST1.000"))
    db.awkward.insert_one(
        {
            "_id": ObjectId(),
            "when": datetime(2024, 5, 1, 12, 30, 45, 123000, tzinfo=UTC),
            "blob": Binary(b"\x00\x01\xff" * 10),
            "uuid": Binary(b"0123456789abcdef", 4),
            "big": Int64(2**40),
            "small": 7,
            "price": Decimal128(Decimal("12.3400")),
            "nested": {"z": 1, "a": [1.5, None, {"b": True}]},
        }
    )


def test_round_trip_is_exact_and_exports_are_identical(
    mongo_url, db_url, mongo_db, tmp_path, isomer_home, capsys
):
    fill(db_url, mongo_db.name, mongo_db, tmp_path)
    config = IsomerConfig(
        config=Config({"IsomerConfig": {"instance": "sv-source", "db_url": db_url}})
    )
    write_config_file(config.config_file, {"port": 9555, "sources": ["tcp://10.0.0.5:10110"]})
    notebook = config.instance_dir / "notebooks" / "survey.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.write_text('{"cells": []}')
    archive = tmp_path / "out" / "sv.isomer-backup.zip"

    manifest = create_backup(config, mongo_db, archive)

    assert archive.stat().st_mode & 0o077 == 0  # password hashes and tokens inside
    names = {e["name"] for e in manifest["collections"]}
    assert {"users", "tokens", "observations", "soundings", "tracks", "awkward"} <= names
    assert {"datasets", "chart_features"} <= names
    assert len(names) >= 10  # objects' collections too
    assert set(manifest["files"]) == {"isomer_config.json", "notebooks/survey.ipynb"}
    assert verify_backup(archive)["instance"] == "sv-source"

    target_name = f"{mongo_db.name}_r"
    client = MongoClient(mongo_url, tz_aware=True)
    target = client[target_name]
    target_dir = tmp_path / "restored"
    try:
        counts = restore_backup(archive, target, target_dir, manifest=manifest)
        assert counts == {e["name"]: e["count"] for e in manifest["collections"]}
        assert collection_hashes(target) == collection_hashes(mongo_db)
        assert index_specs(target) == index_specs(mongo_db)
        assert (target_dir / "notebooks" / "survey.ipynb").read_text() == '{"cells": []}'
        awkward = target.awkward.find_one()
        assert isinstance(awkward["big"], int) and awkward["big"] == 2**40
        assert awkward["price"] == Decimal128(Decimal("12.3400"))

        exports = []
        for name in (mongo_db.name, target_name):
            out = tmp_path / f"{name}.jsonl"
            url = url_with_database(mongo_url, name)  # keeps the embedded database's login
            assert main(["export", "observations", "-o", str(out), "--db", url]) == 0
            exports.append(out.read_bytes())
        assert exports[0] == exports[1] and exports[0].count(b"\n") > 50

        # A second restore into the now non-empty database is refused, and --force replaces.
        target.extra.insert_one({"x": 1})
        with pytest.raises(IsomerError) as err:
            restore_backup(archive, target, target_dir, manifest=manifest)
        assert err.value.code == 50123
        restore_backup(archive, target, target_dir, manifest=manifest, force=True)
        assert collection_hashes(target) == collection_hashes(mongo_db)
    finally:
        client.drop_database(target_name)
        client.close()


def _rewrite(archive: Path, out: Path, change) -> Path:
    """Copy a backup, passing each (name, bytes) through ``change``."""
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            result = change(name, src.read(name))
            if result is not None:
                dst.writestr(result[0], result[1])
    return out


@pytest.fixture
def small_backup(db_url, mongo_db, tmp_path, isomer_home) -> Path:
    mongo_db.notes.insert_many([{"n": i, "text": f"note {i}"} for i in range(20)])
    config = IsomerConfig(
        config=Config({"IsomerConfig": {"instance": "sv-small", "db_url": db_url}})
    )
    write_config_file(config.config_file, {"port": 9556})
    archive = tmp_path / "small.isomer-backup.zip"
    create_backup(config, mongo_db, archive)
    return archive


def _verify_code(path: Path, capsys) -> str:
    assert main(["backup", "verify", str(path)]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_verify_accepts_an_intact_backup(small_backup, capsys):
    assert main(["backup", "verify", str(small_backup)]) == 0
    out = capsys.readouterr().out
    assert "checksums match" in out and "notes" in out and "20 documents" in out


def test_a_tampered_document_is_50121(small_backup, tmp_path, capsys):
    def flip(name, data):
        if name.startswith("collections/"):
            data = data.replace(b"note 7", b"note 8")
        return name, data

    bad = _rewrite(small_backup, tmp_path / "bad.zip", flip)
    assert "50121: The backup is damaged or was altered" in _verify_code(bad, capsys)


def test_a_removed_or_added_member_is_50121(small_backup, tmp_path, capsys):
    dropped = _rewrite(
        small_backup,
        tmp_path / "dropped.zip",
        lambda name, data: None if name.startswith("files/") else (name, data),
    )
    assert "50121" in _verify_code(dropped, capsys)

    def add(name, data):
        return name, data

    added = _rewrite(small_backup, tmp_path / "added.zip", add)
    with zipfile.ZipFile(added, "a") as zf:
        zf.writestr("files/../../evil.sh", b"#!/bin/sh\n")
    assert "50121" in _verify_code(added, capsys)


def test_a_manifest_pointing_outside_the_instance_is_50121(small_backup, tmp_path, capsys):
    def escape(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["files"]["../outside.txt"] = {"mode": 0o644}
            manifest["members"]["files/../outside.txt"] = hashlib.sha256(b"x").hexdigest()
            return name, json.dumps(manifest).encode()
        return name, data

    bad = _rewrite(small_backup, tmp_path / "escape.zip", escape)
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr("files/../outside.txt", b"x")
    assert "50121" in _verify_code(bad, capsys)


def test_a_corrupt_length_prefix_is_50121_not_a_huge_read(small_backup, tmp_path, capsys):
    def huge(name, data):
        if name.startswith("collections/"):
            data = (2**31 - 1).to_bytes(4, "little") + data[4:]
        return name, data

    bad = _rewrite(small_backup, tmp_path / "huge.zip", huge)
    assert "50121" in _verify_code(bad, capsys)


def test_not_a_backup_is_50120_and_newer_schema_is_50122(small_backup, tmp_path, capsys):
    junk = tmp_path / "junk.isomer-backup.zip"
    junk.write_bytes(b"not a zip at all")
    assert "50120: The backup file cannot be read" in _verify_code(junk, capsys)
    assert "50120" in _verify_code(tmp_path / "missing.zip", capsys)

    def newer(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["schema_version"] = 99
            return name, json.dumps(manifest).encode()
        return name, data

    future = _rewrite(small_backup, tmp_path / "future.zip", newer)
    assert "50122: The backup was written by a newer version" in _verify_code(future, capsys)


def test_an_existing_output_is_never_overwritten_50124(db_url, mongo_db, tmp_path, isomer_home):
    config = IsomerConfig(config=Config({"IsomerConfig": {"instance": "sv-o", "db_url": db_url}}))
    existing = tmp_path / "taken.zip"
    existing.write_bytes(b"precious")
    with pytest.raises(IsomerError) as err:
        create_backup(config, mongo_db, existing)
    assert err.value.code == 50124
    assert existing.read_bytes() == b"precious"


def test_pruning_keeps_the_newest_scheduled_and_every_manual_backup(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    names = [f"sv-2026010{i}T000000.000Z-scheduled.isomer-backup.zip" for i in range(1, 6)]
    names.append("sv-20260101T000000.000Z.isomer-backup.zip")
    for name in names:
        (folder / name).write_bytes(b"")
    removed = prune_scheduled(folder, 2)
    assert [p.name for p in removed] == names[:3]
    assert sorted(p.name for p in folder.iterdir()) == sorted(names[3:])


def test_progress_is_reported_per_document(db_url, mongo_db, tmp_path, isomer_home):
    mongo_db.notes.insert_many([{"n": i} for i in range(30)])
    config = IsomerConfig(config=Config({"IsomerConfig": {"instance": "sv-p", "db_url": db_url}}))
    seen = []
    create_backup(config, mongo_db, tmp_path / "p.zip", progress=seen.append)
    assert sum(seen) == 30


def _with_member(archive: Path, out: Path, member: str, data: bytes, manifest_change=None) -> Path:
    """Replace one member and fix its checksum, as a careful forger would."""

    def change(name, content):
        if name == member:
            return name, data
        if name == "manifest.json":
            manifest = json.loads(content)
            manifest["members"][member] = hashlib.sha256(data).hexdigest()
            if manifest_change:
                manifest_change(manifest)
            return name, json.dumps(manifest).encode()
        return name, content

    return _rewrite(archive, out, change)


def test_a_backup_whose_configuration_is_invalid_is_not_restored(
    small_backup, tmp_path, isomer_home, capsys
):
    bad = _with_member(
        small_backup,
        tmp_path / "badconf.zip",
        "files/isomer_config.json",
        json.dumps({"IsomerConfig": {"port": 123456}}).encode(),
    )
    assert main(["backup", "verify", str(bad)]) == 0  # consistent, but...
    capsys.readouterr()
    assert main(["backup", "restore", str(bad)]) != 0
    err = capsys.readouterr().err
    assert "50121" in err and "port" in err and "Traceback" not in err
    assert [p.name for p in (isomer_home / "instances").iterdir()] == ["sv-small"]


def test_a_manifest_naming_a_path_as_instance_is_50121(small_backup, tmp_path, capsys):
    def rename(manifest):
        manifest["instance"] = "../../etc"

    bad = _with_member(
        small_backup,
        tmp_path / "badname.zip",
        "files/isomer_config.json",
        b'{"IsomerConfig": {}}',
        rename,
    )
    assert "50121" in _verify_code(bad, capsys)


def test_restore_through_the_cli_onto_a_mongodb_server(
    small_backup, mongo_url, db_url, mongo_db, isomer_home, capsys
):
    # Into the very database it came from: not empty, refused, and no instance left behind.
    assert main(["backup", "restore", str(small_backup), "--db", db_url]) != 0
    assert "50123: The target database is not empty" in capsys.readouterr().err
    assert [p.name for p in (isomer_home / "instances").iterdir()] == ["sv-small"]

    # A server URL naming no database: the new instance gets its own database there.
    host = mongo_url.split("://", 1)[1].split("/", 1)[0]
    server = f"mongodb://{host}/?directConnection=true"
    assert main(["backup", "restore", str(small_backup), "--db", server]) == 0
    (name,) = [p.name for p in (isomer_home / "instances").iterdir() if p.name != "sv-small"]
    assert name.startswith("sv-small-restored-")
    client = MongoClient(mongo_url)
    try:
        restored = client[f"isomer_{name}"]
        assert restored.notes.count_documents({}) == 20
        saved = json.loads((isomer_home / "instances" / name / "isomer_config.json").read_text())
        assert saved["IsomerConfig"] == {"port": 9556, "db_url": server}
    finally:
        client.drop_database(f"isomer_{name}")
        client.close()
