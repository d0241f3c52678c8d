"""Roles onto Jupyter's own resources.

Jupyter asks ``is_authorized(handler, user, action, resource)`` with action ``read``,
``write`` or ``execute`` on resources such as ``kernels``, ``terminals``, ``contents``.
Starting a kernel or a terminal is running arbitrary code on the boat's computer, so only
scientists (and admins) may; crew may read notebooks and the API but not run them; a vessel
identity only feeds data and reads the API.
"""

from __future__ import annotations

from jupyter_server.auth.authorizer import Authorizer

from isomer_data.services.auth.roles import ADMIN, CREW, SCIENTIST, VESSEL, roles_of

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

# role → resource → allowed actions; admin may do everything, unknown resources nothing.
POLICY: dict[str, dict[str, frozenset]] = {
    SCIENTIST: {
        resource: EVERYTHING for resource in RESOURCES if resource not in ("server", "config")
    }
    | {"config": frozenset({READ})},
    CREW: {
        "api": frozenset({READ}),
        "config": frozenset({READ}),
        "contents": frozenset({READ}),
        "csp": frozenset({READ, WRITE}),  # browsers post CSP violation reports
        "kernelspecs": frozenset({READ}),
        "sessions": frozenset({READ}),
    },
    # "sync" is no Jupyter resource: the sync service's own, submitting batches (services/sync).
    VESSEL: {"api": frozenset({READ}), "sync": frozenset({WRITE})},
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
