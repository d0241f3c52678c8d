"""Module administration over the hub: admins only, since a module's settings change what
the platform does for everyone (and may hold credentials).
"""

from __future__ import annotations

from isomer_data.core.events import DomainError, event
from isomer_data.core.roles import ADMIN


def _modules(client):
    modules = getattr(client.platform, "modules", None)
    if modules is None:
        raise DomainError("unavailable", "modules are not loaded")
    return modules


def _name(data) -> str:
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise DomainError("bad_request", 'expected {"name": …}', {"field": "name"})
    return data["name"]


@event("modules", "list", roles={ADMIN})
async def list_modules(client, data):
    """Every module with its state, error, configuration and configuration schema."""
    return _modules(client).describe()


@event("modules", "configure", roles={ADMIN})
async def configure(client, data):
    """Save ``{name, config}`` (validated, field errors) and restart that module only."""
    name = _name(data)
    loaded = await _modules(client).configure(name, data.get("config"))
    return loaded.describe()


@event("modules", "enable", roles={ADMIN})
async def enable(client, data):
    """Enable and start module ``{name}``."""
    return (await _modules(client).set_enabled(_name(data), True)).describe()


@event("modules", "disable", roles={ADMIN})
async def disable(client, data):
    """Stop and disable module ``{name}``: its events, handlers and panel go quiet."""
    return (await _modules(client).set_enabled(_name(data), False)).describe()
