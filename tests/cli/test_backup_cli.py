"""``isomer backup`` against an instance's embedded database, as a user runs it."""

from __future__ import annotations

import hashlib
import subprocess
import sys

from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from isomer_data.cli.instance_lock import InstanceLock
from isomer_data.cli.main import main
from isomer_data.database import open_database
from isomer_data.instances import instance_config
from isomer_data.samples import VOYAGE_NMEA

ISOMER = [sys.executable, "-m", "isomer_data"]


def run(*args, timeout=120):
    return subprocess.run(
        ISOMER + list(args),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def collection_hashes(db) -> dict[str, str]:
    raw = CodecOptions(document_class=RawBSONDocument)
    return {
        name: hashlib.sha256(
            "".join(
                sorted(
                    hashlib.sha256(doc.raw).hexdigest()
                    for doc in db.get_collection(name, codec_options=raw).find()
                )
            ).encode()
        ).hexdigest()
        for name in sorted(db.list_collection_names())
    }


def test_embedded_instance_restores_into_a_new_instance_with_identical_exports(
    isomer_home, tmp_path, capsys
):
    assert main(["instance", "create", "sv-boat", "--port", "9301"]) == 0
    boat = instance_config("sv-boat")
    notebook = boat.instance_dir / "notebooks" / "tides.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.write_text('{"cells": ["tide"]}')
    # The boat's embedded database runs for the whole test; commands attach to it.
    with open_database(boat) as database:
        args = ["--instance", "sv-boat"]
        assert (
            main(
                [
                    "db",
                    "user",
                    "create-user",
                    "--username",
                    "ole",
                    "--password",
                    "ole-pass-1",
                    *args,
                ]
            )
            == 0
        )
        assert main(["ingest", str(VOYAGE_NMEA), *args]) == 0

        created = run("backup", "create", *args)
        assert created.returncode == 0, created.stderr
        (archive,) = boat.backup_dir.glob("*.isomer-backup.zip")
        assert str(archive) in created.stdout
        listed = run("backup", "list", *args)
        assert archive.name in listed.stdout and "manual" in listed.stdout

        # An embedded database a command runs counts as in use: no removal under it.
        capsys.readouterr()
        assert main(["instance", "remove", "sv-boat", "--yes"]) != 0
        err = capsys.readouterr().err
        assert "50103" in err and "runs its embedded database" in err

        restored = run("backup", "restore", str(archive))
        assert restored.returncode == 0, restored.stderr
        assert "Traceback" not in restored.stderr
        (name,) = [p.name for p in (isomer_home / "instances").iterdir() if p.name != "sv-boat"]
        assert name.startswith("sv-boat-restored-")
        source_hashes = collection_hashes(database.db)
        assert main(["export", "observations", "-o", str(tmp_path / "a.jsonl"), *args]) == 0

    copy = instance_config(name)
    assert copy.port == 9301  # the configuration came back with the data
    assert (copy.instance_dir / "notebooks" / "tides.ipynb").read_text() == '{"cells": ["tide"]}'
    with open_database(copy) as database:
        assert collection_hashes(database.db) == source_hashes
        assert {"users", "observations", "soundings", "ingest_checkpoints"} <= set(source_hashes)
        out = tmp_path / "b.jsonl"
        assert main(["export", "observations", "-o", str(out), "--instance", name]) == 0
    assert out.read_bytes() == (tmp_path / "a.jsonl").read_bytes()
    assert out.read_bytes().count(b"\n") > 50

    # A running instance is never restored into: the platform's lock says it runs.
    lock = InstanceLock(copy.instance_dir)
    lock.acquire()
    lock.describe("http://127.0.0.1:9301")
    try:
        capsys.readouterr()
        assert main(["backup", "restore", str(archive), "--instance", name, "--force"]) != 0
        err = capsys.readouterr().err
        assert "50103: The instance is in use" in err and "http://127.0.0.1:9301" in err
    finally:
        lock.release()


def test_backup_of_a_missing_instance_is_50101(isomer_home):
    result = run("backup", "create", "--instance", "nowhere")
    assert result.returncode != 0 and "50101: No such instance" in result.stderr
    assert not (isomer_home / "instances" / "nowhere").exists()
