"""Anchor watch: an Isomer Data module (``docs/modules.md`` of the platform).

The watch listens to the boat's own positions in the live state. Each position is measured
against the anchor; once the boat has been outside the circle for ``alarm_delay`` seconds
of *observation* time (so a replayed track behaves as a live one), the module publishes the
Signal K notification ``notifications.navigation.anchor`` with state ``alarm``; back inside,
``normal``. The anchor is stored in the database, so a restart (a new configuration) keeps
watching the same anchor.
"""

from __future__ import annotations

from pathlib import Path

from isomer_anchor_watch.watch import AnchorWatch
from isomer_data.core.modules import Module, Panel
from isomer_data.core.roles import CREW, SCIENTIST, VESSEL, VIEWER

__version__ = "0.1.0"
HERE = Path(__file__).resolve().parent
WATCH: AnchorWatch | None = None  # the running watch, for the module's events


async def start(platform, config: dict) -> None:
    global WATCH
    watch = AnchorWatch(platform, config)
    await watch.start()
    WATCH = watch


async def stop(platform) -> None:
    global WATCH
    if WATCH is not None:
        WATCH.stop()
        WATCH = None


MODULE = Module(
    name="anchor-watch",
    version=__version__,
    requires=">=0.1",
    description="Set the anchor, watch the swing, alarm when the boat drags out of the circle.",
    components=["isomer_anchor_watch.components"],
    config_schema={
        "type": "object",
        "properties": {
            "default_radius": {
                "type": "number",
                "minimum": 5,
                "maximum": 2000,
                "default": 40,
                "title": "Default radius (m)",
            },
            "alarm_delay": {
                "type": "number",
                "minimum": 0,
                "maximum": 600,
                "default": 10,
                "title": "Alarm delay (s)",
                "description": "How long the boat must stay outside the circle before the alarm",
            },
        },
        "additionalProperties": False,
    },
    start=start,
    stop=stop,
    web=HERE / "web",
    panel=Panel(
        id="anchor",
        title="Anchor",
        icon="⚓",
        script="anchor.js",
        roles=frozenset({CREW, SCIENTIST, VESSEL, VIEWER}),  # viewers see, crew sets
    ),
)
