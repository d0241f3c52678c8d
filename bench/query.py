"""Querying stored observations into xarray, against a bare pymongo find of the naive layout.

Why: analysis starts with ``isomer.observations([...])``; it has to hand back a season of
1 Hz signals quickly and without holding several copies of them in memory.

What: 5·10⁵ observations (``--quick``: 10⁵), 5 paths × 100 000 one-second times for one
vessel, in the embedded database twice (5·10⁵ rather than 10⁶ because the naive layout
loads at ≈14k documents/s and reads at ≈23k/s on the embedded server; 10⁶ would take
over 4 minutes):

* project: buckets written by ``store.observations.write_observations``, queried through
  ``isomer_data.client.Client.observations(paths)`` into an ``xarray.Dataset`` (one
  variable per path over ``time``, datetimes, CF attributes);
* baseline: one document per observation ``{time, vessel, path, value, source}`` (inserted
  untimed in batches of 10 000, then an index on path + time), queried with
  ``pandas.DataFrame(list(coll.find({"path": {"$in": paths}}, {"_id": 0})))`` — a long frame
  of raw floats, no time conversion, no reshaping.

Rates in observations/s, best of 3, the two sides interleaved. Each query runs in its own
``multiprocessing`` spawn child so that its peak memory can be read from the kernel
(``VmHWM`` after resetting it through ``/proc/self/clear_refs``), which counts pymongo's
and BSON's C allocations that tracemalloc would miss; the figure is the child's peak RSS
minus its RSS just before the query (after imports and connecting).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import tempfile
import time
from pathlib import Path

from bench.results import Result

DB = "bench_query"
NAIVE = "naive_observations"
T0 = 1.7e9
MiB = 1 << 20


def _paths(n_paths: int) -> list[str]:
    return [f"environment.bench.p{i}" for i in range(n_paths)]


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB
    raise KeyError(field)


def _start_peak() -> int:
    """Reset the peak-RSS mark if the kernel lets us; return the RSS now.

    ``VmHWM`` (not ``ru_maxrss``: Linux carries that over from the parent across fork
    and exec, so a big parent would mask the child's own peak) is this address space's
    high-water mark; writing 5 to ``clear_refs`` lowers it to the current RSS.
    """
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_bytes("VmRSS")


def _child(side: str, paths: list[str], n_times: int, go, queue) -> None:
    """One query in a fresh process: (seconds, peak RSS above the start of the query).

    The child imports first, then waits for ``go`` (which carries the server's URL), so
    spawning and importing overlap the load instead of adding to the run time.
    """
    import numpy as np  # noqa: F401  (imports before measuring, as a notebook would have)
    import pandas as pd
    import xarray  # noqa: F401
    from pymongo import MongoClient

    from isomer_data.client import Client

    url = go.get()
    if side == "project":
        client = Client(url, DB)
        client.db.command("ping")
        before = _start_peak()
        started = time.perf_counter()
        ds = client.observations(paths)
        seconds = time.perf_counter() - started
        assert ds.sizes["time"] == n_times, ds.sizes
        assert sorted(ds.data_vars) == sorted(paths), list(ds.data_vars)
        n = sum(int(ds[p].count()) for p in paths)
        assert float(ds[paths[0]].values[-1]) == float(n_times - 1)
    else:
        client = MongoClient(url)
        coll = client[DB][NAIVE]
        client[DB].command("ping")
        before = _start_peak()
        started = time.perf_counter()
        frame = pd.DataFrame(list(coll.find({"path": {"$in": paths}}, {"_id": 0})))
        seconds = time.perf_counter() - started
        n = len(frame)
    client.close()
    assert n == n_times * len(paths), n
    peak = _status_bytes("VmHWM")
    queue.put((seconds, (peak - before) / MiB, peak / MiB))


class _Child:
    """A spawn child that has done its imports and waits for its turn."""

    def __init__(self, side: str, paths: list[str], n_times: int):
        ctx = multiprocessing.get_context("spawn")
        self.side = side
        self.go, self.queue = ctx.Queue(), ctx.Queue()
        self.proc = ctx.Process(target=_child, args=(side, paths, n_times, self.go, self.queue))
        self.proc.start()

    def measure(self, url: str) -> tuple[float, float, float]:
        self.go.put(url)
        try:
            out = self.queue.get(timeout=300)
        finally:
            self.proc.join(timeout=60)
        if self.proc.exitcode != 0:
            raise RuntimeError(f"{self.side} query child exited with {self.proc.exitcode}")
        return out

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=10)


def _store(db, paths: list[str], n_times: int) -> tuple[float, float]:
    """Write both layouts (untimed for the benchmark; seconds returned for the notes)."""
    from isomer_data.ingest.observation import Observation
    from pymongo import ASCENDING

    from isomer_data.store.observations import ensure_indexes, write_observations

    ensure_indexes(db)
    step = 10_000  # times per batch
    started = time.perf_counter()
    for b in range(0, n_times, step):
        obs = [
            Observation(T0 + i, "self", p, float(i), "bench")
            for i in range(b, min(b + step, n_times))
            for p in paths
        ]
        write_observations(db, obs, origin="bench", batch=b // step)
    bucket_s = time.perf_counter() - started

    coll = db[NAIVE]
    started = time.perf_counter()
    batch = 10_000 // len(paths)
    for b in range(0, n_times, batch):
        coll.insert_many(
            [
                {"time": T0 + i, "vessel": "self", "path": p, "value": float(i), "source": "bench"}
                for i in range(b, min(b + batch, n_times))
                for p in paths
            ],
            ordered=False,
        )
    # Built after the load: on the embedded server that is ~3× quicker than inserting
    # under the index (≈4.4k against ≈14k documents/s); the query sees the same index.
    coll.create_index([("path", ASCENDING), ("time", ASCENDING)])
    naive_s = time.perf_counter() - started
    return bucket_s, naive_s


def run(quick: bool = False) -> list[Result]:
    from pymongo import MongoClient

    from isomer_data.database import EmbeddedMongo

    paths = _paths(5)
    # 5 × 100 000, not 5 × 200 000: the naive layout loads at ≈14k documents/s and a bare
    # find reads ≈23k/s on the embedded server, so 10⁶ would take ~2 min to load and ~2 min
    # for three baseline queries alone.
    n_times = 20_000 if quick else 100_000
    n_obs = n_times * len(paths)
    reps = 1 if quick else 3
    ours: list[tuple[float, float, float]] = []
    base: list[tuple[float, float, float]] = []
    order = [
        side
        for rep in range(reps)
        for side in (("baseline", "project") if rep % 2 == 0 else ("project", "baseline"))
    ]
    children = [_Child(side, paths, n_times) for side in order]
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            EmbeddedMongo(Path(tmp) / "db", cache_size="256M") as server,
        ):
            client = MongoClient(server.url)
            bucket_s, naive_s = _store(client[DB], paths, n_times)
            n_buckets = client[DB]["observations"].count_documents({})
            client.close()
            for child in children:
                (base if child.side == "baseline" else ours).append(child.measure(server.url))
    finally:
        for child in children:
            child.stop()
    ours_s = min(r[0] for r in ours)
    base_s = min(r[0] for r in base)
    ours_mem = max(r[1] for r in ours)
    base_mem = max(r[1] for r in base)
    return [
        Result(
            "query → xarray.Dataset, bucketed",
            "obs/s",
            n_obs / ours_s,
            n_obs / base_s,
            "pymongo find → pandas, one doc per obs",
            goal=1.0,
            notes=(
                f"{n_obs:,} obs, {len(paths)} paths × {n_times:,} times, 1 vessel, "
                f"{n_buckets:,} buckets; best of {reps}: {ours_s:.2f} s vs {base_s:.2f} s; "
                f"peak RSS +{ours_mem:.0f} MiB (baseline +{base_mem:.0f} MiB), VmHWM "
                f"of a spawn child above its RSS before the query; "
                f"write (untimed) {bucket_s:.1f} s buckets, {naive_s:.1f} s naive"
            ),
        ),
        Result(
            "query peak memory, bucketed → xarray",
            "MiB",
            ours_mem,
            base_mem,
            "pymongo find → pandas",
            higher_is_better=False,
            notes="VmHWM of a fresh spawn child (reset via clear_refs) minus its RSS before the query",
        ),
    ]
