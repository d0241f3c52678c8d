"""Ingest reports and file checkpoints: what each ingest did, and how far a file got."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from pymongo.database import Database as MongoDatabase

REPORTS = "ingest_reports"
CHECKPOINTS = "ingest_checkpoints"


def file_key(path: str | Path, vessel: str = "self") -> str:
    """Identify a log by content, not name: sha256 of its first 64 KiB, its size and the
    vessel it is ingested for (the same log may be attributed to another vessel)."""
    path = Path(path)
    digest = hashlib.sha256(vessel.encode() + b"\0")
    with open(path, "rb") as fh:
        digest.update(fh.read(65536))
    digest.update(str(path.stat().st_size).encode())
    return digest.hexdigest()


def save_report(db: MongoDatabase, source: str, report: dict, **extra) -> str:
    doc = {"source": source, "finished": datetime.now(UTC), **report, **extra}
    return str(db[REPORTS].insert_one(doc).inserted_id)


def get_checkpoint(db: MongoDatabase, key: str) -> dict | None:
    return db[CHECKPOINTS].find_one({"_id": key})


def set_checkpoint(db: MongoDatabase, key: str, **fields) -> None:
    fields["updated"] = datetime.now(UTC)
    db[CHECKPOINTS].update_one({"_id": key}, {"$set": fields}, upsert=True)


def clear_checkpoint(db: MongoDatabase, key: str) -> None:
    db[CHECKPOINTS].delete_one({"_id": key})
