"""Observations in MongoDB as buckets: one document per vessel, path, source and hour.

One document per observation costs a round trip of index work per value; on the embedded
server that is ≈12k documents/s at best, while a bucket carries thousands of values in
arrays (MongoDB's own bucket pattern, which real MongoDB's time-series collections apply
internally). Numbers go in ``v``, positions in ``lat``/``lon`` (their footprint goes
to the ``tracks`` collection under a 2dsphere index), anything else (strings, structured values) in ``x``.

Writes are idempotent: a bucket's ``_id`` is derived from where its values came from
(``origin`` and batch number), so writing the same batch twice replaces, never duplicates.
That is what makes a killed file ingest safe to run again.

Each bucket also holds one ``time_source``, the rule that dated its values (``"gps"``,
``"given"``, ``"file-date"``, ``"mtime"``, ``"ingest-time"``, ``"receive-time"``,
``"logger"``; see :mod:`isomer_data.ingest.dating`), part of the bucket's key, so
selecting GPS-dated data is a filter on an indexed-by-bucket field, not a scan of values.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from pymongo import ASCENDING, ReplaceOne
from pymongo.database import Database as MongoDatabase

from isomer_data.store import sync
from isomer_data.store.collections import OBSERVATIONS
from isomer_data.store.collections import TRACKS as _TRACKS

COLLECTION = OBSERVATIONS
# Footprints of position buckets, under the 2dsphere index. Kept apart because the embedded
# server checks every insert into a collection with a 2dsphere index (≈3× slower writes),
# and only position buckets have a place.
TRACKS = _TRACKS
BUCKET_SECONDS = 3600.0
KIND_NUMBER, KIND_POSITION, KIND_OTHER = "number", "position", "other"


def ensure_indexes(db: MongoDatabase) -> None:
    existing = {i["name"] for i in db[COLLECTION].list_indexes()}
    wanted = {
        "vessel_path_start": [("vessel", ASCENDING), ("path", ASCENDING), ("start", ASCENDING)],
    }
    for name, keys in wanted.items():
        if name not in existing:
            db[COLLECTION].create_index(keys, name=name)
    tracks = {i["name"] for i in db[TRACKS].list_indexes()}
    if "geometry_2dsphere" not in tracks:
        db[TRACKS].create_index([("geometry", "2dsphere")], name="geometry_2dsphere")
    if "vessel_start" not in tracks:
        db[TRACKS].create_index([("vessel", ASCENDING), ("start", ASCENDING)], name="vessel_start")


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _origin_prefix(origin: str, batch: int | None = None) -> str:
    head = hashlib.blake2b(origin.encode(), digest_size=8).hexdigest()
    return f"{head}." if batch is None else f"{head}.{batch:08d}."


def _bucket_id(
    origin: str,
    batch: int,
    vessel: str,
    path: str,
    source: str,
    hour: int,
    time_source: str | None = None,
) -> str:
    """Origin and batch lead the id, so one batch is a range of the primary index.

    That spares a secondary index on (origin, batch), which the embedded server would
    update on every insert only to serve the rare resume.
    """
    key = f"{vessel}\x1f{path}\x1f{source}\x1f{hour}"
    if time_source:
        key += f"\x1f{time_source}"
    tail = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    return _origin_prefix(origin, batch) + tail


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def buckets_from_rows(
    times: np.ndarray,
    vessels: Sequence[str],
    paths: Sequence[str],
    sources: Sequence[str],
    values: Sequence,
    *,
    origin: str,
    batch: int,
    time_sources: Sequence[str | None] | None = None,
) -> list[dict]:
    """Group parallel rows into bucket documents (rows need not be sorted)."""
    frame = pd.DataFrame(
        {
            "t": np.asarray(times, dtype=float),
            "vessel": vessels,
            "path": paths,
            "source": sources,
            "value": values,
            "time_source": [""] * len(vessels)
            if time_sources is None
            else [x or "" for x in time_sources],
        }
    )
    if frame.empty:
        return []
    frame["hour"] = (frame["t"] // BUCKET_SECONDS).astype(np.int64)
    docs = []
    for (vessel, path, source, hour, time_source), group in frame.groupby(
        ["vessel", "path", "source", "hour", "time_source"], sort=True
    ):
        group = group.sort_values("t", kind="stable")
        t = group["t"].to_numpy()
        vals = group["value"].tolist()
        doc = {
            "_id": _bucket_id(origin, batch, vessel, path, source, int(hour), time_source),
            "vessel": vessel,
            "path": path,
            "source": source,
            **({"time_source": time_source} if time_source else {}),
            "origin": origin,
            "batch": batch,
            "start": _dt(float(t[0])),
            "end": _dt(float(t[-1])),
            "count": len(t),
            "t": t.tolist(),
        }
        first = vals[0]
        if isinstance(first, dict) and "latitude" in first and "longitude" in first:
            doc["kind"] = KIND_POSITION
            doc["lat"] = [float(v["latitude"]) for v in vals]
            doc["lon"] = [float(v["longitude"]) for v in vals]
            doc["footprint"] = track_geometry(doc["lon"], doc["lat"])
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
            doc["kind"] = KIND_NUMBER
            doc["v"] = [_jsonable(float(v)) for v in vals]
        else:
            doc["kind"] = KIND_OTHER
            doc["x"] = [_jsonable(v) for v in vals]
        docs.append(doc)
    return docs


def track_geometry(lon: list[float], lat: list[float]) -> dict:
    """The bucket's footprint for the 2dsphere index: the bounding box of its positions.

    The index only has to find the buckets that may touch an area; the exact cut is made on
    the arrays after reading. A box costs the embedded server a fraction of what indexing a
    track of thousands of vertices does, and unlike a thinned track it never misses a
    point. (A MultiPoint would be the natural choice, but SecantusDB 0.7.0b3 fails to
    index one.) Tiny boxes are padded so a vessel at anchor still has an area.
    """
    west, east = min(lon), max(lon)
    south, north = min(lat), max(lat)
    if east - west < 1e-6:
        west, east = west - 5e-7, east + 5e-7
    if north - south < 1e-6:
        south, north = south - 5e-7, north + 5e-7
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def buckets_from_columns(
    time: np.ndarray,
    vessel: np.ndarray,
    vessels: Sequence[str],
    path: np.ndarray,
    paths: Sequence[str],
    source: np.ndarray,
    sources: Sequence[str],
    number: np.ndarray,
    latitude: np.ndarray,
    longitude: np.ndarray,
    text: np.ndarray,
    *,
    origin: str,
    batch: int,
    time_source: np.ndarray | None = None,
    time_sources: Sequence[str] = (),
) -> list[dict]:
    """:func:`buckets_from_rows` for columnar input (the batch decoder's), without pandas.

    Codes index the name lists; ``number``/``latitude``/``longitude`` are NaN and ``text``
    None where a row holds another kind of value; ``time_source`` codes index
    ``time_sources`` (-1: not known). One stable sort by (vessel, path, source, hour, time
    source, time) and the group boundaries fall out of the sorted keys.
    """
    n = len(time)
    if n == 0:
        return []
    hour = (time // BUCKET_SECONDS).astype(np.int64)
    rule = np.full(n, -1, dtype=np.int64) if time_source is None else time_source.astype(np.int64)
    order = np.lexsort((time, rule, hour, source, path, vessel))
    keys = np.stack([vessel[order], path[order], source[order], hour[order], rule[order]])
    change = np.flatnonzero(np.any(keys[:, 1:] != keys[:, :-1], axis=0)) + 1
    bounds = np.concatenate([[0], change, [n]])
    t_sorted, num_sorted = time[order], number[order]
    lat_sorted, lon_sorted, text_sorted = latitude[order], longitude[order], text[order]
    docs = []
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        v, p, src, h, r = (int(x) for x in keys[:, a])
        t = t_sorted[a:b]
        dated = time_sources[r] if r >= 0 else None
        doc = {
            "_id": _bucket_id(origin, batch, vessels[v], paths[p], sources[src], h, dated),
            "vessel": vessels[v],
            "path": paths[p],
            "source": sources[src],
            **({"time_source": dated} if dated else {}),
            "origin": origin,
            "batch": batch,
            "start": _dt(float(t[0])),
            "end": _dt(float(t[-1])),
            "count": b - a,
            "t": t.tolist(),
        }
        texts = text_sorted[a:b]
        has_text = np.fromiter((x is not None for x in texts), bool, b - a)
        lat = lat_sorted[a:b]
        if not has_text.any() and not np.isnan(lat).any():
            doc["kind"] = KIND_POSITION
            doc["lat"] = lat.tolist()
            doc["lon"] = lon_sorted[a:b].tolist()
            doc["footprint"] = track_geometry(doc["lon"], doc["lat"])
        elif not has_text.any() and np.isnan(lat).all():
            doc["kind"] = KIND_NUMBER
            doc["v"] = [None if x != x else x for x in num_sorted[a:b].tolist()]
        else:
            doc["kind"] = KIND_OTHER
            values = []
            for x, la, lo, tx in zip(
                num_sorted[a:b].tolist(),
                lat.tolist(),
                lon_sorted[a:b].tolist(),
                texts.tolist(),
                strict=True,
            ):
                if tx is not None:
                    values.append(tx)
                elif la == la:
                    values.append({"latitude": la, "longitude": lo})
                else:
                    values.append(None if x != x else x)
            doc["x"] = values
        docs.append(doc)
    return docs


def write_buckets(db: MongoDatabase, docs: list[dict], *, fresh: bool = False) -> int:
    """Store bucket documents; returns the number of observations they carry.

    ``fresh=True`` says no document of these ids can exist yet (the caller removed its
    batch first), so a plain insert does instead of upserts — cheaper on the server.
    """
    if not docs:
        return 0
    with sync.reserve(db, len(docs)) as first:
        sync.stamp(docs, first)
        db[COLLECTION].bulk_write(
            [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs], ordered=False
        )
    return sum(d["count"] for d in docs)


def delete_batch(db: MongoDatabase, origin: str, batch: int | None = None) -> None:
    """Remove what one batch (or, with ``batch=None``, one origin) stored."""
    prefix = _origin_prefix(origin, batch)
    query = {"_id": {"$gte": prefix, "$lt": prefix + "~"}}
    for name in (COLLECTION, TRACKS):
        # Tombstones first, so the deletion reaches the shore (store/sync.py).
        ids = [d["_id"] for d in db[name].find(query, {"_id": 1})]
        sync.write_tombstones(db, name, ids)
        db[name].delete_many(query)


def write_observations(
    db: MongoDatabase, observations: Iterable, *, origin: str, batch: int
) -> int:
    """Store observation objects (``.time``, ``.vessel``, ``.path``, ``.value``, ``.source``
    and, when they have it, ``.time_source``)."""
    obs = list(observations)
    if not obs:
        return 0
    docs = buckets_from_rows(
        np.fromiter((o.time for o in obs), float, len(obs)),
        [o.vessel for o in obs],
        [o.path for o in obs],
        [o.source for o in obs],
        [o.value for o in obs],
        origin=origin,
        batch=batch,
        time_sources=[getattr(o, "time_source", None) for o in obs],
    )
    return write_buckets(db, docs)


def resolve_paths(
    db: MongoDatabase | None, patterns: str | Sequence[str], within: dict | None = None
) -> list[str]:
    """The stored paths the patterns name: exact ones as given, wildcards matched here.

    A wildcard is never sent to the database as a regular expression (``.*`` per star
    backtracks: one request held the embedded server for minutes). The database only
    lists the distinct stored paths that start with the pattern's literal prefix (an
    anchored literal, no quantifier) and :class:`~isomer_data.wildcards.Wildcard` picks.
    ``within`` narrows the listing (the query's vessel and time clauses). Raises
    :class:`~isomer_data.wildcards.WildcardError` for a pattern beyond the limits.
    """
    from isomer_data.wildcards import compile_patterns

    wildcards = compile_patterns(patterns)
    found = [w.pattern for w in wildcards if w.exact]
    wild = [w for w in wildcards if not w.exact]
    if wild:
        if db is None:
            raise TypeError("resolving path wildcards needs the database")
        prefixes = {w.prefix for w in wild}
        clauses = [within] if within else []
        if "" not in prefixes:
            regex = "|".join(re.escape(p) for p in sorted(prefixes))
            clauses.append({"path": {"$regex": f"^(?:{regex})"}})
        query = {"$and": clauses} if len(clauses) > 1 else (clauses[0] if clauses else {})
        stored = db[COLLECTION].distinct("path", query)
        found += [p for p in stored if isinstance(p, str) and any(w.matches(p) for w in wild)]
    return sorted(set(found))


def _to_seconds(value) -> float | None:
    """POSIX seconds from seconds, a datetime or an ISO 8601 text; ValueError if not a time."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            raise ValueError(f"{str(value)[:64]!r} is not an ISO 8601 time") from None
        if ts is pd.NaT:
            raise ValueError(f"{str(value)[:64]!r} is not an ISO 8601 time")
        if ts.tzinfo is None:
            ts = ts.tz_localize("UTC")
        seconds = ts.timestamp()
    # datetime (and BSON dates as Python reads them) go from year 1 to 9999
    if not math.isfinite(seconds) or not -62135596800.0 <= seconds < 253402300800.0:
        raise ValueError(f"{str(value)[:64]!r} is outside the years 1 to 9999")
    return seconds


def query_filter(paths=None, vessels=None, start=None, end=None, time_source=None, db=None) -> dict:
    """The bucket query; ``db`` resolves path wildcards against what is stored."""
    clauses: list[dict] = []
    if vessels is not None:
        vessels = [vessels] if isinstance(vessels, str) else list(vessels)
        clauses.append({"vessel": {"$in": vessels}})
    if time_source is not None:
        rules = [time_source] if isinstance(time_source, str) else list(time_source)
        clauses.append({"time_source": {"$in": rules}})
    t0, t1 = _to_seconds(start), _to_seconds(end)
    if t0 is not None:
        clauses.append({"end": {"$gte": _dt(t0)}})
    if t1 is not None:
        clauses.append({"start": {"$lte": _dt(t1)}})
    if paths is not None:
        within = {"$and": list(clauses)} if clauses else None
        clauses.insert(0, {"path": {"$in": resolve_paths(db, paths, within)}})
    return {"$and": clauses} if clauses else {}


def query_observations(
    db: MongoDatabase,
    paths: str | Sequence[str] | None = None,
    vessels: str | Sequence[str] | None = None,
    start=None,
    end=None,
    time_source: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Stored observations as a long-form DataFrame, sorted by time.

    Parameters
    ----------
    paths : str or list of str, optional
        Signal K paths; ``*`` matches any run of characters (``navigation.*``).
    vessels : str or list of str, optional
        ``"self"`` or ``urn:mrn:imo:mmsi:NNN`` contexts.
    start, end : datetime, str, pandas.Timestamp or POSIX seconds, optional
        Inclusive time range (naive times are UTC).
    time_source : str or list of str, optional
        Keep only values dated by these rules, e.g. ``"gps"`` (see ``docs/storage.md``).

    Returns
    -------
    pandas.DataFrame
        Columns ``time`` (datetime64[ns, UTC]), ``vessel``, ``path``, ``source``, ``value``
        (a float, a ``{"latitude", "longitude"}`` dict, or the stored structure),
        ``time_source`` (None where not recorded) and, for positions,
        ``latitude``/``longitude`` columns too (NaN elsewhere).
    """
    t0, t1 = _to_seconds(start), _to_seconds(end)
    cursor = db[COLLECTION].find(
        query_filter(paths, vessels, start, end, time_source, db=db),
        {
            "_id": 0,
            "vessel": 1,
            "path": 1,
            "source": 1,
            "time_source": 1,
            "kind": 1,
            "t": 1,
            "v": 1,
            "x": 1,
            "lat": 1,
            "lon": 1,
        },
        batch_size=1000,
    )
    parts = []
    for doc in cursor:
        t = np.asarray(doc["t"], dtype=float)
        n = len(t)
        lat = lon = np.full(n, np.nan)
        if doc["kind"] == KIND_NUMBER:
            value = np.asarray([np.nan if v is None else v for v in doc["v"]], dtype=float)
            value = value.astype(object)
        elif doc["kind"] == KIND_POSITION:
            lat = np.asarray(doc["lat"], dtype=float)
            lon = np.asarray(doc["lon"], dtype=float)
            value = np.empty(n, dtype=object)
            value[:] = [
                {"latitude": a, "longitude": o}
                for a, o in zip(lat.tolist(), lon.tolist(), strict=True)
            ]
        else:
            value = np.empty(n, dtype=object)
            value[:] = doc["x"]
        keep = np.ones(n, dtype=bool)
        if t0 is not None:
            keep &= t >= t0
        if t1 is not None:
            keep &= t <= t1
        parts.append(
            pd.DataFrame(
                {
                    "t": t[keep],
                    "vessel": doc["vessel"],
                    "path": doc["path"],
                    "source": doc["source"],
                    "value": value[keep],
                    "time_source": doc.get("time_source"),
                    "latitude": lat[keep],
                    "longitude": lon[keep],
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {
                "time": pd.Series([], dtype="datetime64[ns, UTC]"),
                "vessel": pd.Series([], dtype=object),
                "path": pd.Series([], dtype=object),
                "source": pd.Series([], dtype=object),
                "value": pd.Series([], dtype=object),
                "time_source": pd.Series([], dtype=object),
                "latitude": pd.Series([], dtype=float),
                "longitude": pd.Series([], dtype=float),
            }
        )
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["t", "vessel", "path"], kind="stable", ignore_index=True)
    frame.insert(0, "time", pd.to_datetime(frame.pop("t"), unit="s", utc=True))
    return frame


def count_observations(db: MongoDatabase, **query) -> int:
    pipeline = [
        {"$match": query_filter(**query, db=db)},
        {"$group": {"_id": None, "n": {"$sum": "$count"}}},
    ]
    result = list(db[COLLECTION].aggregate(pipeline))
    return int(result[0]["n"]) if result else 0
