"""Depth soundings, one document each: the raw material of the crowdsourced depth map.

A sounding is already paired with its position (that needs stream order), so it is stored
as a GeoJSON Point under a 2dsphere index. Its ``_id`` is derived from vessel, source and
time, so storing the same sounding twice is a no-op: re-running an ingest is safe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import pandas as pd
from pymongo import ASCENDING, UpdateOne
from pymongo.database import Database as MongoDatabase

from isomer_data.store.observations import _to_seconds

COLLECTION = "soundings"
FIELDS = (
    "depth_below_transducer",
    "depth_below_surface",
    "depth_below_keel",
    "transducer_offset",
)


def ensure_indexes(db: MongoDatabase) -> None:
    existing = {i["name"] for i in db[COLLECTION].list_indexes()}
    if "location_2dsphere" not in existing:
        db[COLLECTION].create_index([("location", "2dsphere")], name="location_2dsphere")
    if "vessel_time" not in existing:
        db[COLLECTION].create_index(
            [("vessel", ASCENDING), ("time", ASCENDING)], name="vessel_time"
        )
    if "time" not in existing:
        db[COLLECTION].create_index([("time", ASCENDING)], name="time")


def _sounding_id(vessel: str, source: str, time: float) -> str:
    return hashlib.blake2b(f"{vessel}\x1f{source}\x1f{time!r}".encode(), digest_size=16).hexdigest()


def document(sounding) -> dict:
    return {
        "_id": _sounding_id(sounding.vessel, sounding.source, sounding.time),
        "time": datetime.fromtimestamp(sounding.time, UTC),
        "t": sounding.time,
        "location": {"type": "Point", "coordinates": [sounding.longitude, sounding.latitude]},
        "vessel": sounding.vessel,
        "source": sounding.source,
        **{field: getattr(sounding, field) for field in FIELDS},
    }


def write_soundings(db: MongoDatabase, soundings: Iterable) -> int:
    docs = [document(s) for s in soundings]
    if not docs:
        return 0
    db[COLLECTION].bulk_write(
        [UpdateOne({"_id": d["_id"]}, {"$setOnInsert": d}, upsert=True) for d in docs],
        ordered=False,
    )
    return len(docs)


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
        Inclusive time range.
    vessels : str or list of str, optional

    Returns
    -------
    pandas.DataFrame
        ``time`` (datetime64[ns, UTC]), ``longitude``, ``latitude``,
        ``depth_below_transducer``, ``depth_below_surface``, ``depth_below_keel``,
        ``transducer_offset``, ``vessel``, ``source``.
    """
    query: dict = {}
    if bbox is not None:
        west, south, east, north = map(float, bbox)
        query["location"] = {
            "$geoWithin": {
                "$geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[west, south], [east, south], [east, north], [west, north], [west, south]]
                    ],
                }
            }
        }
    t0, t1 = _to_seconds(start), _to_seconds(end)
    if t0 is not None or t1 is not None:
        query["t"] = {}
        if t0 is not None:
            query["t"]["$gte"] = t0
        if t1 is not None:
            query["t"]["$lte"] = t1
    if vessels is not None:
        query["vessel"] = {"$in": [vessels] if isinstance(vessels, str) else list(vessels)}
    rows = [
        {
            "t": d["t"],
            "longitude": d["location"]["coordinates"][0],
            "latitude": d["location"]["coordinates"][1],
            **{f: d.get(f) for f in FIELDS},
            "vessel": d["vessel"],
            "source": d["source"],
        }
        for d in db[COLLECTION].find(query, {"_id": 0, "time": 0}, batch_size=5000)
    ]
    columns = ["t", "longitude", "latitude", *FIELDS, "vessel", "source"]
    frame = pd.DataFrame(rows, columns=columns)
    for field in FIELDS:
        frame[field] = pd.to_numeric(frame[field], errors="coerce").astype(float)
    frame = frame.sort_values("t", kind="stable", ignore_index=True)
    frame.insert(0, "time", pd.to_datetime(frame.pop("t"), unit="s", utc=True))
    return frame
