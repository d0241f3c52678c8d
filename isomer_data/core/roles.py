"""Who a request is: the user model shared by the identity provider, the authorizer and the hub.

Roles are the unit of permission, as in the original Isomer: events declare which roles may
call them, and stored objects carry per-role ``{read, write, list, delete}`` permissions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jupyter_server.auth.identity import User

ADMIN = "admin"
CREW = "crew"
SCIENTIST = "scientist"
VESSEL = "vessel"  # a machine identity: a boat or gateway feeding data
# Reads what crew reads and changes nothing: Signal K ``readonly`` devices (instrument
# displays) and people who only look. No deltas, PUTs, object writes, alarm acknowledging
# or silencing, applicationData writes, tokens or kernels.
VIEWER = "viewer"
ANONYMOUS = "anonymous"

ROLES = (ADMIN, CREW, SCIENTIST, VESSEL, VIEWER)
ALL_ROLES = (*ROLES, ANONYMOUS)


@dataclass
class IsomerUser(User):
    """A jupyter_server ``User`` that also carries its roles and what kind of identity it is."""

    roles: tuple[str, ...] = field(default_factory=tuple)
    kind: str = "person"  # "person" or "device"
    user_id: str = ""  # the users collection's _id; the cookie carries only this

    def has_role(self, *roles: str) -> bool:
        return ADMIN in self.roles or any(role in self.roles for role in roles)


def read_only(roles) -> bool:
    """True when these roles may change nothing at all (a viewer, or nobody)."""
    return all(role in (VIEWER, ANONYMOUS) for role in roles)


def roles_of(user) -> tuple[str, ...]:
    """Roles of any user object Jupyter hands us; no user at all means anonymous."""
    if user is None:
        return (ANONYMOUS,)
    return tuple(getattr(user, "roles", ())) or (ANONYMOUS,)
