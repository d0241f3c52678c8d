"""Depth soundings, bucketed: the raw material of the crowdsourced depth map.

A sounding is a depth already paired with its position (that needs stream order). They are
stored like observations, in buckets per vessel, source and hour with the values in
parallel arrays and the track as GeoJSON ``geometry`` under a 2dsphere index: the embedded
server indexes a geometry in about a millisecond, so one document per sounding would cap a
log ingest at ≈1k soundings/s, while a bucket costs one geometry for thousands of
soundings. A bounding-box query uses the index to find the buckets, then cuts exactly.

Bucket ids come from the origin (the file's key) and batch, so writing again replaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from pymongo import ASCENDING, ReplaceOne
from pymongo.database import Database as MongoDatabase

from isomer_data.store import sync
from isomer_data.store.collections import SOUNDINGS
from isomer_data.store.observations import BUCKET_SECONDS, _bucket_id, _to_seconds, track_geometry

COLLECTION = SOUNDINGS
FIELDS = (
    "depth_below_transducer",
    "depth_below_surface",
    "depth_below_keel",
    "transducer_offset",
)


def ensure_indexes(db: MongoDatabase) -> None:
    existing = {i["name"] for i in db[COLLECTION].list_indexes()}
    if "geometry_2dsphere" not in existing:
        db[COLLECTION].create_index([("geometry", "2dsphere")], name="geometry_2dsphere")
    if "vessel_start" not in existing:
        db[COLLECTION].create_index(
            [("vessel", ASCENDING), ("start", ASCENDING)], name="vessel_start"
        )
    if "start" not in existing:
        db[COLLECTION].create_index([("start", ASCENDING)], name="start")


def _nullable(values: np.ndarray) -> list:
    return [None if v != v else v for v in values.tolist()]


def write_soundings(
    db: MongoDatabase, soundings: Iterable, *, origin: str = "direct", batch: int = 0
) -> int:
    """Store :class:`ingest.observation.Sounding` records; returns how many."""
    rows = list(soundings)
    if not rows:
        return 0
    frame = pd.DataFrame(
        {
            "t": [s.time for s in rows],
            "lon": [s.longitude for s in rows],
            "lat": [s.latitude for s in rows],
            **{f: [getattr(s, f) for s in rows] for f in FIELDS},
            "vessel": [s.vessel for s in rows],
            "source": [s.source for s in rows],
        }
    )
    for f in FIELDS:
        frame[f] = pd.to_numeric(frame[f], errors="coerce").astype(float)
    frame["hour"] = (frame["t"] // BUCKET_SECONDS).astype(np.int64)
    docs = []
    for (vessel, source, hour), group in frame.groupby(["vessel", "source", "hour"], sort=True):
        group = group.sort_values("t", kind="stable")
        t = group["t"].to_numpy(float)
        doc = {
            "_id": _bucket_id(origin, batch, vessel, "soundings", source, int(hour)),
            "vessel": vessel,
            "source": source,
            "origin": origin,
            "batch": batch,
            "start": datetime.fromtimestamp(float(t[0]), UTC),
            "end": datetime.fromtimestamp(float(t[-1]), UTC),
            "count": len(t),
            "t": t.tolist(),
            "lon": group["lon"].tolist(),
            "lat": group["lat"].tolist(),
            **{f: _nullable(group[f].to_numpy()) for f in FIELDS},
        }
        doc["geometry"] = track_geometry(doc["lon"], doc["lat"])
        docs.append(doc)
    with sync.reserve(db, len(docs)) as first:
        sync.stamp(docs, first)
        db[COLLECTION].bulk_write(
            [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs], ordered=False
        )
    return len(rows)


def count_soundings(db: MongoDatabase) -> int:
    result = list(db[COLLECTION].aggregate([{"$group": {"_id": None, "n": {"$sum": "$count"}}}]))
    return int(result[0]["n"]) if result else 0


def query_soundings(
    db: MongoDatabase,
    bbox: Sequence[float] | None = None,
    start=None,
    end=None,
    vessels: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Soundings as a DataFrame sorted by time.

    Parameters
    ----------
    bbox : (west, south, east, north), optional
        Degrees, EPSG:4326.
    start, end : optional
        Inclusive time range (datetime, ISO string or POSIX seconds; naive is UTC).
    vessels : str or list of str, optional

    Returns
    -------
    pandas.DataFrame
        ``time`` (datetime64[ns, UTC]), ``longitude``, ``latitude``,
        ``depth_below_transducer``, ``depth_below_surface``, ``depth_below_keel``,
        ``transducer_offset`` (m, NaN where unknown), ``vessel``, ``source``.
    """
    query: dict = {}
    if bbox is not None:
        west, south, east, north = map(float, bbox)
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        query["geometry"] = {
            "$geoIntersects": {"$geometry": {"type": "Polygon", "coordinates": [ring]}}
        }
    t0, t1 = _to_seconds(start), _to_seconds(end)
    if t0 is not None:
        query["end"] = {"$gte": datetime.fromtimestamp(t0, UTC)}
    if t1 is not None:
        query["start"] = {"$lte": datetime.fromtimestamp(t1, UTC)}
    if vessels is not None:
        query["vessel"] = {"$in": [vessels] if isinstance(vessels, str) else list(vessels)}
    parts = []
    for d in db[COLLECTION].find(query, {"_id": 0, "geometry": 0}, batch_size=200):
        part = pd.DataFrame(
            {
                "t": np.asarray(d["t"], float),
                "longitude": np.asarray(d["lon"], float),
                "latitude": np.asarray(d["lat"], float),
                **{
                    f: np.asarray([np.nan if v is None else v for v in d[f]], float) for f in FIELDS
                },
            }
        )
        part["vessel"] = d["vessel"]
        part["source"] = d["source"]
        parts.append(part)
    columns = ["t", "longitude", "latitude", *FIELDS, "vessel", "source"]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    keep = np.ones(len(frame), dtype=bool)
    if bbox is not None:
        keep &= frame["longitude"].between(west, east).to_numpy()
        keep &= frame["latitude"].between(south, north).to_numpy()
    if t0 is not None:
        keep &= (frame["t"] >= t0).to_numpy()
    if t1 is not None:
        keep &= (frame["t"] <= t1).to_numpy()
    frame = frame[keep].sort_values("t", kind="stable", ignore_index=True)
    for f in ("t", "longitude", "latitude", *FIELDS):
        frame[f] = frame[f].astype(float)
    frame.insert(0, "time", pd.to_datetime(frame.pop("t"), unit="s", utc=True))
    return frame
