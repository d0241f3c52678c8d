"""The data query endpoints' table building."""

from __future__ import annotations


def test_a_query_that_matches_nothing_is_an_empty_table_not_an_error(mongo_db):
    """The upgrade's self-test queries before the hub's store has flushed: an empty answer
    (it was ``IndexError`` → HTTP 500)."""
    from isomer_data.services.data.handlers import observations_table, to_parquet
    from isomer_data.store.observations import query_observations

    frame = observations_table(query_observations(mongo_db, paths=["environment.none"]))
    assert len(frame) == 0 and "number" in frame.columns
    assert to_parquet(frame)
