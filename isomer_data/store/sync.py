"""The boat's sync sequence: every write to a synced collection gets a number, in order.

A counter document in ``sync_state`` is incremented atomically (``find_one_and_update``
``$inc``); a write reserves a range of numbers and stamps them as ``_sync`` on the
documents it writes, so "everything written since position P" is one indexed query per
collection. A deletion first writes a tombstone (``sync_tombstones``) with its own number,
so deletions travel too. SecantusDB's capped oplog (and its change streams) would lose what
happened during hours offline: the stamps live in the documents themselves.

A reservation is also listed in the counter document's ``pending`` until its write is done:
a number is handed out before the document carrying it is stored, so a sender reading
"everything up to the counter" could skip a write still in flight and never see it again.
:func:`horizon` gives the highest number below which every write has finished.
"""

from __future__ import annotations

import contextlib
import time
import uuid

from pymongo import ASCENDING, ReturnDocument, WriteConcern
from pymongo.database import Database as MongoDatabase

STATE = "sync_state"
TOMBSTONES = "sync_tombstones"
COUNTER_ID = "sequence"
FIELD = "_sync"
# A reservation older than this belongs to a writer that died mid-write: whatever it
# stored carries its numbers already, so the sender stops waiting for it.
STALE_SECONDS = 300.0
_UNACKNOWLEDGED = WriteConcern(w=0)

# collection -> what it holds; the object collections are the shared objects' (logbook,
# waypoints) and the vessel records. Users, tokens and access requests never travel.
SYNCED = ("observations", "tracks", "soundings", "vessels", "logbook", "waypoints")


def _reserve_update(n: int, token: str) -> dict:
    return {"$inc": {"seq": n}, "$push": {"pending": {"t": token, "at": time.time()}}}


def _first(doc: dict, n: int) -> int:
    return int(doc["seq"]) - n + 1


@contextlib.contextmanager
def reserve(db: MongoDatabase, n: int):
    """Reserve ``n`` numbers; yields the first. The reservation ends when the block does."""
    token = uuid.uuid4().hex
    doc = db[STATE].find_one_and_update(
        {"_id": COUNTER_ID},
        _reserve_update(n, token),
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    try:
        yield _first(doc, n)
    finally:
        # Unacknowledged: the writer need not wait for it (a round trip per batch on the
        # ingest's critical path); a sender reading the counter waits until it has landed.
        db.get_collection(STATE, write_concern=_UNACKNOWLEDGED).update_one(
            {"_id": COUNTER_ID}, {"$pull": {"pending": {"t": token}}}
        )


@contextlib.asynccontextmanager
async def areserve(adb, n: int):
    """:func:`reserve` for the async client (the object manager)."""
    token = uuid.uuid4().hex
    doc = await adb[STATE].find_one_and_update(
        {"_id": COUNTER_ID},
        _reserve_update(n, token),
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    try:
        yield _first(doc, n)
    finally:
        await adb[STATE].update_one({"_id": COUNTER_ID}, {"$pull": {"pending": {"t": token}}})


def stamp(docs: list[dict], first: int) -> None:
    for i, doc in enumerate(docs):
        doc[FIELD] = first + i


def tombstone_id(collection: str, doc_id) -> str:
    return f"{collection}/{type(doc_id).__name__}/{doc_id}"


def tombstone(collection: str, doc_id, seq: int) -> dict:
    return {"_id": tombstone_id(collection, doc_id), "c": collection, "i": doc_id, FIELD: seq}


def write_tombstones(db: MongoDatabase, collection: str, ids: list) -> None:
    """Record that these documents are about to be deleted (call before deleting)."""
    from pymongo import ReplaceOne

    if not ids:
        return
    with reserve(db, len(ids)) as first:
        db[TOMBSTONES].bulk_write(
            [
                ReplaceOne({"_id": tombstone_id(collection, i)}, tombstone(collection, i, s), True)
                for s, i in enumerate(ids, first)
            ],
            ordered=False,
        )


async def awrite_tombstone(adb, collection: str, doc_id) -> None:
    async with areserve(adb, 1) as seq:
        await adb[TOMBSTONES].replace_one(
            {"_id": tombstone_id(collection, doc_id)},
            tombstone(collection, doc_id, seq),
            upsert=True,
        )


def horizon(db: MongoDatabase, wait: float = 30.0, poll: float = 0.2) -> int | None:
    """The highest sequence number below which every reserved write has finished.

    Reads the counter and the reservations open at that moment, then waits (at most
    ``wait`` seconds) until those reservations have ended; later ones hold higher numbers.
    ``None`` when they have not: nothing new is safe to send yet.
    """
    doc = db[STATE].find_one({"_id": COUNTER_ID}) or {}
    seq = int(doc.get("seq", 0))
    now = time.time()
    open_ = {p["t"] for p in doc.get("pending", ()) if now - p.get("at", 0) < STALE_SECONDS}
    deadline = time.monotonic() + wait
    while open_ and time.monotonic() < deadline:
        time.sleep(poll)
        again = db[STATE].find_one({"_id": COUNTER_ID}) or {}
        open_ &= {p["t"] for p in again.get("pending", ())}
    if open_:
        return None
    stale = now - STALE_SECONDS
    db[STATE].update_one({"_id": COUNTER_ID}, {"$pull": {"pending": {"at": {"$lt": stale}}}})
    return seq


def ensure_indexes(db: MongoDatabase) -> None:
    for name in (*SYNCED, TOMBSTONES):
        existing = {i["name"] for i in db[name].list_indexes()}
        if "sync" not in existing:
            db[name].create_index([(FIELD, ASCENDING)], name="sync", sparse=True)
