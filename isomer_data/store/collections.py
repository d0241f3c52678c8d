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
