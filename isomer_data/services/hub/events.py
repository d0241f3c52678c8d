"""The event table: every ``{component, action}`` a client may send, and who may send it.

This is the first level of the original Isomer's RBAC: an event declares the roles allowed
to call it (admin always may), and is callable anonymously only when it says so. The second
level, per-object permissions, is the object manager's. Components register their events
with ``@event``; the allow/deny matrix test walks this table, so an event cannot be added
without deciding who may call it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from isomer_data.services.auth.roles import ADMIN, ANONYMOUS, CREW, ROLES, SCIENTIST, VESSEL

PEOPLE = frozenset({CREW, SCIENTIST})  # plus admin, implicitly
EVERYONE = frozenset(ROLES)
ANYONE = frozenset((*ROLES, ANONYMOUS))


class HubError(Exception):
    """An error reply to one client: a short machine code and a message for people."""

    def __init__(self, code: str, message: str, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def to_json(self) -> dict:
        out = {"code": self.code, "message": self.message}
        if self.details is not None:
            out["details"] = self.details
        return out


@dataclass(frozen=True)
class Event:
    component: str
    action: str
    roles: frozenset
    handler: Callable[..., Awaitable]
    doc: str = ""

    @property
    def anonymous(self) -> bool:
        return ANONYMOUS in self.roles

    def allows(self, roles) -> bool:
        return ADMIN in roles or any(role in self.roles for role in roles)


EVENTS: dict[tuple[str, str], Event] = {}


def event(component: str, action: str, roles=EVERYONE):
    """Register ``async def handler(client, data) -> reply data`` for component/action."""

    def register(handler):
        key = (component, action)
        if key in EVENTS:
            raise ValueError(f"event {component}/{action} registered twice")
        EVENTS[key] = Event(
            component, action, frozenset(roles), handler, (handler.__doc__ or "").strip()
        )
        return handler

    return register


__all__ = [
    "ADMIN",
    "ANYONE",
    "EVENTS",
    "EVERYONE",
    "PEOPLE",
    "VESSEL",
    "Event",
    "HubError",
    "event",
]
