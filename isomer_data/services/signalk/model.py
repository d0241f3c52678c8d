"""The Signal K full data model and the platform's own vessel identity.

The live state keys the boat itself as ``self``; Signal K clients expect a URN. The URN
is derived from the instance name, so it is stable across restarts without stored state.
"""

from __future__ import annotations

import uuid

from isomer_data.services.live.subscriptions import iso_time

SIGNALK_VERSION = "1.7.0"


def self_urn(instance: str) -> str:
    return "urn:mrn:signalk:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"isomer-data:{instance}"))


def vessel_id(vessel: str, urn: str) -> str:
    return urn if vessel == "self" else vessel


def full_model(latest: dict, urn: str) -> dict:
    """``{version, self, vessels: {id: {navigation: {position: {value, timestamp, $source}}}}}``."""
    vessels: dict = {}
    for (vessel, path), (t, value, source) in latest.items():
        node = vessels.setdefault(vessel_id(vessel, urn), {})
        parts = path.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict) or "value" in child:
                child = node[part] = {}
            node = child
        node[parts[-1]] = {"value": value, "timestamp": iso_time(t), "$source": source}
    for vid, node in vessels.items():
        node.setdefault(
            "uuid" if vid.startswith("urn:mrn:signalk") else "mmsi", vid.rsplit(":", 1)[-1]
        )
    return {"version": SIGNALK_VERSION, "self": f"vessels.{urn}", "vessels": vessels}


# UDUNITS (the platform's CF table, isomer_data/units.py) → Signal K's unit strings
SIGNALK_UNITS = {"m s-1": "m/s", "rad s-1": "rad/s", "m3 s-1": "m3/s", "1": "ratio"}


def meta_for(path: str) -> dict:
    """Signal K ``meta`` of a path: its SI unit and what it is, where the platform knows."""
    from isomer_data.units import PATHS

    known = PATHS.get(path)
    if known is None:
        return {}
    units, _standard_name, long_name = known
    return {"units": SIGNALK_UNITS.get(units, units), "description": long_name}
