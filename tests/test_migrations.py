"""The migrations registry against a real database: numbered steps, a recorded version."""

from __future__ import annotations

import sys

import pytest

from isomer_data import migrations
from isomer_data.core.errors import IsomerError


def test_a_database_migrates_once_and_records_its_schema(mongo_db):
    assert migrations.schema_version(mongo_db) == 0
    ran = migrations.migrate(mongo_db, log=lambda _: None)
    assert ran == [step.name for step in migrations.steps()]
    assert migrations.schema_version(mongo_db) == migrations.code_version() >= 1
    assert migrations.migrate(mongo_db, log=lambda _: None) == []
    history = mongo_db["isomer_schema"].find_one({"_id": "schema"})["history"]
    assert [entry["step"] for entry in history] == ran


def test_a_database_from_a_newer_version_is_refused(mongo_db):
    mongo_db["isomer_schema"].insert_one({"_id": "schema", "version": 99})
    with pytest.raises(IsomerError) as caught:
        migrations.migrate(mongo_db, log=lambda _: None)
    assert caught.value.code == 50312


def _steps_folder(tmp_path, monkeypatch, files: dict[str, str]):
    folder = tmp_path / "steps"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    monkeypatch.setattr(migrations, "__path__", [str(folder)])
    for name in list(sys.modules):  # steps of the real registry imported earlier
        if name.startswith("isomer_data.migrations.m"):
            monkeypatch.delitem(sys.modules, name)


def test_a_failing_step_stops_at_the_last_good_one(mongo_db, tmp_path, monkeypatch):
    _steps_folder(
        tmp_path,
        monkeypatch,
        {
            "m0001_first.py": "DESCRIPTION = 'a'\ndef up(db):\n    db.t.insert_one({'a': 1})\n",
            "m0002_broken.py": "DESCRIPTION = 'b'\ndef up(db):\n    raise KeyError('planted')\n",
        },
    )
    with pytest.raises(IsomerError) as caught:
        migrations.migrate(mongo_db, log=lambda _: None)
    assert caught.value.code == 50310 and "m0002_broken" in caught.value.detail
    assert migrations.schema_version(mongo_db) == 1


def test_steps_must_be_numbered_without_gaps(tmp_path, monkeypatch):
    _steps_folder(
        tmp_path,
        monkeypatch,
        {
            "m0001_first.py": "def up(db):\n    pass\n",
            "m0003_third.py": "def up(db):\n    pass\n",
        },
    )
    with pytest.raises(IsomerError) as caught:
        migrations.steps()
    assert caught.value.code == 50311
