"""File ingest: a whole log decoded as columns, stored in idempotent batches, resumable.

A log is decoded in full first (the batch decoder runs at several hundred thousand
sentences/s, and decoding from the start keeps the clock right for sentences that carry
only a time of day), then written in fixed-size batches. Each batch's buckets have ids
derived from the file and the batch number and a checkpoint is recorded after each, so a
killed ingest re-run skips what is durable and rewrites at most one batch — replacing,
never duplicating: the batch that may be partial is removed and written again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from isomer_data.ingest.dating import log_start
from isomer_data.ingest.fastpath import ObservationColumns, decode_batch
from isomer_data.ingest.framing import open_log
from isomer_data.ingest.observation import SELF, Observation
from isomer_data.ingest.report import IngestReport
from isomer_data.ingest.soundings import DEPTH_PATHS, POSITION, SoundingPairer
from pymongo.database import Database as MongoDatabase

from isomer_data.store import observations as obs_store
from isomer_data.store import reports
from isomer_data.store import soundings as snd_store

log = logging.getLogger(__name__)

DEFAULT_BATCH = 50_000


@dataclass
class FileIngestResult:
    path: str
    key: str
    report: IngestReport
    observations: int = 0
    soundings: int = 0
    batches: int = 0
    skipped_batches: int = 0
    already_done: bool = False
    extra: dict = field(default_factory=dict)

    def summary(self) -> str:
        if self.already_done:
            return f"{self.path}: already ingested (checkpoint {self.key[:12]}); nothing to do"
        return (
            f"{self.path}: stored {self.observations} observations in {self.batches} batches"
            f" ({self.skipped_batches} already stored before), {self.soundings} soundings"
        )


def column_values(cols: ObservationColumns, lo: int, hi: int) -> list:
    """The value of each row in [lo, hi): float, position dict or stored text/structure."""
    number = cols.number[lo:hi].tolist()
    lat = cols.latitude[lo:hi].tolist()
    lon = cols.longitude[lo:hi].tolist()
    text = cols.text[lo:hi].tolist()
    out = []
    for x, la, lo_, tx in zip(number, lat, lon, text, strict=True):
        if tx is not None:
            out.append(tx)
        elif la == la:
            out.append({"latitude": la, "longitude": lo_})
        else:
            out.append(x)
    return out


def pair_soundings(cols: ObservationColumns, vessel: str, max_gap: float = 3.0) -> list:
    """Feed only own-vessel depth and position rows to the pairer (the rest cannot matter)."""
    wanted = [i for i, p in enumerate(cols.paths) if p in DEPTH_PATHS or p == POSITION]
    if vessel not in cols.vessels or not wanted:
        return []
    rows = np.flatnonzero(np.isin(cols.path, wanted) & (cols.vessel == cols.vessels.index(vessel)))
    pairer = SoundingPairer(vessel=vessel, max_gap=max_gap)
    out = []
    paths, sources, vessels = cols.paths, cols.sources, cols.vessels
    for i in rows.tolist():
        if cols.latitude[i] == cols.latitude[i]:
            value = {"latitude": float(cols.latitude[i]), "longitude": float(cols.longitude[i])}
        elif type(cols.text[i]) is dict:  # a fix decoded per line (TAG block, Seatalk…)
            value = cols.text[i]
        else:
            value = float(cols.number[i])
        o = Observation(
            float(cols.time[i]),
            vessels[cols.vessel[i]],
            paths[cols.path[i]],
            value,
            sources[cols.source[i]],
        )
        out.extend(pairer.feed(o))
    out.extend(pairer.flush())
    return out


def ingest_log(
    db: MongoDatabase,
    path: str | Path,
    *,
    vessel: str = SELF,
    source: str | None = None,
    resume: bool = True,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int, int], None] | None = None,
    date: float | None = None,
    start: float | None = None,
) -> FileIngestResult:
    """Decode and store one NMEA/AIS log; safe to interrupt and run again.

    Times of day before the log's first date (or in a log with none) are dated by the
    rules of :mod:`isomer_data.ingest.dating`: ``start``/``date``, a later date in the
    file, the file's modification time, the time of the ingest. Each stored value keeps
    the rule's name (``time_source``) and the report counts observations per rule.

    Parameters
    ----------
    db : pymongo Database
    path : path of a plain or gzipped log (any framing the decoder knows)
    vessel : context of own-vessel data, ``"self"`` by default
    source : source label prefix; defaults to the file's stem
    resume : skip batches a checkpoint says are stored (``False``: rewrite them all)
    batch_size : observations per durable batch
    on_batch : called as ``on_batch(done, total)`` after each batch (progress bars)
    date : POSIX seconds of the midnight (UTC) of the day the log starts (``--date``)
    start : POSIX seconds of the log's start (``--start``)
    """
    path = Path(path)
    key = reports.file_key(path, vessel)
    checkpoint = reports.get_checkpoint(db, key) if resume else None
    if checkpoint and checkpoint.get("finished"):
        report = IngestReport()
        result = FileIngestResult(str(path), key, report, already_done=True)
        result.extra["previous"] = checkpoint
        return result
    if checkpoint:
        batch_size = int(checkpoint.get("batch_size", batch_size))
    obs_store.ensure_indexes(db)
    snd_store.ensure_indexes(db)

    report = IngestReport()
    with open_log(path) as handle:
        lines = handle.readlines() if hasattr(handle, "readlines") else list(handle)
    from isomer_data.ingest.n2k.formats import sniff

    if sniff(lines[:50]):  # NMEA 2000 (canboat, Actisense ASCII, YDRAW, candump)
        from isomer_data.ingest.n2k.decoder import decode_batch as decode_n2k

        cols = decode_n2k(
            lines,
            vessel=vessel,
            source=source or path.stem,
            report=report,
            base_time=path.stat().st_mtime,  # dates times of day until a dated PGN
        )
    else:
        first, rule = log_start(
            lines, date=date, start=start, mtime=path.stat().st_mtime, now=time.time()
        )
        cols = decode_batch(
            lines,
            vessel=vessel,
            source=source or path.stem,
            report=report,
            start=first,
            start_source=rule,
        )
    del lines
    n = len(cols)
    total = max(1, math.ceil(n / batch_size)) if n else 0
    done = int(checkpoint.get("batches_done", 0)) if checkpoint else 0
    result = FileIngestResult(
        str(path), key, report, batches=total, skipped_batches=min(done, total)
    )
    reports.set_checkpoint(
        db,
        key,
        path=str(path),
        batch_size=batch_size,
        batches_total=total,
        finished=False,
        **({} if checkpoint else {"batches_done": 0}),
    )
    if not resume:
        obs_store.delete_batch(db, key)
    vessels, paths, sources = cols.vessels, cols.paths, cols.sources

    def store(b: int, docs: list[dict]) -> int:
        if checkpoint and b == done:
            # The run that was killed may have stored part of this batch.
            obs_store.delete_batch(db, key, b)
        stored = obs_store.write_buckets(db, docs, fresh=True)
        reports.set_checkpoint(db, key, batches_done=b + 1)
        return stored

    # The database works in its own process: while it stores batch b, this process builds
    # batch b + 1 and pairs the soundings, instead of waiting on the socket.
    with ThreadPoolExecutor(2, thread_name_prefix="ingest") as pool:
        paired = pool.submit(pair_soundings, cols, vessel)
        writing = None
        for b in range(done, total):
            lo, hi = b * batch_size, min(n, (b + 1) * batch_size)
            docs = obs_store.buckets_from_columns(
                cols.time[lo:hi],
                cols.vessel[lo:hi],
                vessels,
                cols.path[lo:hi],
                paths,
                cols.source[lo:hi],
                sources,
                cols.number[lo:hi],
                cols.latitude[lo:hi],
                cols.longitude[lo:hi],
                cols.text[lo:hi],
                origin=key,
                batch=b,
                time_source=cols.time_source[lo:hi],
                time_sources=cols.time_sources,
            )
            if writing is not None:
                result.observations += writing.result()
                if on_batch:
                    on_batch(b, total)
            writing = pool.submit(store, b, docs)
        if writing is not None:
            result.observations += writing.result()
            if on_batch:
                on_batch(total, total)
        soundings = paired.result()
    for i in range(0, len(soundings), batch_size):
        result.soundings += snd_store.write_soundings(
            db, soundings[i : i + batch_size], origin=key, batch=i // batch_size
        )
    summary = report.to_dict()
    reports.set_checkpoint(db, key, finished=True, report=summary)
    reports.save_report(
        db,
        str(path),
        summary,
        kind="file",
        key=key,
        stored_observations=result.observations,
        soundings=result.soundings,
    )
    return result
