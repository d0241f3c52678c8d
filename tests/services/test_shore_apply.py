"""The shore inserts what it does not hold and replaces what it does, in the boat's order."""

from pymongo import InsertOne

from isomer_data.services.sync.shore import _write, apply_batch

URN = "urn:mrn:imo:mmsi:211000009"


def batch(after, items):
    return {"v": 2, "after": after, "to": items[-1]["s"], "items": items}


def doc(seq, key, value):
    return {"c": "logbook", "s": seq, "d": {"_id": key, "vessel": "self", "text": value}}


def test_new_documents_are_inserted_and_held_ones_replaced(mongo_db):
    assert apply_batch(mongo_db, URN, "a" * 64, batch(0, [doc(1, "x", "one")]))["applied"] == 1
    ack = apply_batch(mongo_db, URN, "b" * 64, batch(1, [doc(2, "x", "two"), doc(3, "y", "new")]))
    assert ack["applied"] == 2 and ack["rejected"] == 0
    held = {d["_id"]: d["text"] for d in mongo_db.logbook.find()}
    assert held == {f"{URN}/x": "two", f"{URN}/y": "new"}
    # a deletion in the group keeps the boat's order: written, then deleted
    items = [doc(4, "z", "brief"), {"c": "logbook", "s": 5, "del": "z"}]
    assert apply_batch(mongo_db, URN, "c" * 64, batch(3, items))["rejected"] == 0
    assert mongo_db.logbook.count_documents({"_id": f"{URN}/z"}) == 0


def test_an_insert_that_meets_a_document_written_meanwhile_replaces_it(mongo_db):
    mongo_db.logbook.insert_one({"_id": "k", "text": "old"})
    assert _write(mongo_db.logbook, [(1, InsertOne({"_id": "k", "text": "new"}))]) == []
    assert mongo_db.logbook.find_one({"_id": "k"})["text"] == "new"
