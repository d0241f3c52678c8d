"""Vessel metadata the depth map needs: where each vessel's transducer sits.

Documents in ``vessels``: ``{"vessel": "self" | "urn:mrn:imo:mmsi:NNN", "name": …,
"transducer_depth": m below the waterline, "draft": m}``; also editable as ``vessel``
objects through the object manager (schema ``schemas/vessel.json``).
"""

from __future__ import annotations

import uuid

from pymongo.database import Database as MongoDatabase

from isomer_data.store import sync

COLLECTION = "vessels"


def set_vessel(db: MongoDatabase, vessel: str, **fields) -> None:
    with sync.reserve(db, 1) as seq:
        db[COLLECTION].update_one(
            {"vessel": vessel},
            {
                "$set": {"vessel": vessel, **fields, sync.FIELD: seq},
                "$setOnInsert": {"uuid": uuid.uuid4().hex},
            },
            upsert=True,
        )


def vessel_offsets(db: MongoDatabase) -> dict[str, dict]:
    """``vessel -> metadata`` for every vessel with a known transducer depth.

    On a shore the records come from many boats (``_from``: the vessel whose sync brought
    it, see ``services/sync/shore.py``), and a boat may hold a record of another vessel
    too. A vessel's own record (sent by that vessel, or written on this platform) wins over
    what another boat says about it; among others the first by id, so the choice repeats.
    """
    offsets: dict[str, dict] = {}
    own: dict[str, bool] = {}
    hidden = ("_id", "vessel", "_from", "_seq", sync.FIELD)
    for doc in db[COLLECTION].find({"transducer_depth": {"$exists": True}}).sort("_id", 1):
        vessel = doc["vessel"]
        authoritative = doc.get("_from") in (None, vessel)
        if vessel in offsets and (own[vessel] or not authoritative):
            continue
        offsets[vessel] = {k: v for k, v in doc.items() if k not in hidden}
        own[vessel] = authoritative
    return offsets
