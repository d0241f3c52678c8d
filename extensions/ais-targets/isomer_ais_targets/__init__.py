"""AIS targets: an Isomer Data module (``docs/modules.md`` of the platform).

Every vessel in the live state whose context is an MMSI URN is a target. The watch measures
each from the own ship (distance, bearing, CPA and TCPA from both vessels' course and speed
over ground, :mod:`isomer_ais_targets.cpa`), lists them most dangerous first (``ais/targets``)
and raises the Signal K notification ``notifications.navigation.closestApproach.<mmsi>`` for
a target inside the configured CPA and TCPA limits, back to ``normal`` once it clears.
"""

from __future__ import annotations

from pathlib import Path

from isomer_ais_targets.watch import TargetWatch
from isomer_data.core.modules import Module, Panel
from isomer_data.core.roles import CREW, SCIENTIST, VIEWER

__version__ = "0.1.0"
HERE = Path(__file__).resolve().parent
WATCH: TargetWatch | None = None  # the running watch, for the module's events


async def start(platform, config: dict) -> None:
    global WATCH
    watch = TargetWatch(platform, config)
    await watch.start()
    WATCH = watch


async def stop(platform) -> None:
    global WATCH
    if WATCH is not None:
        WATCH.stop()
        WATCH = None


CONFIG_SCHEMA = {
    "type": "object",
    "properties": {
        "cpa_limit": {
            "type": "number",
            "minimum": 10,
            "maximum": 18520,
            "default": 1000,
            "title": "CPA limit (m)",
            "description": "A target passing closer than this within the TCPA limit raises "
            "a notification (alarm under half of it, warn above)",
        },
        "tcpa_limit": {
            "type": "number",
            "minimum": 30,
            "maximum": 3600,
            "default": 600,
            "title": "TCPA limit (s)",
            "description": "How far ahead a close pass counts",
        },
        "ignored": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[0-9]{9}$"},
            "maxItems": 500,
            "uniqueItems": True,
            "default": [],
            "title": "Ignored MMSIs",
            "description": "Targets that never raise a notification (a tender, a buddy boat)",
        },
        "stale_age": {
            "type": "number",
            "minimum": 10,
            "maximum": 3600,
            "default": 300,
            "title": "Stale after (s)",
            "description": "A target whose last position is older is listed as stale and "
            "raises nothing",
        },
    },
    "additionalProperties": False,
}

MODULE = Module(
    name="ais-targets",
    version=__version__,
    requires=">=0.1",
    description="AIS targets sorted by danger: distance, bearing, CPA and TCPA; "
    "closest-approach alarms.",
    components=["isomer_ais_targets.components"],
    config_schema=CONFIG_SCHEMA,
    start=start,
    stop=stop,
    web=HERE / "web",
    panel=Panel(
        id="ais",
        title="AIS",
        icon="⛴",
        script="ais.js",
        roles=frozenset({CREW, SCIENTIST, VIEWER}),
    ),
)
