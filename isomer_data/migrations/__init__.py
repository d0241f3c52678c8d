"""Versioned data migrations: numbered steps and the schema version kept in the database.

Each step is a module ``mNNNN_<what>.py`` here with ``DESCRIPTION`` and ``up(db)``; its
number is the schema version the database has once it ran. The database records its
version in the ``isomer_schema`` collection (one document, ``_id: "schema"``, with the
history of the steps that ran). ``isomer upgrade`` runs the new version's pending steps
on a copy of the data first (through ``isomer migrate`` of the new environment), so a step
that fails never touches the data the running platform serves.

A step must be idempotent where it can (a step interrupted half-way runs again from the
start) and must never lose data an older version can read back from a backup.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from isomer_data.core.errors import IsomerError

COLLECTION = "isomer_schema"
DOCUMENT_ID = "schema"
STEP_NAME = re.compile(r"m(\d{4})_[a-z0-9_]+")


@dataclass(frozen=True)
class Step:
    version: int
    name: str
    description: str
    up: object


def steps() -> list[Step]:
    """Every migration step of this version, in order (numbers must run 1, 2, 3...)."""
    found: list[Step] = []
    for info in pkgutil.iter_modules(__path__):
        match = STEP_NAME.fullmatch(info.name)
        if not match:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append(
            Step(int(match.group(1)), info.name, getattr(module, "DESCRIPTION", ""), module.up)
        )
    found.sort(key=lambda step: step.version)
    numbers = [step.version for step in found]
    if numbers != list(range(1, len(found) + 1)):
        raise IsomerError(50311, f"migration steps are numbered {numbers}, not 1..{len(found)}")
    return found


def code_version() -> int:
    """The schema version this version of Isomer Data writes."""
    return len(steps())


def schema_version(db) -> int:
    """The schema version recorded in the database (0: none yet, a database from before
    migrations existed or an empty one)."""
    document = db[COLLECTION].find_one({"_id": DOCUMENT_ID})
    return int(document.get("version", 0)) if document else 0


def pending(db) -> list[Step]:
    current = schema_version(db)
    known = code_version()
    if current > known:
        raise IsomerError(
            50312, f"the database is at schema {current}; this version knows up to {known}"
        )
    return [step for step in steps() if step.version > current]


def migrate(db, log=print) -> list[str]:
    """Run the pending steps in order, recording each; returns the names that ran. A step
    that raises stops the run with 50310, the version left at the last step that ran."""
    ran: list[str] = []
    for step in pending(db):
        try:
            step.up(db)
        except IsomerError:
            raise
        except Exception as exc:
            raise IsomerError(
                50310, f"step {step.name}: {type(exc).__name__}: {str(exc)[:200]}"
            ) from None
        db[COLLECTION].update_one(
            {"_id": DOCUMENT_ID},
            {
                "$set": {"version": step.version},
                "$push": {
                    "history": {
                        "step": step.name,
                        "at": datetime.now(UTC),
                    }
                },
            },
            upsert=True,
        )
        ran.append(step.name)
        log(f"  migrated to schema {step.version}: {step.name} ({step.description})")
    return ran
