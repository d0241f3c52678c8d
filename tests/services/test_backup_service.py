"""Scheduled backups in the running platform: made in a thread, only the newest kept."""

import asyncio
import time

import pytest

from isomer_data.backups import list_backups, verify_backup


@pytest.fixture
def jp_server_config(jp_server_config):
    """The shared server configuration, with a backup every second and two kept."""
    jp_server_config["IsomerConfig"].update(
        instance="sv-scheduled", backup_interval=1, backup_keep=2
    )
    return jp_server_config


async def test_scheduled_backups_keep_the_newest_and_leave_manual_ones(jp_serverapp, mongo_db):
    await jp_serverapp.extension_manager.start_all_extensions()
    platform = jp_serverapp.web_app.settings["isomer"]
    mongo_db.logbook.insert_one({"entry": "anchored"})
    folder = platform.config.backup_dir
    folder.mkdir(parents=True, exist_ok=True)
    manual = folder / "sv-scheduled-20200101T000000.000Z.isomer-backup.zip"
    manual.write_bytes(b"a manual backup is never pruned")
    loop_lag = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and platform.backups.made < 4:
        before = time.monotonic()
        await asyncio.sleep(0.05)
        loop_lag.append(time.monotonic() - before - 0.05)
    assert platform.backups.made >= 4, platform.backups.last_error
    assert platform.backups.failed == 0
    scheduled = [p for p in list_backups(folder) if p.name.endswith("-scheduled.isomer-backup.zip")]
    assert len(scheduled) == 2
    assert manual.exists()
    manifest = verify_backup(scheduled[-1])
    assert manifest["kind"] == "scheduled" and manifest["instance"] == "sv-scheduled"
    assert any(entry["name"] == "logbook" for entry in manifest["collections"])
    # The dump ran off the event loop: the loop kept turning (generous bound).
    assert max(loop_lag) < 2.0
