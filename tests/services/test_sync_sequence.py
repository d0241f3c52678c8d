"""The boat side of sync: sequence stamps on every write, tombstones, the horizon, batches."""

from __future__ import annotations

import gzip
import hashlib
import lzma
import struct
import threading
import time
import zlib

import bson
import numpy as np
import pytest
from isomer_data.ingest.observation import Observation, Sounding

from isomer_data.core.errors import IsomerError
from isomer_data.services.sync import protocol
from isomer_data.services.sync.sender import (
    RateLimiter,
    Sender,
    parse_window,
    seconds_until_open,
)
from isomer_data.store import observations as obs_store
from isomer_data.store import soundings as snd_store
from isomer_data.store import sync as seq_store
from isomer_data.store import vessels as vessel_store


def _obs(n: int, t0: float = 1.7e9, path: str = "environment.depth.belowTransducer"):
    return [Observation(t0 + i, "self", path, float(i), "test") for i in range(n)]


def test_every_store_write_gets_a_higher_sequence_and_deletions_leave_tombstones(mongo_db):
    obs_store.write_observations(mongo_db, _obs(10), origin="a.log", batch=0)
    first = [d["_sync"] for d in mongo_db.observations.find()]
    assert len(first) == 1 and first[0] >= 1
    snd_store.write_soundings(
        mongo_db, [Sounding(1.7e9, 10.0, 50.0, 5.0, None, None, None, "self", "s")], origin="a.log"
    )
    vessel_store.set_vessel(mongo_db, "self", transducer_depth=0.5)
    # The number is bookkeeping, not vessel metadata: the depth map never sees it.
    assert vessel_store.vessel_offsets(mongo_db)["self"].keys() == {"transducer_depth", "uuid"}
    obs_store.write_observations(mongo_db, _obs(10), origin="a.log", batch=0)  # rewritten
    sounding = mongo_db.soundings.find_one()["_sync"]
    vessel = mongo_db.vessels.find_one()["_sync"]
    again = mongo_db.observations.find_one()["_sync"]
    assert first[0] < sounding < vessel < again
    bucket_id = mongo_db.observations.find_one()["_id"]
    obs_store.delete_batch(mongo_db, "a.log")
    assert mongo_db.observations.count_documents({}) == 0
    stone = mongo_db[seq_store.TOMBSTONES].find_one()
    assert stone["c"] == "observations" and stone["i"] == bucket_id
    assert stone["_sync"] > again
    # Every reservation has ended: the horizon is the counter, at once.
    assert seq_store.horizon(mongo_db, wait=5) == stone["_sync"]


def test_horizon_waits_for_writes_still_in_flight(mongo_db):
    obs_store.write_observations(mongo_db, _obs(3), origin="b", batch=0)
    done = mongo_db[seq_store.STATE].find_one()["seq"]
    entered, release = threading.Event(), threading.Event()

    def slow_writer():
        with seq_store.reserve(mongo_db, 5):
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=slow_writer)
    thread.start()
    entered.wait(10)
    # A number is handed out but its document is not stored: nothing past it is safe yet.
    assert seq_store.horizon(mongo_db, wait=0.3, poll=0.05) is None
    threading.Timer(0.3, release.set).start()
    assert seq_store.horizon(mongo_db, wait=10, poll=0.05) == done + 5
    thread.join()


def test_batches_are_bounded_and_named_by_content(mongo_db):
    for b in range(6):
        obs_store.write_observations(mongo_db, _obs(200, 1.7e9 + b * 3600), origin="c", batch=b)
    sender = Sender(mongo_db, "http://127.0.0.1:9", "t", batch_bytes=8 * 1024)
    to, items = sender.cut(0, seq_store.horizon(mongo_db))
    assert 1 <= len(items) < 6
    assert sum(len(bson.encode(i)) for i in items[:-1]) <= 8 * 1024
    assert to == items[-1]["s"]
    body, name, codec = protocol.encode(0, to, items)
    again = protocol.encode(0, to, items)
    assert again[1] == name
    assert protocol.decode(body, codec, name)["items"][0]["d"]["_id"] == items[0]["d"]["_id"]
    assert sender.pending(0)["observations"] == 6
    assert sender.cut(seq_store.horizon(mongo_db), seq_store.horizon(mongo_db)) is None


def _named(raw: bytes):
    import hashlib

    return zlib.compress(raw), hashlib.sha256(raw).hexdigest()


def test_a_zip_bomb_stops_at_the_decoded_limit():
    raw = b"\0" * (protocol.MAX_DECODED_BYTES + 10)
    body, name = _named(raw)
    assert len(body) < protocol.MAX_BATCH_BYTES
    with pytest.raises(protocol.BatchError) as err:
        protocol.decode(body, "zlib", name)
    assert err.value.code == 50404 and err.value.status == 413


@pytest.mark.parametrize(
    ("batch", "code"),
    [
        ({"v": 1, "after": 0, "to": 1, "items": [{"c": "x", "s": 1}]}, None),
        ({"v": 3, "after": 0, "to": 1, "items": []}, 50406),
        ({"v": 1, "after": 5, "to": 1, "items": []}, 50403),
        ({"v": 1, "after": 0, "to": 3, "items": [{"c": "x", "s": 2}, {"c": "x", "s": 2}]}, 50403),
        ({"v": 1, "after": 0, "to": 3, "items": [{"c": "x", "s": 9}]}, 50403),
    ],
)
def test_batch_envelopes_are_checked(batch, code):
    body, name = _named(bson.encode(batch))
    if code is None:
        assert protocol.decode(body, "zlib", name)["to"] == 1
        return
    with pytest.raises(protocol.BatchError) as err:
        protocol.decode(body, "zlib", name)
    assert err.value.code == code


def test_a_batch_that_does_not_match_its_name_is_refused():
    body, name = _named(bson.encode({"v": 1, "after": 0, "to": 1, "items": []}))
    with pytest.raises(protocol.BatchError) as err:
        protocol.decode(body, "zlib", "0" * 64)
    assert err.value.code == 50405
    with pytest.raises(protocol.BatchError) as err:
        protocol.decode(body[:-4], "zlib", name)
    assert err.value.code == 50403


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"c": "users", "s": 1, "d": {"_id": "x"}}, 50408),
        ({"c": "tokens", "s": 1, "del": "x"}, 50408),
        ({"c": "logbook", "s": 1, "d": {"_id": "x", "$where": 1}}, 50410),
        ({"c": "logbook", "s": 1, "d": {"_id": "x", "a": {"b.c": 1}}}, 50410),
        ({"c": "logbook", "s": 1, "d": {"_id": {"$gt": ""}}}, 50409),
        ({"c": "logbook", "s": 1, "d": {"_id": "x" * 600}}, 50409),
        ({"c": "logbook", "s": 1, "d": {"no": "id"}}, 50409),
        (
            {
                "c": "logbook",
                "s": 1,
                "d": {"_id": "x", "deep": [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]},
            },
            50410,
        ),
        ({"c": "logbook", "s": 1, "d": {"_id": "x", "text": "fine"}}, None),
    ],
)
def test_items_are_checked_one_by_one(item, code):
    problem = protocol.check_item(item)
    assert (problem[0] if problem else None) == code


def test_window_and_bandwidth_settings():
    from datetime import UTC, datetime

    assert parse_window("") is None
    night = parse_window("22:00-06:00")
    assert seconds_until_open(night, datetime(2026, 1, 1, 23, 0, tzinfo=UTC)) == 0
    assert seconds_until_open(night, datetime(2026, 1, 1, 5, 59, tzinfo=UTC)) == 0
    assert seconds_until_open(night, datetime(2026, 1, 1, 21, 0, tzinfo=UTC)) == 3600
    for bad in ("22-06", "25:00-06:00", "22:00-06:61"):
        with pytest.raises(IsomerError) as err:
            parse_window(bad)
        assert err.value.code == 50412
    limiter = RateLimiter(100_000)
    began = time.monotonic()
    for _ in range(20):
        limiter.consume(limiter.chunk)
    elapsed = time.monotonic() - began
    rate = 20 * limiter.chunk / elapsed
    assert rate <= 100_000 * 1.1 and elapsed < 5
    assert np.isfinite(rate)


def test_packed_float_lists_come_back_bit_for_bit():
    weird = [0.0, -0.0, 1e-310, -1e308, float("inf"), float("-inf"), 1714607580.25, 7.6, 3.0]
    nan = struct.unpack("<d", struct.pack("<Q", 0x7FF8_0000_DEAD_BEEF))[0]
    doc = {"t": weird + [nan], "short": [1.0, 2.0], "mixed": [1.0] * 8 + [None], "n": 3}
    packed = protocol.pack_document(doc)
    assert isinstance(packed["t"], bytes) and packed["t"].subtype == protocol.PACKED
    assert packed["short"] == doc["short"] and packed["mixed"] == doc["mixed"]
    back = protocol.unpack_document(packed)
    assert [struct.pack("<d", x) for x in back["t"]] == [struct.pack("<d", x) for x in doc["t"]]
    assert bson.encode(back) == bson.encode(doc)


def test_format_2_batches_decode_to_the_boats_documents_and_format_1_is_still_read():
    t = [1.7e9 + i * 0.5 for i in range(600)]
    items = [{"c": "observations", "s": 1, "d": {"_id": "a", "t": t, "v": [x % 7 for x in t]}}]
    body, name, codec = protocol.encode(0, 1, items)
    assert codec == "xz"
    assert protocol.decode(body, codec, name)["items"] == items
    old = bson.encode({"v": 1, "after": 0, "to": 1, "items": items})
    assert len(body) * 4 < len(zlib.compress(old, 6))  # format 1's bytes, for comparison
    body, name = _named(old)
    assert protocol.decode(body, "zlib", name)["items"] == items


def test_a_broken_packed_field_refuses_its_item_only():
    good = {"c": "observations", "s": 1, "d": {"_id": "a", "t": [1.0] * 8}}
    bad = {"c": "observations", "s": 2, "d": {"_id": "b", "t": bson.Binary(b"x" * 9, 0x80)}}
    packed = {**good, "d": protocol.pack_document(good["d"])}
    raw = bson.encode({"v": 2, "after": 0, "to": 2, "items": [packed, bad]})
    body, name = _named(raw)
    batch = protocol.decode(body, "zlib", name)
    assert protocol.check_item(batch["items"][0]) is None
    assert batch["items"][0]["d"]["t"] == [1.0] * 8
    assert protocol.check_item(batch["items"][1])[0] == 50620


def test_an_xz_bomb_stops_at_the_decoded_limit_and_its_dictionary_is_bounded():
    raw = b"\0" * (protocol.MAX_DECODED_BYTES + 10)
    body = lzma.compress(raw, format=lzma.FORMAT_XZ)
    with pytest.raises(protocol.BatchError) as err:
        protocol.decode(body, "xz", hashlib.sha256(raw).hexdigest())
    assert err.value.code == 50404 and err.value.status == 413
    filters = [{"id": lzma.FILTER_LZMA2, "dict_size": 1536 * 1024 * 1024}]
    greedy = lzma.compress(b"{}", format=lzma.FORMAT_XZ, filters=filters)
    with pytest.raises(protocol.BatchError) as err:  # the decoder would want 1.5 GiB
        protocol.decode(greedy, "xz", hashlib.sha256(b"{}").hexdigest())
    assert err.value.code == 50403


def test_the_voyage_crosses_the_link_in_fewer_bytes_than_its_gzipped_nmea(db_url, mongo_db):
    from isomer_data.cli.main import main
    from isomer_data.samples import VOYAGE_NMEA

    assert main(["ingest", str(VOYAGE_NMEA), "--db", db_url]) == 0
    sender = Sender(mongo_db, "http://127.0.0.1:9", "t")
    sender.backfill()
    horizon, after, wire = seq_store.horizon(mongo_db), 0, 0
    while (cut := sender.cut(after, horizon)) is not None:
        to, items = cut
        wire += len(protocol.encode(after, to, items)[0])
        after = to
    assert wire <= len(gzip.compress(VOYAGE_NMEA.read_bytes(), 6))
