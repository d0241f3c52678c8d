"""End-to-end ingest into the embedded database, the storage layout, and live latency.

* File ingest (decode, pair soundings, write buckets, checkpoints) in sentences/s against
  a bare ``pynmea2.parse()`` loop over the same lines, in the same run. Goal ≥ 0.25×.
* NMEA 2000 file ingest (a canboat plain-text log of ``bench.n2k_decode``'s bus: format
  detection, decoding, mapping, writing buckets) in PGNs/s against the ``nmea2000``
  package's decoder loop over the same lines (decoding only), in the same run.
* Storage layout: bucketed observations against one document per observation (the naive
  layout), insert + read back of the same observations.
* Realtime: a sentence written to a serial pseudo-terminal until the live state has it,
  p50/p99 over a few hundred sentences. Goal p99 < 20 ms.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from isomer_data.ingest.framing import checksum
from isomer_data.ingest.pipeline import ingest_log
from isomer_data.ingest.worker import IngestWorker, LiveSink
from pymongo import MongoClient

from bench.ingest_parse import pynmea2_loop, workload
from bench.n2k_decode import workload as n2k_workload
from bench.results import Result
from isomer_data.database import EmbeddedMongo
from isomer_data.services.live.state import LiveState
from isomer_data.store.observations import query_observations


def _file_ingest(db, lines: list[str], tmp: Path) -> tuple[float, float, int]:
    path = tmp / "voyage.nmea"
    path.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    pynmea2_loop(lines)
    bare = len(lines) / (time.perf_counter() - started)
    started = time.perf_counter()
    result = ingest_log(db, path, resume=False)
    ours = len(lines) / (time.perf_counter() - started)
    return ours, bare, result.observations


def _n2k_ingest(db, lines: list[str], tmp: Path) -> tuple[float, float, int]:
    from bench.n2k_decode import library_loop

    path = tmp / "voyage.n2k.log"
    path.write_text("\n".join(lines) + "\n")
    library_loop(lines[:200])  # imports and codec templates, outside the timing
    started = time.perf_counter()
    library_loop(lines)
    bare = len(lines) / (time.perf_counter() - started)
    started = time.perf_counter()
    result = ingest_log(db, path, resume=False)
    ours = len(lines) / (time.perf_counter() - started)
    return ours, bare, result.observations


def _layouts(db, n_obs: int) -> tuple[float, float]:
    """Insert + read back n observations: buckets vs one document each."""
    from isomer_data.ingest.observation import Observation

    from isomer_data.store.observations import write_observations

    t0 = 1.7e9
    paths = [f"environment.p{i}" for i in range(10)]
    obs = [
        Observation(t0 + i // 10, "self", paths[i % 10], float(i), "bench") for i in range(n_obs)
    ]

    started = time.perf_counter()
    for b in range(0, n_obs, 10_000):
        write_observations(db, obs[b : b + 10_000], origin="bench", batch=b)
    frame = query_observations(db, paths="environment.*")
    assert len(frame) == n_obs
    bucketed = n_obs / (time.perf_counter() - started)

    started = time.perf_counter()
    coll = db.naive
    for b in range(0, n_obs, 1000):
        coll.insert_many(
            [
                {
                    "time": o.time,
                    "vessel": o.vessel,
                    "path": o.path,
                    "value": o.value,
                    "source": o.source,
                }
                for o in obs[b : b + 1000]
            ],
            ordered=False,
        )
    rows = list(coll.find({}, {"_id": 0}))
    assert len(rows) == n_obs
    naive = n_obs / (time.perf_counter() - started)
    return bucketed, naive


def _serial_latency(samples: int) -> tuple[float, float]:
    async def measure() -> list[float]:
        master, slave = os.openpty()
        live = LiveState()
        arrived: dict[float, float] = {}

        def listener(batch):
            now = time.perf_counter()
            for o in batch:
                if o.path == "environment.depth.belowTransducer":
                    arrived.setdefault(o.value, now)

        live.listeners.append(listener)
        worker = IngestWorker(f"serial://{os.ttyname(slave)}?baud=38400", sinks=[LiveSink(live)])
        task = asyncio.create_task(worker.run())
        while worker.source.state != "connected":
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        rmc = "GPRMC,120000.00,A,5048.0000,N,00118.0000,W,6.0,135.0,010524,,"
        os.write(master, f"${rmc}*{checksum(rmc):02X}\r\n".encode())
        latencies = []
        for i in range(samples):
            depth = round(1.0 + i * 0.1, 1)
            body = f"SDDBT,,f,{depth:.1f},M,,F"
            sent = time.perf_counter()
            os.write(master, f"${body}*{checksum(body):02X}\r\n".encode())
            while depth not in arrived and time.perf_counter() - sent < 1:
                await asyncio.sleep(0.0005)
            latencies.append((arrived.get(depth, float("nan")) - sent) * 1000)
            await asyncio.sleep(0.01)
        task.cancel()
        os.close(master)
        os.close(slave)
        return latencies

    lat = np.array(asyncio.run(measure()))
    return float(np.nanpercentile(lat, 50)), float(np.nanpercentile(lat, 99))


def run(quick: bool = False) -> list[Result]:
    lines = workload(1 if quick else 6)
    n_obs = 20_000 if quick else 200_000
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmbeddedMongo(Path(tmp) / "db", cache_size="256M") as server,
    ):
        client = MongoClient(server.url)
        db = client.bench
        ours, bare, stored = _file_ingest(db, lines, Path(tmp))
        n2k_lines = n2k_workload(300 if quick else 3000)
        n2k, n2k_bare, n2k_stored = _n2k_ingest(client.bench_n2k, n2k_lines, Path(tmp))
        bucketed, naive = _layouts(client.bench_layout, n_obs)
        client.close()
    p50, p99 = _serial_latency(100 if quick else 500)
    return [
        Result(
            "file ingest end to end into embedded DB",
            "sentences/s",
            ours,
            bare,
            "pynmea2.parse loop (parse only)",
            goal=0.25,
            notes=f"{len(lines):,} lines, {stored:,} observations stored",
        ),
        Result(
            "NMEA 2000 file ingest end to end into embedded DB",
            "PGNs/s",
            n2k,
            n2k_bare,
            "nmea2000.NMEA2000Decoder loop (decode only)",
            notes=f"{len(n2k_lines):,} canboat plain lines, {n2k_stored:,} observations stored",
        ),
        Result(
            "observations insert + read back, bucketed",
            "obs/s",
            bucketed,
            naive,
            "one document per observation",
            notes=f"{n_obs:,} observations",
        ),
        Result("serial pty → live state latency p50", "ms", p50, notes="38400 baud pty"),
        Result("serial pty → live state latency p99", "ms", p99, notes="goal < 20 ms"),
    ]
