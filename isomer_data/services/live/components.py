"""Live data over the hub: subscribe to paths, read the latest values, publish as a vessel."""

from __future__ import annotations

import math
import time
from datetime import datetime

from isomer_data.services.hub.events import ADMIN, EVERYONE, VESSEL, HubError, event
from isomer_data.services.live.subscriptions import Subscription, SubscriptionError

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
        raise HubError("bad_request", 'expected {"subscribe": [{"path": …}]} or {"paths": […]}')
    context = data.get("context", "vessels.self")
    if not isinstance(context, str):
        raise HubError("invalid", "context must be a string", {"field": "context"})
    specs = data.get("subscribe")
    if specs is None and "paths" in data:
        common = {k: data[k] for k in ("period", "policy", "minPeriod") if k in data}
        paths = data["paths"] if isinstance(data["paths"], list) else [data["paths"]]
        specs = [{**common, "path": p} for p in paths]
    if not isinstance(specs, list) or not specs:
        raise HubError("invalid", "nothing to subscribe to", {"field": "subscribe"})
    if len(specs) > MAX_SUBSCRIBE:
        raise HubError(
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
            raise HubError("invalid", str(exc), {"field": f"subscribe[{i}]"}) from None
    return subs


def snapshot_for(client, subs: list[Subscription]) -> None:
    """Send the current values of what was just subscribed to, so a panel fills at once."""
    from isomer_data.services.live.subscriptions import _Obs

    latest = client.platform.live.latest
    found = [
        _Obs(vessel, path, *value)
        for (vessel, path), value in latest.items()
        if any(s.matches(f"vessels.{vessel}", path) for s in subs)
    ]
    by_vessel: dict[str, list] = {}
    for o in found:
        by_vessel.setdefault(o.vessel, []).append(o)
    for group in by_vessel.values():
        client.send(client._frame_batch(group))


@event("live", "subscribe", roles=EVERYONE)
async def subscribe(client, data):
    """Subscribe to paths (wildcards ``*``), each with period, policy and minPeriod in ms."""
    subs = parse_subscriptions(data)
    client.subscribe(subs)
    if client.timed:
        client.platform.fanout.ensure_ticker()
    snapshot_for(client, subs)
    return {"subscribed": [s.to_json() for s in subs]}


@event("live", "unsubscribe", roles=EVERYONE)
async def unsubscribe(client, data):
    """Remove subscriptions matching ``{context, path}`` (both default to ``*``)."""
    data = data if isinstance(data, dict) else {}
    context, path = split_full_path(str(data.get("path", "*")), str(data.get("context", "*")))
    try:
        return {"removed": client.unsubscribe(context, path)}
    except SubscriptionError as exc:
        raise HubError("invalid", str(exc), {"field": "path"}) from None


@event("live", "snapshot", roles=EVERYONE)
async def snapshot(client, data):
    """Latest value of every path, per vessel (``{vessel}`` narrows it)."""
    vessel = data.get("vessel") if isinstance(data, dict) else None
    return client.platform.live.snapshot(vessel)


def _seconds(stamp) -> float:
    if stamp is None:
        return time.time()
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise HubError("invalid", f"timestamp {stamp!r} is not ISO 8601") from None


def observations_from_delta(data: dict, vessel: str, source: str) -> list:
    from ingest.observation import Observation

    updates = data.get("updates")
    if not isinstance(updates, list):
        raise HubError("invalid", "a delta needs an updates list", {"field": "updates"})
    out = []
    for i, update in enumerate(updates):
        if not isinstance(update, dict) or not isinstance(update.get("values"), list):
            raise HubError("invalid", "each update needs a values list", {"field": f"updates[{i}]"})
        t = _seconds(update.get("timestamp"))
        for j, item in enumerate(update["values"]):
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                raise HubError(
                    "invalid", "each value needs a path", {"field": f"updates[{i}].values[{j}]"}
                )
            value = item.get("value")
            if isinstance(value, float) and not math.isfinite(value):
                raise HubError(
                    "invalid", "values must be finite", {"field": f"updates[{i}].values[{j}]"}
                )
            out.append(Observation(t, vessel, item["path"], value, source))
    return out


@event("live", "publish", roles={VESSEL, ADMIN})
async def publish(client, data):
    """A vessel feeds a Signal K delta; it lands in the live state and the database."""
    if not isinstance(data, dict):
        raise HubError("bad_request", "expected a Signal K delta")
    context = data.get("context", "vessels.self")
    if not isinstance(context, str) or not context.startswith("vessels."):
        raise HubError("invalid", "context must be vessels.<id>", {"field": "context"})
    vessel = context.split(".", 1)[1]
    observations = observations_from_delta(data, vessel, f"hub.{client.user.username}")
    client.platform.live.publish(observations)
    client.platform.hub_store.write(observations)
    return {"accepted": len(observations)}
