"""The boat's sender: cut batches of what the shore lacks and push them until acknowledged.

Blocking code, run in a thread (``isomer sync`` or the sync service), never on an event
loop. The acknowledged position lives in the boat's database (``sync_state``, one document
per shore URL), so a sender killed at any moment starts again from the last batch the
shore acknowledged; the shore recognises a batch it already applied and acknowledges it
again without changing anything.

A link that drops mid-upload makes the next batches smaller (halved down to
``MIN_BATCH_BYTES``), success makes them grow again; failures are retried with jittered
exponential backoff; ``bandwidth`` caps the bytes per second put on the wire (satellite
links are paid by the megabyte) and ``window`` restricts sending to a daily UTC window.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import bson

from isomer_data.core.errors import IsomerError
from isomer_data.services.sync import protocol
from isomer_data.store import sync as seq_store

log = logging.getLogger(__name__)

BATCH_BYTES = 1024 * 1024  # BSON before compression
MIN_BATCH_BYTES = 4 * 1024
BATCH_ITEMS = 1000
FETCH = 100
MAX_REPLY = 1024 * 1024
_WINDOW = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")


class Refused(IsomerError):
    """The shore refused the token (50400): retrying cannot help."""


def parse_window(text: str) -> tuple[int, int] | None:
    """``"HH:MM-HH:MM"`` (UTC) as minutes of the day; ``""`` means always (50412 if bad)."""
    if not text:
        return None
    match = _WINDOW.match(text.strip())
    if not match:
        raise IsomerError(50412, f"sync_window {text!r}")
    h0, m0, h1, m1 = (int(x) for x in match.groups())
    if h0 > 23 or h1 > 23 or m0 > 59 or m1 > 59:
        raise IsomerError(50412, f"sync_window {text!r}")
    return h0 * 60 + m0, h1 * 60 + m1


def seconds_until_open(window: tuple[int, int] | None, now: datetime | None = None) -> float:
    """0 inside the window (which may wrap past midnight), else seconds until it opens."""
    if window is None:
        return 0.0
    now = now or datetime.now(UTC)
    minute = now.hour * 60 + now.minute + now.second / 60
    start, end = window
    inside = start <= minute < end if start <= end else (minute >= start or minute < end)
    if inside or start == end:
        return 0.0
    return ((start - minute) % 1440) * 60


class RateLimiter:
    """Paces bytes to ``rate`` per second; an idle link earns no credit for a later burst."""

    def __init__(self, rate: float):
        self.rate = float(rate or 0)
        self.next_free = 0.0
        self.lock = threading.Lock()

    @property
    def chunk(self) -> int:
        if self.rate <= 0:
            return 64 * 1024
        return int(min(16 * 1024, max(512, self.rate / 20)))

    def consume(self, n: int, stop: threading.Event | None = None) -> None:
        if self.rate <= 0:
            return
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_free)
            self.next_free = start + n / self.rate
        if start > now:
            if stop is not None:
                stop.wait(start - now)
            else:
                time.sleep(start - now)


@dataclass
class Summary:
    batches: int = 0
    items: int = 0
    bytes_sent: int = 0
    retries: int = 0
    rejected: int = 0
    position: int = 0
    seconds: float = 0.0
    problems: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class Sender:
    def __init__(
        self,
        db,
        url: str,
        token: str,
        *,
        bandwidth: float = 0,
        window: str = "",
        batch_bytes: int = BATCH_BYTES,
        batch_items: int = BATCH_ITEMS,
        timeout: float = 30.0,
        backoff: tuple[float, float] = (0.5, 60.0),
        stop: threading.Event | None = None,
        progress=None,
    ):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise IsomerError(50401, f"{url!r} is not an http(s) URL")
        self.db = db
        self.url = url.rstrip("/")
        self.parts = parts
        self.token = token
        self.limiter = RateLimiter(bandwidth)
        self.window = parse_window(window)
        self.max_batch_bytes = batch_bytes
        self.batch_bytes = batch_bytes
        self.batch_items = min(batch_items, protocol.MAX_ITEMS)
        self.timeout = timeout
        self.backoff = backoff
        self.stop = stop or threading.Event()
        self.progress = progress
        self.state_id = f"sender:{self.url}"
        self._backfilled = False
        seq_store.ensure_indexes(db)

    # position ----------------------------------------------------------------------------

    def acked(self) -> int:
        doc = self.db[seq_store.STATE].find_one({"_id": self.state_id}) or {}
        return int(doc.get("acked", 0))

    def _set_acked(self, position: int) -> None:
        self.db[seq_store.STATE].update_one(
            {"_id": self.state_id},
            {"$set": {"acked": position, "url": self.url, "at": datetime.now(UTC)}},
            upsert=True,
        )
        # The shore holds every deletion up to here: their tombstones are done.
        self.db[seq_store.TOMBSTONES].delete_many({seq_store.FIELD: {"$lte": position}})

    def pending(self, after: int | None = None) -> dict[str, int]:
        after = self.acked() if after is None else after
        query = {seq_store.FIELD: {"$gt": after}}
        out = {name: self.db[name].count_documents(query) for name in seq_store.SYNCED}
        out["deletions"] = self.db[seq_store.TOMBSTONES].count_documents(query)
        return out

    def backfill(self) -> int:
        """Number documents written before sync existed, so they travel too."""
        from pymongo import UpdateOne

        done = 0
        for name in seq_store.SYNCED:
            while True:
                ids = [
                    d["_id"]
                    for d in self.db[name].find(
                        {seq_store.FIELD: {"$exists": False}}, {"_id": 1}, limit=1000
                    )
                ]
                if not ids:
                    break
                with seq_store.reserve(self.db, len(ids)) as first:
                    self.db[name].bulk_write(
                        [
                            UpdateOne(
                                {"_id": i, seq_store.FIELD: {"$exists": False}},
                                {"$set": {seq_store.FIELD: s}},
                            )
                            for s, i in enumerate(ids, first)
                        ],
                        ordered=False,
                    )
                done += len(ids)
        return done

    # batches -----------------------------------------------------------------------------

    def cut(self, after: int, horizon: int) -> tuple[int, list[dict]] | None:
        """``(to, items)``: the changes numbered in ``(after, to]``, at most a batch's worth."""
        query = {seq_store.FIELD: {"$gt": after, "$lte": horizon}}
        picks = []
        for name in (*seq_store.SYNCED, seq_store.TOMBSTONES):
            cursor = (
                self.db[name]
                .find(query, {seq_store.FIELD: 1})
                .sort(seq_store.FIELD, 1)
                .limit(self.batch_items)
            )
            picks.extend((d[seq_store.FIELD], name, d["_id"]) for d in cursor)
        if not picks:
            return None
        picks.sort(key=lambda p: p[0])
        picks = picks[: self.batch_items]
        items: list[dict] = []
        size, to = 0, after
        for start in range(0, len(picks), FETCH):
            chunk = picks[start : start + FETCH]
            found = {}
            for name in {p[1] for p in chunk}:
                ids = [p[2] for p in chunk if p[1] == name]
                for doc in self.db[name].find({"_id": {"$in": ids}}):
                    found[(name, doc["_id"])] = doc
            for seq, name, doc_id in chunk:
                doc = found.get((name, doc_id))
                if doc is None or doc.get(seq_store.FIELD) != seq:
                    # Written again (or deleted) since: its new number comes later.
                    to = seq
                    continue
                if name == seq_store.TOMBSTONES:
                    item = {"c": doc["c"], "s": seq, "del": doc["i"]}
                else:
                    item = {"c": name, "s": seq, "d": doc}
                n = len(bson.encode(item))
                if items and size + n > self.batch_bytes:
                    return to, items
                items.append(item)
                size += n
                to = seq
        return to, items

    def _post(self, body: bytes, name: str, codec: str) -> tuple[int, dict]:
        cls = (
            http.client.HTTPSConnection
            if self.parts.scheme == "https"
            else http.client.HTTPConnection
        )
        conn = cls(self.parts.hostname, self.parts.port, timeout=self.timeout)
        try:
            conn.putrequest("POST", self.parts.path.rstrip("/") + "/isomer/api/sync/batches")
            headers = {
                "Authorization": f"token {self.token}",
                "Content-Type": "application/octet-stream",
                "Content-Length": str(len(body)),
                protocol.HASH_HEADER: name,
                protocol.CODEC_HEADER: codec,
            }
            for key, value in headers.items():
                conn.putheader(key, value)
            self.limiter.consume(200 + sum(len(k) + len(v) + 4 for k, v in headers.items()))
            conn.endheaders()
            step = self.limiter.chunk
            for i in range(0, len(body), step):
                piece = body[i : i + step]
                self.limiter.consume(len(piece), self.stop)
                if self.stop.is_set():
                    raise ConnectionAbortedError("stopping")
                conn.send(piece)
            response = conn.getresponse()
            data = response.read(MAX_REPLY)
            try:
                reply = json.loads(data) if data else {}
            except ValueError:
                reply = {"message": data[:200].decode("utf-8", "replace")}
            return response.status, reply if isinstance(reply, dict) else {}
        finally:
            conn.close()

    def _pause(self, failures: int) -> None:
        base, cap = self.backoff
        self.stop.wait(min(cap, base * 2 ** min(failures, 16)) * random.uniform(0.5, 1.0))

    def send(self, after: int, to: int, items: list[dict], summary: Summary) -> dict:
        """Push one batch until the shore answers it; returns the acknowledgement."""
        body, name, codec = protocol.encode(after, to, items)
        failures = 0
        while not self.stop.is_set():
            wait = seconds_until_open(self.window)
            if wait:
                self.stop.wait(min(wait, 60))
                continue
            try:
                status, reply = self._post(body, name, codec)
            except (OSError, http.client.HTTPException) as exc:
                failures += 1
                summary.retries += 1
                log.info("sync batch %s… failed (%s); retrying", name[:12], exc)
                self.batch_bytes = max(MIN_BATCH_BYTES, self.batch_bytes // 2)
                self._pause(failures)
                if failures % 4 == 0 and len(body) > MIN_BATCH_BYTES and len(items) > 1:
                    # This batch keeps breaking: give up on it and cut a smaller one.
                    raise _Smaller() from None
                continue
            summary.bytes_sent += len(body)
            if status == 200:
                self.batch_bytes = min(self.max_batch_bytes, int(self.batch_bytes * 1.25) + 1)
                return reply
            if status in (401, 403):
                raise Refused(50400, reply.get("message") or f"HTTP {status}")
            if status == 409 and isinstance(reply.get("position"), int):
                raise _Rewind(reply["position"])
            if status == 413 and len(items) > 1:
                self.batch_bytes = max(MIN_BATCH_BYTES, self.batch_bytes // 4)
                raise _Smaller()
            if status >= 500 or status in (404, 408, 429):
                failures += 1
                summary.retries += 1
                self._pause(failures)
                continue
            raise IsomerError(
                int(reply.get("error", 50403)) if str(reply.get("error", "")).isdigit() else 50403,
                reply.get("message") or f"HTTP {status}",
            )
        raise _Stopped()

    def run(self, *, settle: float = 30.0) -> Summary:
        """Push until caught up (or stopped); returns what was done."""
        summary = Summary()
        began = time.monotonic()
        if not self._backfilled:  # a collection scan: once per sender, not every round
            self.backfill()
            self._backfilled = True
        after = self.acked()
        while not self.stop.is_set():
            limit = seq_store.horizon(self.db, wait=settle)
            if limit is None:
                continue
            cut = self.cut(after, limit)
            if cut is None:
                break
            to, items = cut
            try:
                ack = self.send(after, to, items, summary)
            except _Smaller:
                continue
            except _Rewind as rewind:
                log.warning("the shore holds up to %d; sending from there", rewind.position)
                after = rewind.position
                self._set_acked(after)
                continue
            except _Stopped:
                break
            after = int(ack.get("position", to))
            self._set_acked(after)
            summary.batches += 1
            summary.items += len(items)
            summary.rejected += int(ack.get("rejected", 0))
            summary.problems.extend(ack.get("problems", [])[:5])
            if self.progress is not None:
                self.progress(summary, self.pending(after))
        summary.position = after
        summary.seconds = round(time.monotonic() - began, 3)
        return summary


class _Smaller(Exception):
    pass


class _Stopped(Exception):
    pass


class _Rewind(Exception):
    def __init__(self, position: int):
        super().__init__(position)
        self.position = position
