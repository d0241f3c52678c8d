"""The built-in crew panels, as modules of the same contract third parties use.

Each is a :class:`~isomer_data.core.modules.Module` with a panel whose script lives in
``web/modules/``; the shell at ``/isomer/`` knows none of them by name.
"""

from __future__ import annotations

from pathlib import Path

from isomer_data import __version__
from isomer_data.core.events import READERS
from isomer_data.core.modules import Module, Panel
from isomer_data.core.roles import ADMIN

WEB = Path(__file__).resolve().parent / "web" / "modules"


# The read views (instruments, map, logbook) are a viewer's too: what they change goes
# through hub events and Signal K writes that refuse a viewer on their own.
def _builtin(name: str, title: str, icon: str, roles=READERS, description: str = "") -> Module:
    return Module(
        name=name,
        version=__version__,
        description=description,
        web=WEB,
        panel=Panel(id=name, title=title, icon=icon, script=f"{name}.js", roles=roles),
        handler_roles=roles,
        enabled_by_default=True,
    )


instruments = _builtin(
    "instruments", "Instruments", "⏱", description="Speed, depth, wind, water, position."
)
map = _builtin("map", "Map", "🗺", description="Own ship, track and AIS targets on the chart.")  # noqa: A001
logbook = _builtin("logbook", "Logbook", "📖", description="The ship's log, with positions.")
users = _builtin(
    "users",
    "Users",
    "👤",
    roles=frozenset({ADMIN}),
    description="Users, and devices asking for access.",
)
modules = _builtin(
    "modules",
    "Modules",
    "🧩",
    roles=frozenset({ADMIN}),
    description="Installed modules: state, enable/disable, configuration.",
)
