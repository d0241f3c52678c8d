"""Fleet figures, each beside its baseline in the same run (issue 13, item 6).

1. **Bytes on the wire per stored observation**: the sample voyage ingested on a boat, every
   sync batch cut and encoded as the sender does (zstd when installed, else zlib), against
   the voyage's raw NMEA text gzip-compressed (level 6), both per observation stored. Goal:
   ≤ 1.0× the gzip bytes.
2. **Sync throughput**: the same boat's documents pushed by the real ``Sender`` to a loopback
   HTTP server that decodes and applies them with the shore's ``apply_batch``, against a
   plain upload of the same documents (read from the boat's database, one gzip-compressed
   JSON-lines body) to the same server, which inflates and inserts them into collections
   with the same indexes. Documents per second, both ending in a
   database. Goal: ≥ 0.5×. (The server is a plain ``http.server`` on 127.0.0.1, not the
   jupyter_server with its login: it measures the protocol and the shore's apply, the link
   being the same for both.)
3. **Dask gridding**: the same soundings gridded by ``grid_soundings`` and by
   ``grid_soundings_dask`` on a two-worker ``LocalCluster`` (processes, one thread each).
"""

from __future__ import annotations

import gzip
import json
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
from bson import json_util
from pymongo import MongoClient

from bench.results import Result


def _database():
    from isomer_data.database.embedded import EmbeddedMongo

    folder = Path(tempfile.mkdtemp(prefix="isomer-bench-fleet-"))
    return EmbeddedMongo(folder / "db", cache_size="256M")


def _ingest_voyage(url: str, name: str, copies: int) -> list[Path]:
    """The sample voyage ingested ``copies`` times, each as a file of its own (a first line
    that differs, so each copy is a distinct origin with buckets of its own)."""
    from isomer_data.cli.main import main
    from isomer_data.database.connection import url_with_database
    from isomer_data.samples import VOYAGE_NMEA

    folder = Path(tempfile.mkdtemp(prefix="isomer-bench-nmea-"))
    paths = []
    for copy in range(copies):
        path = folder / f"voyage-{copy}.nmea"
        path.write_bytes(f"# copy {copy}\n".encode() * bool(copy) + VOYAGE_NMEA.read_bytes())
        assert main(["ingest", str(path), "--db", url_with_database(url, name)]) == 0
        paths.append(path)
    return paths


def _stored_observations(db) -> int:
    from isomer_data.store.soundings import count_soundings

    total = 0
    for doc in db.observations.aggregate([{"$group": {"_id": None, "n": {"$sum": "$count"}}}]):
        total += int(doc["n"])
    return total + count_soundings(db)


class _Shore(BaseHTTPRequestHandler):
    db = None
    urn = "urn:mrn:imo:mmsi:235999999"

    def log_message(self, *args):
        return None

    def do_POST(self):  # noqa: N802 - http.server's name
        from isomer_data.services.sync import protocol
        from isomer_data.services.sync.shore import apply_batch

        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path.endswith("/sync/batches"):
            name = self.headers[protocol.HASH_HEADER]
            batch = protocol.decode(body, self.headers[protocol.CODEC_HEADER], name)
            reply = apply_batch(self.db, self.urn, name, batch)
        else:  # the baseline: gzip'd JSON lines, inserted as they are
            lines = gzip.decompress(body).splitlines()
            rows = [json_util.loads(line) for line in lines]
            plain = self.db.client["plain"]
            for collection in {row["c"] for row in rows}:
                docs = [row["d"] for row in rows if row["c"] == collection]
                for start in range(0, len(docs), 1000):
                    plain[collection].insert_many(docs[start : start + 1000], ordered=False)
            reply = {"inserted": len(rows)}
        data = json.dumps(reply, default=str).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _wire_and_throughput(quick: bool) -> list[Result]:
    from isomer_data.services.sync import protocol
    from isomer_data.services.sync.sender import Sender
    from isomer_data.store import observations as obs_store
    from isomer_data.store import soundings as snd_store
    from isomer_data.store import sync as seq_store

    copies = 2 if quick else 8
    with _database() as server:
        client = MongoClient(server.url, tz_aware=True)
        # 1. what the sender puts on the wire for one voyage, batch by batch (no network)
        (path,) = _ingest_voyage(server.url, "voyage", 1)
        voyage = client["voyage"]
        stored = _stored_observations(voyage)
        nmea = path.read_bytes()
        gzip_bytes = len(gzip.compress(nmea, 6))
        sender = Sender(voyage, "http://127.0.0.1:9", "-")
        sender.backfill()
        horizon = seq_store.horizon(voyage, wait=5)
        after, wire, batches = 0, 0, 0
        while (cut := sender.cut(after, horizon)) is not None:
            to, items = cut
            body, _name, _codec = protocol.encode(after, to, items)
            wire += len(body) + 300  # + the request line and headers, as _post sends them
            batches += 1
            after = to
        rows = [
            Result(
                "sync bytes on the wire per stored observation",
                "B/obs",
                wire / stored,
                gzip_bytes / stored,
                "raw NMEA gzip -6",
                higher_is_better=False,
                goal=1.0,
                notes=f"sample voyage: {stored} observations+soundings, {batches} batch(es), "
                f"format {protocol.VERSION}, codec {protocol.default_codec()}; "
                f"NMEA {len(nmea)} B → gzip {gzip_bytes} B, sync {wire} B",
            )
        ]
        _ingest_voyage(server.url, "boat", copies)
        boat = client["boat"]
        for name in ("shore", "plain"):
            obs_store.ensure_indexes(client[name])
            snd_store.ensure_indexes(client[name])
            seq_store.ensure_indexes(client[name])
        # 2. throughput over the same loopback link, both sides ending in a database
        _Shore.db = client["shore"]
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Shore)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        try:
            began = time.perf_counter()
            summary = Sender(boat, url, "-").run(settle=5)
            sync_seconds = time.perf_counter() - began
            # The baseline starts where the sender does: the rows in the boat's database.
            began = time.perf_counter()
            documents = []
            for collection in seq_store.SYNCED:
                documents += [{"c": collection, "d": doc} for doc in boat[collection].find()]
            lines = b"\n".join(json_util.dumps(doc).encode() for doc in documents)
            body = gzip.compress(lines, 6)
            import http.client

            conn = http.client.HTTPConnection("127.0.0.1", httpd.server_address[1], timeout=600)
            conn.request("POST", "/plain", body, {"Content-Length": str(len(body))})
            assert conn.getresponse().status == 200
            conn.close()
            plain_seconds = time.perf_counter() - began
        finally:
            httpd.shutdown()
            client.close()
        rows.append(
            Result(
                "sync throughput (boat → shore, applied)",
                "docs/s",
                summary.items / sync_seconds,
                len(documents) / plain_seconds,
                "one gzip JSON-lines upload, inserted",
                goal=0.5,
                notes=f"{summary.items} documents in {summary.batches} batches, "
                f"{summary.bytes_sent} B sent vs {len(body)} B; {copies} voyages, loopback",
            )
        )
    return rows


def _dask_gridding(quick: bool) -> list[Result]:
    from distributed import Client, LocalCluster

    from isomer_data.bathymetry import grid_soundings
    from isomer_data.bathymetry.distributed import grid_soundings_dask

    n = 200_000 if quick else 2_000_000
    rng = np.random.default_rng(1)
    lon = rng.uniform(0, 0.5, n)
    lat = rng.uniform(0, 0.5, n)
    vessel = rng.integers(0, 5, n)
    bias = np.array([0.0, 0.2, -0.1, 0.05, 0.0])[vessel]  # five sounders that disagree a little
    seabed = 5 + 40 * lon + 20 * lat
    frame = pd.DataFrame(
        {
            "time": pd.Timestamp("2026-05-01", tz="UTC"),
            "longitude": lon,
            "latitude": lat,
            "depth_below_transducer": seabed + bias + rng.normal(0, 0.1, n),
            "vessel": np.array([f"urn:mrn:imo:mmsi:23500000{i}" for i in range(5)])[vessel],
        }
    )
    bbox, res = (0, 0, 0.5, 0.5), 0.001  # 500 × 500 cells
    began = time.perf_counter()
    single = grid_soundings(frame, bbox, res)
    single_seconds = time.perf_counter() - began
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        began = time.perf_counter()
        spread = grid_soundings_dask(frame, bbox, res, scheduler=client)
        dask_seconds = time.perf_counter() - began
    gap = float(np.nanmax(np.abs(spread.depth.values - single.depth.values)))
    return [
        Result(
            "gridding all vessels' soundings, Dask 2 workers",
            "soundings/s",
            n / dask_seconds,
            n / single_seconds,
            "grid_soundings, one process",
            notes=f"{n} soundings, 500×500 cells, 5 vessels with biases; bias estimate "
            f"included; largest depth difference {gap} m",
        )
    ]


def run(quick: bool = False) -> list[Result]:
    return _wire_and_throughput(quick) + _dask_gridding(quick)
