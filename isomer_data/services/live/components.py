"""Live data over the hub: subscribe to paths, read the latest values, publish as a vessel."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from isomer_data.core.events import ADMIN, EVERYONE, VESSEL, DomainError, event
from isomer_data.core.parsing import coded
from isomer_data.ingest.validation import (
    DEFAULT_WINDOW,
    BadValue,
    TimeWindow,
    check_name,
    check_value,
)
from isomer_data.services.live.subscriptions import (
    Subscription,
    SubscriptionError,
)

MAX_SUBSCRIBE = 256  # paths in one subscribe request


def split_full_path(path: str, context: str) -> tuple[str, str]:
    """``vessels.*.navigation.position`` → (``vessels.*``, ``navigation.position``)."""
    if path.startswith("vessels."):
        parts = path.split(".", 2)
        if len(parts) == 3:
            return f"vessels.{parts[1]}", parts[2]
    return context, path


def parse_subscriptions(data) -> list[Subscription]:
    """``{context?, subscribe: [{path, period, policy, minPeriod}]}`` or ``{paths: [...]}``."""
    if not isinstance(data, dict):
        raise DomainError("bad_request", 'expected {"subscribe": [{"path": …}]} or {"paths": […]}')
    context = data.get("context", "vessels.self")
    if not isinstance(context, str):
        raise DomainError("invalid", "context must be a string", {"field": "context"})
    specs = data.get("subscribe")
    if specs is None and "paths" in data:
        common = {k: data[k] for k in ("period", "policy", "minPeriod") if k in data}
        paths = data["paths"] if isinstance(data["paths"], list) else [data["paths"]]
        specs = [{**common, "path": p} for p in paths]
    if not isinstance(specs, list) or not specs:
        raise DomainError("invalid", "nothing to subscribe to", {"field": "subscribe"})
    if len(specs) > MAX_SUBSCRIBE:
        raise DomainError(
            "invalid", f"at most {MAX_SUBSCRIBE} paths per subscribe", {"field": "subscribe"}
        )
    subs = []
    for i, spec in enumerate(specs):
        try:
            if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
                raise SubscriptionError("each entry needs a string path")
            ctx, path = split_full_path(spec["path"], context)
            subs.append(Subscription.parse(ctx, {**spec, "path": path}))
        except SubscriptionError as exc:
            raise DomainError("invalid", str(exc), {"field": f"subscribe[{i}]"}) from None
    return subs


def snapshot_for(client, subs: list[Subscription]) -> dict:
    """Send the current values of what was just subscribed to, so a panel fills at once.

    The same values and bounds as the Signal K stream (``Subscriber.send_current``); returns
    ``{sent, matched}`` for the reply, with the numbered note when some were left out.
    """
    platform = client.platform
    sent, matched = client.send_current(
        platform.live.latest, subs, platform.config.ws_cached_values
    )
    out = {"sent": sent, "matched": matched}
    if sent < matched:
        detail = f"{sent} of {matched} sent; the others arrive as they change"
        out["message"] = coded("partial", 70311, detail).message
    return out


@event("live", "subscribe", roles=EVERYONE)
async def subscribe(client, data):
    """Subscribe to paths (wildcards ``*``), each with period, policy and minPeriod in ms."""
    subs = parse_subscriptions(data)
    try:
        client.subscribe(subs)
    except SubscriptionError as exc:
        raise DomainError("invalid", str(exc), {"field": "subscribe"}) from None
    if client.timed:
        client.platform.fanout.ensure_ticker()
    current = snapshot_for(client, subs)
    return {"subscribed": [s.to_json() for s in subs], "current": current}


@event("live", "unsubscribe", roles=EVERYONE)
async def unsubscribe(client, data):
    """Remove subscriptions matching ``{context, path}`` (both default to ``*``)."""
    data = data if isinstance(data, dict) else {}
    context, path = split_full_path(str(data.get("path", "*")), str(data.get("context", "*")))
    try:
        return {"removed": client.unsubscribe(context, path)}
    except SubscriptionError as exc:
        raise DomainError("invalid", str(exc), {"field": "path"}) from None


@event("live", "snapshot", roles=EVERYONE)
async def snapshot(client, data):
    """Latest value of every path, per vessel (``{vessel}`` narrows it)."""
    vessel = data.get("vessel") if isinstance(data, dict) else None
    return client.platform.live.snapshot(vessel)


MAX_REPORTED = 20  # per-item errors listed in one reply; the count covers all of them


def _seconds(stamp, received: float) -> float:
    if stamp is None:
        return received
    if not isinstance(stamp, str) or len(stamp) > 64:
        raise BadValue(f"timestamp {str(stamp)[:64]!r} is not ISO 8601")
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        if moment.tzinfo is None:  # Signal K times are UTC; never the server's local time
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    except (ValueError, OverflowError):
        raise BadValue(f"timestamp {stamp!r} is not ISO 8601") from None


def observations_from_delta(
    data: dict, vessel: str, source: str, window: TimeWindow | None = None
) -> tuple[list, list[dict], list[str]]:
    """The good observations of a Signal K delta, one error per refused item, and the field
    each observation came from (``updates[i].values[j]``, to name it in a later refusal).

    Checked at the edge (:mod:`isomer_data.ingest.validation`): one bad value or timestamp drops that
    item (or that update), never the batch.
    """
    from isomer_data.ingest.observation import Observation

    window = window or DEFAULT_WINDOW
    received = time.time()
    updates = data.get("updates")
    if not isinstance(updates, list):
        raise DomainError("invalid", "a delta needs an updates list", {"field": "updates"})
    out: list = []
    errors: list[dict] = []
    fields: list[str] = []
    try:
        check_name(vessel, "context")
    except BadValue as exc:
        raise DomainError("invalid", str(exc), {"field": "context"}) from None
    for i, update in enumerate(updates):
        if not isinstance(update, dict) or not isinstance(update.get("values"), list):
            errors.append({"field": f"updates[{i}]", "message": "each update needs a values list"})
            continue
        try:
            t = _seconds(update.get("timestamp"), received)
            window.check(t, received)
        except BadValue as exc:
            errors.append({"field": f"updates[{i}].timestamp", "message": str(exc)})
            continue
        for j, item in enumerate(update["values"]):
            field = f"updates[{i}].values[{j}]"
            if not isinstance(item, dict):
                errors.append({"field": field, "message": "each value needs a path"})
                continue
            try:
                check_name(item.get("path"), "path")
                value = item.get("value")
                check_value(value)
            except BadValue as exc:
                errors.append({"field": field, "message": str(exc)})
                continue
            out.append(Observation(t, vessel, item["path"], value, source))
            fields.append(field)
    return out, errors, fields


def _order(field: str) -> tuple[int, ...]:
    """``updates[2].values[10]`` → (2, 10), to list errors in the delta's order."""
    return tuple(int(n) for n in re.findall(r"\d+", field))


def window_of(platform) -> TimeWindow:
    config = platform.config
    earliest = datetime(config.time_earliest_year, 1, 1, tzinfo=UTC).timestamp()
    return TimeWindow(earliest=earliest, future=float(config.time_future_seconds))


def publish_delta(platform, data: dict, vessel: str, source: str) -> dict:
    """Validate, publish live, store; the reply says what was kept and what was not.

    The one way clients' deltas enter (hub ``live/publish``, Signal K ``updates``): after
    the values' own checks, the live state's limits (:meth:`LiveState.refusal`) refuse, item
    by item, values under ``resources.`` (70321) and new vessels or paths beyond its bounds
    (70322, 70323, 70324). Refused items are neither stored nor sent; the rest is.
    """
    observations, errors, fields = observations_from_delta(
        data, vessel, source, window_of(platform)
    )
    live = platform.live
    if errors:
        live.rejected += len(errors)
    if observations:
        refused = live.admit(observations)
        if refused:
            gone = set()
            for i, number, counter in refused:
                gone.add(i)
                live.refused[counter] += 1
                detail = f"{observations[i].path[:80]} in vessels.{vessel[:80]}"
                errors.append(
                    {"field": fields[i], "message": coded("invalid", number, detail).message}
                )
            observations = [o for i, o in enumerate(observations) if i not in gone]
            # in the order the client sent them
            errors.sort(key=lambda e: _order(e["field"]))
    store = platform.hub_store
    if observations and not store.accepting:
        spill = store.spill
        room = f"the spill of {spill.max_bytes // (1024 * 1024)} MiB is full" if spill else ""
        raise DomainError(
            "database_unavailable",
            f"50020: the database is away and {room or 'nothing can be kept'}; "
            "nothing of this delta was kept, send it again later",
        )
    if observations:
        platform.hub_store.write(observations)
        live.publish(observations)
    reply = {"accepted": len(observations)}
    if errors:
        reply["rejected"] = len(errors)
        reply["errors"] = errors[:MAX_REPORTED]
    return reply


@event("live", "publish", roles={VESSEL, ADMIN})
async def publish(client, data):
    """A vessel feeds a Signal K delta; it lands in the live state and the database."""
    if not isinstance(data, dict):
        raise DomainError("bad_request", "expected a Signal K delta")
    context = data.get("context", "vessels.self")
    if not isinstance(context, str) or not context.startswith("vessels."):
        raise DomainError("invalid", "context must be vessels.<id>", {"field": "context"})
    vessel = context.split(".", 1)[1]
    return publish_delta(client.platform, data, vessel, f"hub.{client.user.username}")
