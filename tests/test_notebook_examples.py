"""The example notebooks reach JupyterLab's file browser once, and then belong to the user.

Each "start" here is ``server_config``, what ``isomer launch`` runs before every server
start; the notebooks' execution on a launched instance is in tests/notebooks.
"""

from __future__ import annotations

import json
import stat

import pytest

from isomer_data.cli.launch import server_config
from isomer_data.instances import instance_config
from isomer_data.notebook_examples import FOLDER, RECORD, example_notebooks

SHIPPED = example_notebooks()


@pytest.fixture
def config(tmp_path):
    return instance_config("boat", home=str(tmp_path / "home"))


def start(config):
    server_config(config)
    return config.instance_dir / "notebooks" / FOLDER


def record(config) -> dict:
    return json.loads((config.instance_dir / RECORD).read_text())["copied"]


def test_first_start_copies_every_example_and_records_it(config):
    assert len(SHIPPED) >= 3
    examples = start(config)
    assert {p.name: p.read_bytes() for p in examples.iterdir()} == SHIPPED
    copied = record(config)
    assert sorted(copied) == sorted(SHIPPED)
    assert all(
        len(entry["sha256"]) == 64 and entry["copied"].endswith("Z") for entry in copied.values()
    )
    # the instance is the owner's alone, the examples with it
    assert stat.S_IMODE(config.instance_dir.stat().st_mode) == 0o700


def test_a_users_edit_survives_a_restart(config):
    examples = start(config)
    edited = examples / "01-explore-voyage.ipynb"
    edited.write_text('{"my": "analysis"}')
    before = record(config)
    start(config)
    assert edited.read_text() == '{"my": "analysis"}'
    assert record(config) == before


def test_a_deleted_example_stays_deleted_until_its_record_entry_goes(config):
    examples = start(config)
    (examples / "02-depth-map.ipynb").unlink()
    start(config)
    assert not (examples / "02-depth-map.ipynb").exists()
    # the documented way to get it back: forget that it was copied
    path = config.instance_dir / RECORD
    data = json.loads(path.read_text())
    del data["copied"]["02-depth-map.ipynb"]
    path.write_text(json.dumps(data))
    start(config)
    assert (examples / "02-depth-map.ipynb").read_bytes() == SHIPPED["02-depth-map.ipynb"]


def test_a_users_own_file_of_that_name_is_never_overwritten(config):
    examples = config.instance_dir / "notebooks" / FOLDER
    examples.mkdir(parents=True)
    (examples / "03-compare-sounders.ipynb").write_text("mine")
    start(config)
    assert (examples / "03-compare-sounders.ipynb").read_text() == "mine"
    assert "03-compare-sounders.ipynb" not in record(config)  # not ours: never recorded
    assert (examples / "01-explore-voyage.ipynb").exists()


def test_a_symlink_in_place_of_an_example_is_not_written_through(config, tmp_path):
    examples = config.instance_dir / "notebooks" / FOLDER
    examples.mkdir(parents=True)
    target = tmp_path / "elsewhere.txt"
    (examples / "01-explore-voyage.ipynb").symlink_to(target)  # dangling
    start(config)
    assert not target.exists()


def test_an_unreadable_record_copies_nothing(config, caplog):
    config.instance_dir.mkdir(parents=True)
    (config.instance_dir / RECORD).write_text("{not json")
    examples = start(config)
    assert not examples.exists()
    assert "no example notebook copied" in caplog.text
