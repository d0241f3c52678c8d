"""Live-data subscriptions: who wants which paths, how often, and how a slow client is handled.

Shared by the hub (``/isomer/ws``) and the Signal K stream. A subscription is a context
pattern (``vessels.self``, ``vessels.*``) and a path pattern (``navigation.*``,
``environment.depth.belowTransducer``) with Signal K's policies:

- ``instant``: every change, but no more often than ``min_period`` per path;
- ``ideal``: like instant, and the latest value again after ``period`` without a change;
- ``fixed``: the latest value every ``period``, changed or not.

Fan-out must stay cheap with a thousand tablets and scripts connected: which (vessel, path)
a subscription matches is cached, and one batch is serialized once per distinct set of
matched observations, not once per client. Sending never waits: each subscriber has a
bound on messages in flight; beyond it messages are dropped, counted and, once the client
catches up, reported to it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from isomer_data.wildcards import Wildcard, WildcardError

log = logging.getLogger(__name__)

POLICIES = ("instant", "ideal", "fixed")
DEFAULT_PERIOD = 1.0
MAX_IN_FLIGHT = 256
MAX_BYTES_IN_FLIGHT = 4 * 1024 * 1024
MAX_SUBSCRIPTIONS = 1024  # per connection
TICK_SECONDS = 0.05
COALESCE_ABOVE = 0.005  # a flush slower than this makes the next one wait and coalesce
MAX_COALESCE = 0.05


def iso_time(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SubscriptionError(ValueError):
    """A subscription request that cannot be honoured; the message says which field."""


@dataclass
class Subscription:
    context: str
    path: str
    policy: str = "ideal"
    period: float = DEFAULT_PERIOD  # seconds
    min_period: float = 0.0  # seconds
    _context: Wildcard = field(init=False, repr=False)
    _path: Wildcard = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise SubscriptionError(f"policy must be one of {', '.join(POLICIES)}")
        if not isinstance(self.path, str) or not self.path:
            raise SubscriptionError("path must be a non-empty string")
        if self.period <= 0 or self.min_period < 0:
            raise SubscriptionError("period must be > 0 and minPeriod ≥ 0")
        try:
            self._context = Wildcard(self.context)
            self._path = Wildcard(self.path)
        except WildcardError as exc:
            raise SubscriptionError(str(exc)) from None

    @classmethod
    def parse(cls, context: str, spec: dict) -> Subscription:
        """From a Signal K subscribe entry: periods in milliseconds."""
        if not isinstance(spec, dict):
            raise SubscriptionError("each subscription is an object with at least a path")
        try:
            period = float(spec.get("period", DEFAULT_PERIOD * 1000)) / 1000
            min_period = float(spec.get("minPeriod", 0)) / 1000
        except (TypeError, ValueError):
            raise SubscriptionError("period and minPeriod are numbers of milliseconds") from None
        return cls(
            context=context,
            path=spec.get("path", ""),
            policy=spec.get("policy", "ideal"),
            period=period,
            min_period=min_period,
        )

    @property
    def key(self) -> tuple:
        return (self.context, self.path, self.policy, self.period, self.min_period)

    def to_json(self) -> dict:
        return {
            "context": self.context,
            "path": self.path,
            "policy": self.policy,
            "period": round(self.period * 1000),
            "minPeriod": round(self.min_period * 1000),
        }

    def matches(self, context: str, path: str) -> bool:
        return self._context.matches(context) and self._path.matches(path)

    @property
    def timed(self) -> bool:
        return self.policy != "instant" or self.min_period > 0


def context_of(vessel: str) -> str:
    return f"vessels.{vessel}"


def delta(context: str, observations) -> dict:
    """A Signal K delta: one update per source and timestamp, values in order."""
    updates: dict[tuple, dict] = {}
    for o in observations:
        key = (o.source, o.time)
        update = updates.get(key)
        if update is None:
            update = updates[key] = {
                "$source": o.source,
                "timestamp": iso_time(o.time),
                "values": [],
            }
        update["values"].append({"path": o.path, "value": o.value})
    return {"context": context, "updates": list(updates.values())}


CACHED_PER_MESSAGE = 100  # values in one delta of the values sent when a subscription starts
CACHED_MESSAGE_BYTES = 64 * 1024  # and about this many bytes
# Never sent as current values: resources are objects with their own permissions, pushed
# only to those who may read each one (services/signalk/resources.py); a value under this
# prefix in the live state is not one of them and no permission can be checked for it.
RESOURCES = "resources."


def _size(o) -> int:
    """About what a value adds to a delta's text (an upper bound for plain values)."""
    value = o.value
    if isinstance(value, str):
        size = 2 * len(value) + 2  # escapes at most double it (\u escapes are rare)
    elif isinstance(value, dict | list):
        size = len(json.dumps(value))
    else:
        size = 24
    return size + len(o.path) + len(o.source) + 64


def current_values(latest: dict, subs, max_values: int, chunk_bytes: int):
    """``(matched, chunks)``: the latest values that the subscriptions ``subs`` match.

    What a client is sent when a subscription starts (Signal K server's cached deltas), so a
    gauge fills at once. Matched by ``Subscription.matches`` (context and path), the rule
    the live fan-out uses, so a client gets exactly the paths it would receive live; each
    pattern meets each vessel and each distinct path once, not every (vessel, path): a
    thousand AIS targets share a few dozen path names. The own vessel first, then the
    others in the order they were first seen; each chunk is one vessel's, at most
    ``CACHED_PER_MESSAGE`` values and about ``chunk_bytes`` (one delta), at most
    ``max_values`` values in all. ``matched`` counts all of them. Nothing under
    ``resources.`` (see ``RESOURCES``).
    """
    subs = list(subs)
    by_context: dict[str, int] = {}  # vessel -> bit set of the subscriptions its context matches
    by_path: dict[str, int] = {}
    by_vessel: dict[str, list] = {}
    matched = others = 0
    for (vessel, path), value in latest.items():
        if path.startswith(RESOURCES):
            continue
        contexts = by_context.get(vessel)
        if contexts is None:
            context = context_of(vessel)
            contexts = by_context[vessel] = sum(
                1 << i for i, sub in enumerate(subs) if sub._context.matches(context)
            )
        if not contexts:
            continue
        paths = by_path.get(path)
        if paths is None:
            paths = by_path[path] = sum(
                1 << i for i, sub in enumerate(subs) if sub._path.matches(path)
            )
        if not contexts & paths:
            continue
        matched += 1
        if vessel != "self":
            if others >= max_values:
                continue  # counted, never sent: the own vessel's values come first
            others += 1
        by_vessel.setdefault(vessel, []).append(_Obs(vessel, path, *value))
    own = by_vessel.pop("self", [])
    chunks: list[list] = []
    kept = 0
    for group in ([own] if own else []) + list(by_vessel.values()):
        if kept >= max_values:
            break
        group = group[: max_values - kept]
        kept += len(group)
        chunks += chunked(group, chunk_bytes)
    return matched, chunks


def chunked(observations: list, chunk_bytes: int, observation=None) -> list[list]:
    """One vessel's observations in deltas of at most ``CACHED_PER_MESSAGE`` values and
    about ``chunk_bytes`` each (one value alone may be larger), in order.

    Every message of many values goes out this way (current values, the timed policies'
    repeats, a large instant outbox), so none grows past what a client's queue holds.
    ``observation`` picks the observation out of each item when they carry more.
    """
    chunks: list[list] = []
    chunk: list = []
    size = 0
    for item in observations:
        cost = _size(item if observation is None else observation(item))
        if chunk and (len(chunk) >= CACHED_PER_MESSAGE or size + cost > chunk_bytes):
            chunks.append(chunk)
            chunk, size = [], 0
        chunk.append(item)
        size += cost
    if chunk:
        chunks.append(chunk)
    return chunks


class Subscriber:
    """One client's subscriptions and its outgoing side.

    Subclasses implement ``write(text)`` (returning an awaitable that completes when the
    message has left, or None) and ``frame(delta_dict) -> str``, and may set ``self_context``
    so that ``vessels.self`` means this platform's own vessel in the client's vocabulary.
    """

    kind = "delta"

    def __init__(self, max_in_flight: int = MAX_IN_FLIGHT, max_bytes: int = MAX_BYTES_IN_FLIGHT):
        self.subscriptions: dict[tuple, Subscription] = {}
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        # Bytes waiting in the server for this client: the count bound alone let a client
        # that never reads hold ``max_in_flight`` messages of any size each.
        self.max_bytes = max_bytes
        self.bytes_in_flight = 0
        self.peak_bytes_in_flight = 0
        self.dropped = 0
        self.dropped_reported = 0
        # values of timed subscriptions left for a later tick while the queue was half full
        self.deferred = 0
        self.sent = 0
        self._match_cache: dict[tuple[str, str], tuple[Subscription, ...]] = {}
        # per (subscription key, vessel, path): last sent time, and pending latest value
        self._last_sent: dict[tuple, float] = {}
        self._pending: dict[tuple, object] = {}
        self._scanned: dict[tuple, float] = {}
        self.outbox: list = []
        self._signature = False  # not computed yet
        self.closed = False

    # subscriptions -------------------------------------------------------------------

    def subscribe(self, subs: list[Subscription]) -> None:
        """Add subscriptions; all or none, and at most ``MAX_SUBSCRIPTIONS`` in all.

        Every new (vessel, path) is matched against each subscription once, so their
        number is bounded like everything else a client sends.
        """
        keys = set(self.subscriptions) | {sub.key for sub in subs}
        if len(keys) > MAX_SUBSCRIPTIONS:
            raise SubscriptionError(
                f"at most {MAX_SUBSCRIPTIONS} subscriptions per connection; unsubscribe first"
            )
        for sub in subs:
            self.subscriptions[sub.key] = sub
        self._match_cache.clear()
        self._signature = False

    @property
    def signature(self):
        """A key shared by subscribers whose subscriptions are all plain ``instant``.

        Such subscribers want exactly the observations their patterns match, with no
        per-client timing state, so the fan-out can choose for all of them at once.
        None for any other (timed) subscriber, or one with nothing subscribed.
        """
        if self._signature is False:
            subs = self.subscriptions.values()
            plain = subs and all(not s.timed for s in subs)
            self._signature = frozenset(self.subscriptions) if plain else None
        return self._signature

    def unsubscribe(self, context: str = "*", path: str = "*") -> int:
        """Remove subscriptions whose context and path match the given patterns."""
        try:
            context_pattern, path_pattern = Wildcard(context), Wildcard(path)
        except WildcardError as exc:
            raise SubscriptionError(str(exc)) from None
        gone = [
            key
            for key, sub in self.subscriptions.items()
            if context_pattern.matches(sub.context) and path_pattern.matches(sub.path)
        ]
        for key in gone:
            del self.subscriptions[key]
        self._match_cache.clear()
        self._signature = False
        self._last_sent = {k: v for k, v in self._last_sent.items() if k[0] in self.subscriptions}
        self._pending = {k: v for k, v in self._pending.items() if k[0] in self.subscriptions}
        return len(gone)

    def matching(self, vessel: str, path: str) -> tuple[Subscription, ...]:
        key = (vessel, path)
        found = self._match_cache.get(key)
        if found is None:
            context = context_of(vessel)
            found = tuple(s for s in self.subscriptions.values() if s.matches(context, path))
            if len(self._match_cache) > 50_000:
                self._match_cache.clear()
            self._match_cache[key] = found
        return found

    @property
    def timed(self) -> bool:
        return any(s.timed for s in self.subscriptions.values())

    def forget(self, vessels: set) -> None:
        """Drop what is kept per (vessel, path) of vessels the live state forgot."""
        self._match_cache = {k: v for k, v in self._match_cache.items() if k[0] not in vessels}
        self._last_sent = {k: v for k, v in self._last_sent.items() if k[1] not in vessels}
        self._pending = {k: v for k, v in self._pending.items() if k[1] not in vessels}

    # delivery ------------------------------------------------------------------------

    def send_current(self, latest: dict, subs: list[Subscription], max_values: int):
        """Send the current values these (just made) subscriptions match: ``(sent, matched)``.

        Through the bounded queue, and no further than half of it: once half of
        ``max_in_flight`` messages or ``max_bytes`` wait in the server (the socket did not
        take them), the rest is left out rather than dropped, so live deltas and replies
        keep their room. What the socket takes at once is not held at all.
        """
        matched, chunks = current_values(latest, subs, max_values, self.chunk_bytes)
        sent = 0
        for chunk in chunks:
            if self.closed or not self.has_room:
                break
            self.send(self._frame_batch(chunk))
            sent += len(chunk)
        return sent, matched

    @property
    def chunk_bytes(self) -> int:
        """About the largest delta of many values: a quarter of the queue, at most 64 KiB."""
        return min(CACHED_MESSAGE_BYTES, max(self.max_bytes // 4, 1))

    @property
    def has_room(self) -> bool:
        """Whether less than half of the queue waits: what may be left for later (current
        values, repeats) only goes out then, keeping room for live deltas and replies."""
        return (
            self.in_flight < self.max_in_flight // 2 and self.bytes_in_flight < self.max_bytes // 2
        )

    def offer(self, batch: list, cache=None) -> None:
        """Collect what this subscriber wants from a published batch; sent by ``flush``."""
        if self.closed or not self.subscriptions:
            return
        now = time.monotonic()
        chosen: list[int] = []
        for i, o in enumerate(batch):
            subs = self.matching(o.vessel, o.path)
            if not subs:
                continue
            send = False
            for sub in subs:
                if sub.policy == "fixed":
                    self._pending[(sub.key, o.vessel, o.path)] = o
                    continue
                slot = (sub.key, o.vessel, o.path)
                if sub.min_period and now - self._last_sent.get(slot, -1e9) < sub.min_period:
                    self._pending[slot] = o
                    continue
                send = True
                if sub.timed:
                    self._last_sent[slot] = now
                    self._pending.pop(slot, None)
            if send:
                chosen.append(i)
        if chosen:
            self.outbox.extend(batch[i] for i in chosen)

    def flush(self, cache: dict) -> None:
        """Send what ``offer`` collected: one delta per vessel, however many arrived.

        Subscribers with the same outbox (the same observation objects) share one
        serialized message, found in ``cache``.
        """
        if not self.outbox:
            return
        observations, self.outbox = self.outbox, []
        if self.closed:
            return
        chunk_bytes = self.chunk_bytes
        key = (self.kind, chunk_bytes, tuple(map(id, observations)))
        text = cache.get(key)
        if text is None:
            if len(observations) <= CACHED_PER_MESSAGE:
                text = self._frame_batch(observations)
            else:  # one message per chunk (``send`` bounds each part)
                text = "\n".join(
                    self._frame_batch(chunk)
                    for group in _by_vessel(observations).values()
                    for chunk in chunked(group, chunk_bytes)
                )
            cache[key] = text
        self.send(text)

    def tick(self, now: float, latest) -> None:
        """Timed policies: flush what ``min_period`` held back, repeat after ``period``.

        What is due goes out in chunks (:func:`chunked`) while less than half of the queue
        waits (``has_room``); the rest is deferred, counted in ``deferred``, and goes out
        on a later tick, when the client has read: held values stay pending, repeats are
        found again by the next scan. Nothing is buffered beyond the queue.
        """
        if self.closed:
            return
        due: list[tuple[tuple, object, bool]] = []  # (slot, observation, was pending)
        taken: set = set()
        for sub in self.subscriptions.values():
            if sub.policy == "instant" and not sub.min_period:
                continue
            wait = sub.period if sub.policy == "fixed" else sub.min_period
            for slot in [s for s in self._pending if s[0] == sub.key]:
                if now - self._last_sent.get(slot, -1e9) >= wait:
                    due.append((slot, self._pending.pop(slot), True))
                    taken.add(slot)
            # Repeats need a scan of the latest values: at most four per period.
            if sub.policy in ("ideal", "fixed") and now - self._scanned.get(sub.key, -1e9) >= (
                sub.period / 4
            ):
                self._scanned[sub.key] = now
                for (vessel, path), value in latest.items():
                    slot = (sub.key, vessel, path)
                    if (
                        slot in self._pending
                        or slot in taken
                        or sub not in self.matching(vessel, path)
                    ):
                        continue
                    last = self._last_sent.get(slot)
                    if last is None and sub.policy != "fixed":
                        self._last_sent[slot] = now  # ideal: sent when subscribed
                    elif last is None or now - last >= sub.period * 0.98:
                        due.append((slot, _Obs(vessel, path, *value), False))
        if due:
            self._send_due(due, now)

    def _send_due(self, due: list, now: float) -> None:
        # Longest waiting first: what was deferred goes before what was just sent, so a
        # client short of room still gets every value in turn, not the same first ones.
        last_sent = self._last_sent
        due.sort(key=lambda item: last_sent.get(item[0], -1e18))
        chunk_bytes = self.chunk_bytes
        for group in _by_vessel(due, vessel=lambda item: item[1].vessel).values():
            for chunk in chunked(group, chunk_bytes, observation=lambda item: item[1]):
                if self.closed:
                    return
                if not self.has_room:
                    for slot, o, pending in chunk:
                        if pending:
                            self._pending.setdefault(slot, o)
                    self.deferred += len(chunk)
                    continue
                self.send(self._frame_batch([o for _, o, _ in chunk]))
                for slot, _, _ in chunk:
                    self._last_sent[slot] = now

    def _frame_batch(self, observations: list) -> str:
        vessel = observations[0].vessel
        if any(o.vessel != vessel for o in observations):
            # rare: a batch spanning vessels; one delta per vessel, framed as a list
            by_vessel: dict[str, list] = {}
            for o in observations:
                by_vessel.setdefault(o.vessel, []).append(o)
            return "\n".join(self._frame_batch(g) for g in by_vessel.values())
        return self.frame(delta(self.context_name(vessel), observations))

    def context_name(self, vessel: str) -> str:
        return context_of(vessel)

    def send(self, text: str) -> None:
        """Queue a message unless too many are in flight; then drop and count it."""
        if self.closed:
            return
        for part in text.split("\n") if "\n" in text else (text,):
            if self.in_flight >= self.max_in_flight or self.bytes_in_flight >= self.max_bytes:
                self.dropped += 1
                continue
            self._write(part)
        if (
            self.dropped > self.dropped_reported
            and self.in_flight < self.max_in_flight // 2
            and self.bytes_in_flight < self.max_bytes // 2
        ):
            count = self.dropped - self.dropped_reported
            self.dropped_reported = self.dropped
            self.report_dropped(count)

    def _write(self, text: str) -> None:
        try:
            future = self.write(text)
        except Exception:  # the connection went away; the handler's close cleans up
            self.closed = True
            return
        self.sent += 1
        if future is not None:
            # What the socket did not take waits in the server: count it (an upper bound,
            # part of the frame may have left already) until the write completes.
            size = len(text)
            self.in_flight += 1
            self.bytes_in_flight += size
            self.peak_bytes_in_flight = max(self.peak_bytes_in_flight, self.bytes_in_flight)
            future.add_done_callback(lambda f: self._written(f, size))

    def _written(self, future, size: int = 0) -> None:
        self.in_flight -= 1
        self.bytes_in_flight -= size
        if not future.cancelled() and future.exception() is not None:
            self.closed = True

    # to implement ----------------------------------------------------------------------

    def write(self, text: str):
        raise NotImplementedError

    def frame(self, message: dict) -> str:
        return json.dumps(message, separators=(",", ":"))

    def report_dropped(self, count: int) -> None:
        """Tell the client how many messages it missed; default: nothing."""


def _by_vessel(items: list, vessel=None) -> dict[str, list]:
    """Items grouped by vessel, groups and items in their first order."""
    out: dict[str, list] = {}
    for item in items:
        out.setdefault(item.vessel if vessel is None else vessel(item), []).append(item)
    return out


@dataclass(slots=True)
class _Obs:
    vessel: str
    path: str
    time: float
    value: object
    source: str


class Fanout:
    """Feeds every subscriber from the live state; one ticker for the timed policies."""

    def __init__(self, live):
        self.live = live
        self.subscribers: set[Subscriber] = set()
        self._ticker: asyncio.Task | None = None
        self._flush_handle: asyncio.Handle | None = None
        self._last_flush_seconds = 0.0
        live.listeners.append(self.publish)
        live.expire_listeners.append(self.forget)

    def forget(self, vessels: set) -> None:
        """Vessels the live state forgot: subscribers drop their timing state for them."""
        for subscriber in list(self.subscribers):
            subscriber.forget(vessels)

    def add(self, subscriber: Subscriber) -> None:
        self.subscribers.add(subscriber)

    def remove(self, subscriber: Subscriber) -> None:
        subscriber.closed = True
        self.subscribers.discard(subscriber)

    def publish(self, batch: list) -> None:
        """Sort a batch into the subscribers' outboxes and schedule one flush.

        When the server keeps up, the flush runs in the next loop iteration. When a flush
        took long (many clients), the next one waits about as long, so deltas arriving
        meanwhile leave together, as one message per client: under load the number of
        writes stays bounded instead of the latency growing without bound.
        """
        # Subscribers with the same instant subscriptions want the same observations:
        # choose them once per distinct set (a thousand tablets on navigation.* are one).
        chosen_by_signature: dict = {}
        for subscriber in list(self.subscribers):
            try:
                signature = subscriber.signature
                if signature is None:
                    subscriber.offer(batch, None)
                    continue
                chosen = chosen_by_signature.get(signature)
                if chosen is None:
                    chosen = chosen_by_signature[signature] = [
                        o for o in batch if subscriber.matching(o.vessel, o.path)
                    ]
                if chosen and not subscriber.closed:
                    subscriber.outbox.extend(chosen)
            except Exception:
                log.exception("live subscriber %r failed", subscriber)
        if self._flush_handle is None:
            loop = asyncio.get_running_loop()
            delay = self._last_flush_seconds if self._last_flush_seconds > COALESCE_ABOVE else 0
            if delay:
                self._flush_handle = loop.call_later(min(delay, MAX_COALESCE), self.flush)
            else:
                self._flush_handle = loop.call_soon(self.flush)

    def flush(self) -> None:
        self._flush_handle = None
        started = time.perf_counter()
        cache: dict = {}
        for subscriber in list(self.subscribers):
            if subscriber.outbox:
                try:
                    subscriber.flush(cache)
                except Exception:
                    log.exception("live subscriber %r failed", subscriber)
        self._last_flush_seconds = time.perf_counter() - started

    def ensure_ticker(self) -> None:
        """Start the ticker when a timed subscription appears; it stops when none is left."""
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            timed = [s for s in self.subscribers if s.timed]
            if not timed:
                return
            now = time.monotonic()
            for subscriber in timed:
                try:
                    subscriber.tick(now, self.live.latest)
                except Exception:
                    log.exception("live subscriber %r failed on tick", subscriber)
            await asyncio.sleep(TICK_SECONDS)

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
