"""Roles onto Jupyter's own resources.

Jupyter asks ``is_authorized(handler, user, action, resource)`` with action ``read``,
``write`` or ``execute`` on resources such as ``kernels``, ``terminals``, ``contents``.
Starting a kernel or a terminal is running arbitrary code on the boat's computer, so only
scientists (and admins) may; crew may read notebooks and the API but not run them; a vessel
identity only feeds data and reads the API; a viewer (a Signal K ``readonly`` device, or a
person who only looks) reads what crew reads and writes nothing.
"""

from __future__ import annotations

from jupyter_server.auth.authorizer import Authorizer

from isomer_data.core.roles import ADMIN, CREW, SCIENTIST, VESSEL, VIEWER, roles_of

READ, WRITE, EXECUTE = "read", "write", "execute"
ACTIONS = (READ, WRITE, EXECUTE)
EVERYTHING = frozenset(ACTIONS)

# Every resource jupyter_server, jupyterlab and the terminals extension declare.
RESOURCES = (
    "api",
    "config",
    "contents",
    "csp",
    "events",
    "kernels",
    "kernelspecs",
    "nbconvert",
    "server",
    "sessions",
    "terminals",
)

# The platform's own REST resources (handlers declare ``auth_resource`` and ``@authorized``;
# GET is "read", POST/PUT/PATCH/DELETE "write"). Per-object rules stay the object
# manager's: "write" on objects lets a role try; the object's permissions decide.
OBJECTS = "isomer.objects"  # /isomer/api/objects/…, the same roles as the objects/* events
SCHEMAS = "isomer.schemas"  # /isomer/api/schemas
TOKENS = "isomer.tokens"  # /isomer/api/tokens: each user's own (admins: anyone's)
IDENTITY = "isomer.identity"  # /isomer/api/whoami
DATA = "isomer.data"  # /isomer/api/data/…: the stored history
PANELS = "isomer.panels"  # /isomer/: the crew panels page
SYNC = "isomer.sync"  # /isomer/api/sync/…: a boat's batches to this shore
CHARTS = "isomer.charts"  # Signal K chart resources and tiles: read only
# Signal K beside the data: the v2 APIs (resources, course, notifications), v1 PUT requests,
# and what web apps call (web-app list, unit preferences, plugin probes, applicationData).
# Crew and scientists read and change, vessels (machine identities) read; objects' own
# permissions apply on top.
SIGNALK = "isomer.signalk"
ISOMER_RESOURCES = (OBJECTS, SCHEMAS, TOKENS, IDENTITY, DATA, PANELS, SYNC, CHARTS, SIGNALK)

R, RW = frozenset({READ}), frozenset({READ, WRITE})

# role → resource → allowed actions; admin may do everything, unknown resources nothing.
POLICY: dict[str, dict[str, frozenset]] = {
    SCIENTIST: {
        resource: EVERYTHING for resource in RESOURCES if resource not in ("server", "config")
    }
    | {"config": R}
    | {
        OBJECTS: RW,
        SCHEMAS: R,
        TOKENS: RW,
        IDENTITY: R,
        DATA: R,
        PANELS: R,
        CHARTS: R,
        SIGNALK: RW,
    },
    CREW: {
        "api": R,
        "config": R,
        "contents": R,
        "csp": RW,  # browsers post CSP violation reports
        "kernelspecs": R,
        "sessions": R,
    }
    | {
        OBJECTS: RW,
        SCHEMAS: R,
        TOKENS: RW,
        IDENTITY: R,
        DATA: R,
        PANELS: R,
        CHARTS: R,
        SIGNALK: RW,
    },
    # Crew's reads, no writes: no objects, Signal K PUTs or v2 changes (acknowledging or
    # silencing alarms, waypoints, the course), applicationData or tokens; notebooks are
    # read, never written or run (no kernels, terminals, sessions started).
    # Jupyter: crew's read-only subset (not even CSP violation reports, a write; a viewer's
    # browser is refused them, which changes nothing for the page).
    VIEWER: {
        "api": R,
        "config": R,
        "contents": R,
        "kernelspecs": R,
        "sessions": R,
    }
    | {
        OBJECTS: R,
        SCHEMAS: R,
        TOKENS: R,
        IDENTITY: R,
        DATA: R,
        PANELS: R,
        CHARTS: R,
        SIGNALK: R,
    },
    # A machine identity feeds data: it reads objects it is given (its vessel record) and
    # the schemas, manages its own tokens, and never reads the fleet's history. Its panel
    # manifest is empty (no panel is for vessels). It submits sync batches to a shore and
    # reads its position there (services/sync).
    VESSEL: {
        "api": R,
        OBJECTS: R,
        SCHEMAS: R,
        TOKENS: RW,
        IDENTITY: R,
        PANELS: R,
        SYNC: RW,
        SIGNALK: R,
    },
}


def allowed(roles, action: str, resource: str) -> bool:
    if ADMIN in roles:
        return True
    return any(action in POLICY.get(role, {}).get(resource, ()) for role in roles)


class IsomerAuthorizer(Authorizer):
    def is_authorized(self, handler, user, action: str, resource: str) -> bool:
        ok = allowed(roles_of(user), action, resource)
        if not ok:
            self.log.info(
                "denied %s on %s to %s (roles %s)",
                action,
                resource,
                getattr(user, "username", "anonymous"),
                ",".join(roles_of(user)),
            )
        return ok
