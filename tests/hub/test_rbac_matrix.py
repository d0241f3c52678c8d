"""Every declared hub event × every role, and every Jupyter resource × action × role.

The expected tables are written out here on purpose: they are the policy, reviewed by
people. A new event or resource fails this test until someone decides who may use it.
"""

from __future__ import annotations

import pytest

from isomer_data.core.roles import ALL_ROLES
from isomer_data.services.auth.authorizer import ACTIONS, RESOURCES, allowed

A, C, S, V, W, N = "admin", "crew", "scientist", "vessel", "viewer", "anonymous"
LOGGED_IN = {A, C, S, V, W}
ACTORS = LOGGED_IN - {W}  # a viewer changes nothing, not even its own tokens
PEOPLE = {A, C, S}

EXPECTED_EVENTS = {
    ("hub", "ping"): LOGGED_IN | {N},
    ("hub", "whoami"): LOGGED_IN | {N},
    ("hub", "status"): LOGGED_IN,
    ("hub", "resume"): LOGGED_IN,
    ("auth", "login"): LOGGED_IN | {N},
    ("auth", "logout"): LOGGED_IN,
    ("auth", "tokens"): LOGGED_IN,
    ("auth", "createtoken"): ACTORS,
    ("auth", "revoketoken"): ACTORS,
    ("live", "subscribe"): LOGGED_IN,
    ("live", "unsubscribe"): LOGGED_IN,
    ("live", "snapshot"): LOGGED_IN,
    ("live", "publish"): {A, V},
    ("objects", "get"): LOGGED_IN,
    ("objects", "getlist"): LOGGED_IN,
    ("objects", "search"): LOGGED_IN,
    ("objects", "put"): PEOPLE,
    ("objects", "change"): PEOPLE,
    ("objects", "delete"): PEOPLE,
    ("objects", "subscribe"): LOGGED_IN,
    ("objects", "unsubscribe"): LOGGED_IN,
    ("schemas", "all"): LOGGED_IN,
    ("schemas", "get"): LOGGED_IN,
    ("access", "list"): {A},
    ("access", "approve"): {A},
    ("access", "deny"): {A},
    ("modules", "list"): {A},
    ("modules", "configure"): {A},
    ("modules", "enable"): {A},
    ("modules", "disable"): {A},
}

# The modules shipped in extensions/ (installed by scripts/install): checked when installed.
EXTENSION_EVENTS = {
    ("anchor", "set"): {A, C},
    ("anchor", "raise"): {A, C},
    ("anchor", "status"): {A, C, S, V, W},
    ("ais", "targets"): {A, C, S, V, W},
}


def expected_events(table) -> dict:
    return EXPECTED_EVENTS | {k: v for k, v in EXTENSION_EVENTS.items() if k in table}


EXPECTED_JUPYTER = {
    # resource: {role: allowed actions}; admin may do everything
    "api": {C: "r", S: "rwx", V: "r", W: "r"},
    "config": {C: "r", S: "r", W: "r"},
    "contents": {C: "r", S: "rwx", W: "r"},
    "csp": {C: "rw", S: "rwx"},
    "events": {S: "rwx"},
    "kernels": {S: "rwx"},
    "kernelspecs": {C: "r", S: "rwx", W: "r"},
    "nbconvert": {S: "rwx"},
    "server": {},
    "sessions": {C: "r", S: "rwx", W: "r"},
    "terminals": {S: "rwx"},
}


def test_the_tables_cover_everything_declared(started):
    assert set(expected_events(started.events)) == set(started.events)
    assert set(EXPECTED_JUPYTER) == set(RESOURCES)


async def test_every_event_for_every_role(started, tokens, hub_connect):
    failures = []
    expected = expected_events(started.events)
    for key in sorted(started.events):
        for role in ALL_ROLES:
            client = await hub_connect(None if role == N else tokens[role])
            reply = await client.call(*key, None)
            client.close()
            code = reply.get("error", {}).get("code")
            was_allowed = code not in ("forbidden", "unauthenticated")
            if was_allowed != (role in expected[key]):
                failures.append(f"{key} {role}: {'allowed' if was_allowed else 'denied'} ({code})")
    assert failures == []


@pytest.mark.parametrize("resource", RESOURCES)
def test_jupyter_resources_for_every_role(resource):
    for role in ALL_ROLES:
        for action in ACTIONS:
            if role == A:
                expected = True
            else:
                letter = {"read": "r", "write": "w", "execute": "x"}[action]
                expected = letter in EXPECTED_JUPYTER[resource].get(role, "")
            assert allowed((role,), action, resource) is expected, (role, action, resource)


async def test_crew_may_not_start_kernels_but_scientists_may(started, tokens, jp_fetch):
    from tornado.httpclient import HTTPClientError

    with pytest.raises(HTTPClientError) as denied:
        await jp_fetch(
            "api",
            "kernels",
            method="POST",
            body="{}",
            headers={"Authorization": f"token {tokens['crew']}"},
        )
    assert denied.value.code == 403
    with pytest.raises(HTTPClientError) as terminal:
        await jp_fetch(
            "api",
            "terminals",
            method="POST",
            body="{}",
            headers={"Authorization": f"token {tokens['crew']}"},
        )
    assert terminal.value.code == 403
    # crew may still read the API, with the same token Jupyter accepts for anything
    listed = await jp_fetch(
        "api", "kernels", headers={"Authorization": f"token {tokens['scientist']}"}
    )
    assert listed.code == 200
    status = await jp_fetch("api", "status", headers={"Authorization": f"token {tokens['crew']}"})
    assert status.code == 200
