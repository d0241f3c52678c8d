"""Schema 1: the layout of Isomer Data 0.1 (nothing to change, the version is recorded)."""

DESCRIPTION = "record the schema version of Isomer Data 0.1"


def up(db) -> None:
    db["isomer_schema"].update_one({"_id": "schema"}, {"$setOnInsert": {"version": 0}}, upsert=True)
