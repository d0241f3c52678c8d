"""Every REST route of the platform, tried as every role: the Authorizer decides, or the
route is public on purpose. A new route without a decision fails here."""

from __future__ import annotations

import pytest
import tornado.httpclient
import tornado.web

from isomer_data.core.roles import ALL_ROLES, ANONYMOUS
from isomer_data.server.extension import handler_table
from isomer_data.services.auth.authorizer import ISOMER_RESOURCES, allowed
from isomer_data.services.signalk.api2 import RESOURCE_TYPES, UUID_ID

METHODS = ("get", "post", "put", "patch", "delete")
ACTION = {"GET": "read", "POST": "write", "PUT": "write", "PATCH": "write", "DELETE": "write"}

# Routes anyone may call, and why (checked against the table below: nothing else is public).
PUBLIC = {
    ("/isomer/api/status", "GET"): "health check",
    ("/isomer/api/login", "POST"): "logging in",
    ("/isomer/api/logout", "POST"): "logging out ends whatever session there is",
    ("/isomer/api/logout", "PUT"): "logging out (Signal K's verb)",
    ("/signalk/?", "GET"): "Signal K discovery",
    ("/signalk/v1/api/?(.*)", "GET"): "answers 401 itself without a login (Signal K clients)",
    ("/signalk/v1/auth/login", "POST"): "logging in",
    ("/signalk/v1/auth/logout", "PUT"): "logging out",
    ("/signalk/v1/auth/logout", "POST"): "logging out",
    ("/signalk/v1/access/requests", "POST"): "devices ask for access",
    ("/signalk/v1/requests/([0-9a-f]{32})", "GET"): "the asking device polls (secret id)",
    ("/isomer/static/(.*)", "GET"): "the panels' own scripts and styles",
    ("/skServer/loginStatus/?", "GET"): "Signal K apps ask whether they are logged in",
    ("/signalk/v2/features/?", "GET"): "Signal K capabilities, public like discovery",
}
WEBSOCKETS = {"/isomer/ws", "/signalk/v1/stream/?"}  # tested in test_socket_*.py

SAMPLES = {
    "([a-z0-9_]+)": "logbook",
    "([A-Za-z0-9_-]+)": "no-such-object",
    "([A-Za-z0-9]+)": "nosuchtoken",
    "([A-Za-z]{6})": "DEPARE",
    "(\\d{1,10})": "0",  # a tile's z, x or y
    "(active|config)": "active",
    "(presets)/([a-z0-9-]{1,40})": "presets/metric",
    "([a-z][a-z0-9_-]{0,39})": "groups",
    "([a-z0-9][a-z0-9._-]{0,59})": "freeboard-sk",
    "(user|global)": "user",
    "([A-Za-z0-9][A-Za-z0-9._-]{0,28})": "freeboard",
    "(v?[0-9][0-9.]{0,29})/(.*)": "1.0.0/",
    # Signal K v2 (services/signalk/api2.py) and v1 PUT requests
    RESOURCE_TYPES: "waypoints",
    "([A-Za-z0-9_-]{1,64})": "0f8fad5b-d9cb-469f-a165-70867728950e",  # also a chart id
    "(destination|activeRoute|arrivalCircle|restart|targetArrivalTime)": "destination",
    "(nextPoint|pointIndex|reverse|refresh)": "nextPoint",
    "(silenceAll|acknowledgeAll)": "silenceAll",
    "(silence|acknowledge)": "silence",
    UUID_ID: "0f8fad5b-d9cb-469f-a165-70867728950e",
    "(.*)": "vessels/self/navigation/anchor/position",
}


def routes():
    for spec in handler_table():
        pattern, handler = spec[0], spec[1]
        if pattern in WEBSOCKETS:
            continue
        for method in METHODS:
            if getattr(handler, method) is not getattr(tornado.web.RequestHandler, method):
                yield pattern, handler, method.upper()


def sample_path(pattern: str) -> str:
    path = pattern.rstrip("?").replace("/?", "/").replace("\\.", ".")
    for group, value in SAMPLES.items():
        path = path.replace(group, value)
    assert "(" not in path, f"no sample for {pattern}: add one to SAMPLES"
    return path.lstrip("/")


def test_every_route_is_public_on_purpose_or_authorized():
    seen = set()
    for pattern, handler, method in routes():
        seen.add((pattern, method))
        if (pattern, method) in PUBLIC:
            continue
        resource = getattr(handler, "auth_resource", None)
        assert resource in ISOMER_RESOURCES, f"{method} {pattern}: no auth_resource"
    assert set(PUBLIC) <= seen, "a public route listed here no longer exists"


async def test_every_authorized_route_for_every_role(started, tokens, jp_fetch):
    failures = []
    for pattern, handler, method in routes():
        if (pattern, method) in PUBLIC:
            continue
        resource = handler.auth_resource
        for role in ALL_ROLES:
            headers = {"Authorization": f"token {tokens[role]}"} if role != ANONYMOUS else {}
            if role == ANONYMOUS:
                headers["Authorization"] = ""  # jp_fetch would send the server token
            body = None if method in ("GET", "DELETE") else "{}"
            try:
                response = await jp_fetch(
                    *sample_path(pattern).split("/"),
                    method=method,
                    body=body,
                    headers=headers,
                    follow_redirects=False,
                    raise_error=False,
                )
                code = response.code
            except tornado.httpclient.HTTPClientError as err:
                code = err.code
            refused = code in (401, 403) or (role == ANONYMOUS and code == 302)
            expected = role != ANONYMOUS and allowed((role,), ACTION[method], resource)
            if refused == expected:
                failures.append(f"{method} {pattern} as {role}: {code}")
    assert failures == []


@pytest.mark.parametrize("route", sorted(PUBLIC))
def test_public_routes_say_so(route):
    """Public handlers carry Jupyter's own marker: nothing is public by accident."""
    pattern, method = route
    for spec in handler_table():
        if spec[0] == pattern:
            function = getattr(spec[1], method.lower())
            if getattr(spec[1], "auth_resource", None) is None or pattern.startswith(
                "/isomer/static"
            ):
                marked = getattr(function, "__allow_unauthenticated", False)
                assert marked or pattern.startswith("/isomer/static"), route
