"""The shore's side: apply a vessel's batches once, in order, in that vessel's namespace.

Per vessel the shore keeps the highest sequence number it has applied (``sync_vessels``)
and a receipt per batch (``sync_receipts``, keyed by vessel and batch name). A batch seen
before is answered with its stored acknowledgement and changes nothing; a batch that
overlaps what is held applies only its newer items; one that starts past what is held is
refused with the position held (50411), so the boat goes back there.

Every document is rewritten into the vessel's namespace: ``_id`` (and an object's ``uuid``)
become ``<vessel URN>/<boat id>``, so two boats that ingested the same file (the same
bucket ids) never overwrite each other; the boat's ``"self"`` becomes the vessel's URN; an
object's ``owner`` and ``perms`` are the boat's business, so the shore drops them (its
schema defaults apply). ``_from`` and ``_seq`` record where each document came from.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pymongo import DeleteOne, InsertOne, ReplaceOne
from pymongo.errors import BulkWriteError

from isomer_data.services.sync.protocol import check_item

RECEIPTS = "sync_receipts"
VESSELS = "sync_vessels"
OBJECT_COLLECTIONS = ("vessels", "logbook", "waypoints")
MAX_PROBLEMS = 20
_URN_CHARS = re.compile(r"[^A-Za-z0-9:._-]")


class Gap(Exception):
    def __init__(self, position: int):
        super().__init__(position)
        self.position = position


def vessel_urn(user_doc: dict) -> str:
    """The vessel a sync user speaks for: its ``vessel`` field, else one made from its name."""
    urn = user_doc.get("vessel")
    if isinstance(urn, str) and urn.startswith("urn:mrn:") and not _URN_CHARS.search(urn):
        return urn
    return "urn:mrn:isomer:vessel:" + _URN_CHARS.sub("-", user_doc.get("username", "unknown"))


def namespaced(urn: str, doc_id) -> str:
    if isinstance(doc_id, str):
        return f"{urn}/{doc_id}"
    return f"{urn}/{type(doc_id).__name__}:{doc_id}"


def rewrite(collection: str, doc: dict, urn: str, seq: int) -> dict:
    """The boat's document as the shore stores it."""
    out = {k: v for k, v in doc.items() if k not in ("_sync", "_from", "_seq")}
    out["_id"] = namespaced(urn, doc["_id"])
    if out.get("vessel") == "self":
        out["vessel"] = urn
    if collection in OBJECT_COLLECTIONS:
        if "uuid" in out:
            out["uuid"] = namespaced(urn, out["uuid"])
        out.pop("perms", None)
        out["owner"] = ""
    out["_from"] = urn
    out["_seq"] = seq
    return out


def _inserts_where_new(collection, group: list[tuple[int, object]]) -> list[tuple[int, object]]:
    """Replacements of documents the shore does not hold yet, as plain inserts.

    An upsert looks the id up before writing, one by one; most of what a boat sends is new,
    so one ``$in`` query finds the few already held and the rest are inserted (a third of
    the shore's time per batch, measured). Only for a group of replacements with distinct
    ids: with a deletion or an id twice in the group, order matters and nothing changes.
    """
    ids = [op._filter["_id"] for _, op in group if isinstance(op, ReplaceOne)]
    if len(ids) != len(group) or len(set(ids)) != len(ids):
        return group
    held = {d["_id"] for d in collection.find({"_id": {"$in": ids}}, {"_id": 1})}
    return [(seq, op if op._filter["_id"] in held else InsertOne(op._doc)) for seq, op in group]


def _write(collection, group: list[tuple[int, object]]) -> list[tuple[int, str]]:
    """Write in order; a document the database refuses (a geometry its 2dsphere index cannot
    take) is reported and skipped, so one bad document cannot stall a vessel's sync."""
    refused = []
    start = 0
    while start < len(group):
        try:
            collection.bulk_write([op for _, op in group[start:]], ordered=True)
            break
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors") or []
            if not errors:
                raise
            failed = start + errors[0]["index"]
            seq, op = group[failed]
            if errors[0].get("code") == 11000 and isinstance(op, InsertOne):
                # Written meanwhile (it was not there when looked up): replace it after all.
                group[failed] = (seq, ReplaceOne({"_id": op._doc["_id"]}, op._doc, upsert=True))
                start = failed
                continue
            refused.append((seq, str(errors[0].get("errmsg", ""))[:200]))
            start = failed + 1
    return refused


def position(db, urn: str) -> int:
    state = db[VESSELS].find_one({"_id": urn}) or {}
    return int(state.get("position", 0))


def apply_batch(db, urn: str, name: str, batch: dict) -> dict:
    """Apply one decoded, checked batch (blocking: call from a thread, one per vessel)."""
    receipt_id = f"{urn}/{name}"
    old = db[RECEIPTS].find_one({"_id": receipt_id})
    if old is not None:
        return old["ack"]
    held = position(db, urn)
    if batch["after"] > held:
        raise Gap(held)
    ops: dict[str, list] = {}
    applied = skipped = 0
    problems = []
    rejected = 0
    for item in batch["items"]:
        seq = item["s"]
        if seq <= held:
            skipped += 1
            continue
        problem = check_item(item)
        if problem:
            rejected += 1
            if len(problems) < MAX_PROBLEMS:
                problems.append({"seq": seq, "error": problem[0], "message": problem[1]})
            continue
        collection = item["c"]
        if "del" in item:
            op = DeleteOne({"_id": namespaced(urn, item["del"])})
        else:
            doc = rewrite(collection, item["d"], urn, seq)
            op = ReplaceOne({"_id": doc["_id"]}, doc, upsert=True)
        ops.setdefault(collection, []).append((seq, op))
        applied += 1
    # One collection's operations in their order; ids never cross collections.
    for collection, group in ops.items():
        group = _inserts_where_new(db[collection], group)
        for seq, message in _write(db[collection], group):
            applied -= 1
            rejected += 1
            if len(problems) < MAX_PROBLEMS:
                problems.append({"seq": seq, "error": 50414, "message": message})
    new_position = max(held, batch["to"])
    now = datetime.now(UTC)
    db[VESSELS].update_one(
        {"_id": urn},
        {
            "$set": {"position": new_position, "updated": now},
            "$inc": {"batches": 1, "items": applied, "rejected": rejected},
        },
        upsert=True,
    )
    ack = {
        "batch": name,
        "vessel": urn,
        "position": new_position,
        "applied": applied,
        "skipped": skipped,
        "rejected": rejected,
        "problems": problems,
    }
    db[RECEIPTS].insert_one(
        {
            "_id": receipt_id,
            "vessel": urn,
            "batch": name,
            "after": batch["after"],
            "to": batch["to"],
            "items": len(batch["items"]),
            "received": now,
            "ack": ack,
        }
    )
    return ack
