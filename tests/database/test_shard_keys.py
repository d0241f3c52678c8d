"""Every documented shard key has the index a sharded cluster needs before sharding."""

from isomer_data.store import observations, soundings
from isomer_data.store.collections import SHARD_KEYS, ensure_collections, ensure_shard_key_indexes


def has_index_for(db, collection, keys) -> bool:
    return any(
        tuple(index["key"].items())[: len(keys)] == keys for index in db[collection].list_indexes()
    )


def test_shard_keys_are_vessel_then_time_and_indexed(mongo_db):
    ensure_collections(mongo_db, SHARD_KEYS)
    observations.ensure_indexes(mongo_db)
    soundings.ensure_indexes(mongo_db)
    assert not has_index_for(mongo_db, "observations", SHARD_KEYS["observations"])
    created = ensure_shard_key_indexes(mongo_db)
    assert created == ["observations.vessel_start"]  # tracks and soundings had theirs
    for collection, keys in SHARD_KEYS.items():
        if collection != "sync_receipts":
            assert [field for field, _ in keys] == ["vessel", "start"]
        assert has_index_for(mongo_db, collection, keys), collection
    assert ensure_shard_key_indexes(mongo_db) == []  # a second start creates nothing
