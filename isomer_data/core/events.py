"""Hub events: every ``{component, action}`` a client may send, and who may send it.

This is the first level of the original Isomer's RBAC: an event declares the roles allowed
to call it (admin always may), and is callable anonymously only when it says so. The second
level, per-object permissions, is the object manager's.

``@event`` only *marks* a handler. The running platform builds its own table
(``platform.events``, an :class:`EventTable`) from the components of the services and
modules it loaded, so importing a module twice, or loading a second platform in one
process, changes nothing, and a module that fails to load adds no events. The allow/deny
matrix test walks that table: an event cannot be added without deciding who may call it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType

from isomer_data.core.errors import DomainError
from isomer_data.core.roles import ADMIN, ANONYMOUS, CREW, ROLES, SCIENTIST, VESSEL, VIEWER

PEOPLE = frozenset({CREW, SCIENTIST})  # people who change things; plus admin, implicitly
READERS = PEOPLE | {VIEWER}  # people who read what crew reads (panels, web apps)
# Every logged-in role: for reads and a caller's own session, nothing that changes data.
EVERYONE = frozenset(ROLES)
ACTORS = EVERYONE - {VIEWER}  # every logged-in role that may change something of its own
ANYONE = frozenset((*ROLES, ANONYMOUS))
MARK = "__isomer_event__"


@dataclass(frozen=True)
class Event:
    component: str
    action: str
    roles: frozenset
    handler: Callable[..., Awaitable]
    doc: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.component, self.action)

    @property
    def anonymous(self) -> bool:
        return ANONYMOUS in self.roles

    def allows(self, roles) -> bool:
        return ADMIN in roles or any(role in self.roles for role in roles)


def event(component: str, action: str, roles=ACTORS):
    """Mark ``async def handler(client, data) -> reply data`` as the event component/action.

    Without ``roles``, every logged-in role but ``viewer`` may call it: a viewer changes
    nothing, so an event lets viewers in only by saying so (``EVERYONE``, ``READERS``, or a
    set naming ``VIEWER``), for what only reads."""

    def mark(handler):
        doc = (handler.__doc__ or "").strip()
        setattr(handler, MARK, Event(component, action, frozenset(roles), handler, doc))
        return handler

    return mark


def events_of(module: ModuleType) -> list[Event]:
    """The events a components module marks, in definition order."""
    return [getattr(v, MARK) for v in vars(module).values() if callable(v) and hasattr(v, MARK)]


class EventTable(Mapping):
    """One platform's events, keyed by ``(component, action)``, with who brought each."""

    def __init__(self) -> None:
        self._events: dict[tuple[str, str], Event] = {}
        self.owners: dict[tuple[str, str], str] = {}

    def add_module(self, module: ModuleType, owner: str) -> list[Event]:
        """Add a components module's events; a key taken by another owner is refused whole."""
        found = events_of(module)
        for ev in found:
            taken = self.owners.get(ev.key)
            if taken is not None and taken != owner:
                raise ValueError(f"event {ev.component}/{ev.action} of {owner} is {taken}'s")
        for ev in found:
            self._events[ev.key] = ev
            self.owners[ev.key] = owner
        return found

    def add(self, ev: Event, owner: str) -> None:
        """Add one event; a key another owner holds is refused."""
        taken = self.owners.get(ev.key)
        if taken is not None and taken != owner:
            raise ValueError(f"event {ev.component}/{ev.action} of {owner} is {taken}'s")
        self._events[ev.key] = ev
        self.owners[ev.key] = owner

    def remove_owner(self, owner: str) -> None:
        """Forget the events one service or module brought (it was unloaded)."""
        for key in [k for k, o in self.owners.items() if o == owner]:
            del self._events[key], self.owners[key]

    def __getitem__(self, key: tuple[str, str]) -> Event:
        return self._events[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)


__all__ = [
    "ACTORS",
    "ADMIN",
    "ANYONE",
    "EVERYONE",
    "PEOPLE",
    "READERS",
    "VESSEL",
    "VIEWER",
    "DomainError",
    "Event",
    "EventTable",
    "event",
    "events_of",
]
