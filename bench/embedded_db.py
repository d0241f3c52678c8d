"""Embedded database rates through pymongo: what every storage layout is built on.

There is no other MongoDB on these machines to compare with, so the single-document
insert is the baseline the batched and bucketed writes are measured against.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pymongo import ASCENDING, MongoClient

from bench.results import Result
from isomer_data.database import EmbeddedMongo


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def run(quick: bool = False) -> list[Result]:
    n = 2_000 if quick else 20_000
    finds = 500 if quick else 5_000
    with tempfile.TemporaryDirectory() as tmp, EmbeddedMongo(Path(tmp) / "db") as server:
        client = MongoClient(server.url)
        db = client.bench
        docs = [{"t": i, "path": f"p{i % 10}", "v": i * 0.5} for i in range(n)]

        start = time.perf_counter()
        for doc in docs[: n // 4]:
            db.single.insert_one(dict(doc))
        single = _rate(n // 4, time.perf_counter() - start)

        start = time.perf_counter()
        for i in range(0, n, 1000):
            db.batched.insert_many([dict(d) for d in docs[i : i + 1000]], ordered=False)
        batched = _rate(n, time.perf_counter() - start)

        db.batched.create_index([("path", ASCENDING), ("t", ASCENDING)])
        start = time.perf_counter()
        for i in range(finds):
            db.batched.find_one({"path": f"p{i % 10}", "t": (i * 7919) % n})
        indexed = _rate(finds, time.perf_counter() - start)

        start = time.perf_counter()
        read = sum(1 for _ in db.batched.find({}, batch_size=5000))
        scan = _rate(read, time.perf_counter() - start)
        client.close()
    return [
        Result("embedded DB: insert_one", "docs/s", single, notes="one round trip per document"),
        Result(
            "embedded DB: insert_many (1000/batch)",
            "docs/s",
            batched,
            baseline=single,
            baseline_name="insert_one",
        ),
        Result("embedded DB: indexed find_one", "queries/s", indexed, notes="(path, t) index"),
        Result("embedded DB: full read-back", "docs/s", scan),
    ]
