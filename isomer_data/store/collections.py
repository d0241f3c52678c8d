"""The platform's own collections, created before anything writes to them.

SecantusDB 0.7 deadlocks for good when an index build creates a collection at the same
moment as an insert creates it implicitly (both requests hang; found in the suite). So every
collection the platform writes exists before the server takes its first request: services
name theirs at setup (``platform.collections``) and the extension creates the missing ones,
one after another, while nothing else runs. Index builds on existing collections are safe.
This module stays free of heavy imports: the server imports it at start.
"""

from __future__ import annotations

from collections.abc import Iterable

from pymongo.errors import CollectionInvalid

OBSERVATIONS = "observations"
TRACKS = "tracks"
SOUNDINGS = "soundings"
STORE = (OBSERVATIONS, TRACKS, SOUNDINGS)


def ensure_collections(db, names: Iterable[str]) -> list[str]:
    """Create the collections of ``names`` that do not exist yet; returns those created."""
    existing = set(db.list_collection_names())
    created = []
    for name in sorted(set(names) - existing):
        try:
            db.create_collection(name)
        except CollectionInvalid:  # another process created it meanwhile: just as good
            continue
        created.append(name)
    return created


# Shard keys for a shore on a sharded MongoDB cluster (docs/storage.md, "Past one machine").
# The time series are sharded by vessel, then time: one vessel's writes (a sync batch is
# one vessel's) go to the chunks of that vessel, a map query for a period reads ranges, and
# a busy vessel still splits across shards by time. Receipts are looked up by ``_id``, which
# starts with the vessel's URN, so ranges of ``_id`` follow vessels. The small collections
# (vessels, logbook, waypoints, users, sync positions) stay on the primary shard.
SHARD_KEYS = {
    OBSERVATIONS: (("vessel", 1), ("start", 1)),
    TRACKS: (("vessel", 1), ("start", 1)),
    SOUNDINGS: (("vessel", 1), ("start", 1)),
    "sync_receipts": (("_id", 1),),
}


def ensure_shard_key_indexes(db) -> list[str]:
    """Create the index each shard key needs (``sh.shardCollection`` refuses a key without
    one) where it is missing; returns the names created. Safe on a single server too."""
    created = []
    for collection, keys in SHARD_KEYS.items():
        if keys == (("_id", 1),):
            continue  # every collection has it
        indexes = db[collection].list_indexes()
        if any(tuple(index["key"].items())[: len(keys)] == keys for index in indexes):
            continue
        name = "_".join(field for field, _ in keys)
        db[collection].create_index(list(keys), name=name)
        created.append(f"{collection}.{name}")
    return created
