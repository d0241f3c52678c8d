"""A page on another site cannot act with a logged-in browser's cookies.

Cookies are sent by the browser on its own, so whatever they carry (the login cookie, or
the Signal K ``JAUTHENTICATION`` cookie holding a token) is *cookie* authentication:
state-changing requests need Jupyter's XSRF token and come from this origin, websockets
check Origin. Explicit tokens (``Authorization`` header) are a script's and need neither.
"""

from __future__ import annotations

import json

import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.websocket

from isomer_data.services.auth import login as login_module

EVIL = "http://evil.example"


@pytest.fixture
def http_server(jp_asyncio_loop, http_server_port, jp_web_app):
    """pytest-jupyter's server, trusting ``X-Forwarded-Proto`` as ``isomer launch`` behind a
    TLS-terminating proxy does (``ServerApp.trust_xheaders``): so HTTPS can be tried."""

    async def start():
        server = tornado.httpserver.HTTPServer(jp_web_app, xheaders=True)
        server.add_socket(http_server_port[0])
        return server

    server = jp_asyncio_loop.run_until_complete(start())
    yield server
    server.stop()
    jp_asyncio_loop.run_until_complete(server.close_all_connections())
    http_server_port[0].close()


@pytest.fixture
def http(http_server_client, jp_http_port, jp_base_url, started):
    client = tornado.httpclient.AsyncHTTPClient()
    base = f"http://localhost:{jp_http_port}{jp_base_url}"

    async def fetch(path, **kwargs):
        kwargs.setdefault("raise_error", False)
        kwargs.setdefault("follow_redirects", False)
        return await client.fetch(base + path, **kwargs)

    fetch.origin = f"http://localhost:{jp_http_port}"  # what a page of this server sends
    login_module._failures.clear()
    yield fetch
    login_module._failures.clear()


@pytest.fixture
def ws(jp_http_port, jp_base_url):
    opened = []

    async def connect(path: str, headers: dict):
        url = f"ws://localhost:{jp_http_port}{jp_base_url}{path}"
        request = tornado.httpclient.HTTPRequest(url, headers=headers)
        conn = await tornado.websocket.websocket_connect(request)
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


def set_cookies(response) -> dict[str, str]:
    """name -> the whole Set-Cookie header."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("Set-Cookie")}


async def _signalk_login(http, username, password, headers=None) -> tuple[str, str]:
    response = await http(
        "signalk/v1/auth/login",
        method="POST",
        body=json.dumps({"username": username, "password": password}),
        headers=headers or {},
    )
    assert response.code == 200, response.body
    return json.loads(response.body)["token"], set_cookies(response)["JAUTHENTICATION"]


def _new_user(name: str) -> str:
    return json.dumps({"username": name, "password": "long enough 1", "roles": ["admin"]})


async def _user_exists(started, name: str) -> bool:
    return await started.users.get(name) is not None


async def test_cross_site_post_with_the_signalk_cookie_is_refused(tokens, http, password, started):
    token, _ = await _signalk_login(http, "admin1", password)
    cookie = {"Cookie": f"JAUTHENTICATION={token}"}
    # the classic "simple" cross-site request: a form-like POST from another site
    forged = await http(
        "isomer/api/objects/user",
        method="POST",
        body=_new_user("mallory"),
        headers={**cookie, "Content-Type": "text/plain", "Origin": EVIL},
    )
    assert forged.code in (403, 404)
    # without an Origin header (old browsers, privacy extensions) XSRF still stops it
    no_origin = await http(
        "isomer/api/objects/user",
        method="POST",
        body=_new_user("mallory"),
        headers={**cookie, "Content-Type": "text/plain"},
    )
    assert no_origin.code == 403
    assert not await _user_exists(started, "mallory")

    # the same browser on this origin, with Jupyter's XSRF token, may
    page = await http("login")
    xsrf = set_cookies(page)["_xsrf"].split(";")[0].split("=", 1)[1]
    own = await http(
        "isomer/api/objects/user",
        method="POST",
        body=_new_user("mate"),
        headers={
            "Cookie": f"JAUTHENTICATION={token}; _xsrf={xsrf}",
            "X-XSRFToken": xsrf,
            "Origin": http.origin,
        },
    )
    assert own.code == 201, own.body

    # a script with the token in the Authorization header needs no XSRF, from anywhere
    script = await http(
        "isomer/api/objects/user",
        method="POST",
        body=_new_user("deckhand"),
        headers={"Authorization": f"token {token}", "Origin": EVIL},
    )
    assert script.code == 201, script.body


async def test_websockets_check_origin_for_cookie_logins(tokens, http, password, ws):
    token, _ = await _signalk_login(http, "crew1", password)
    cookie = {"Cookie": f"JAUTHENTICATION={token}"}
    for path in ("isomer/ws", "signalk/v1/stream"):
        with pytest.raises(tornado.httpclient.HTTPClientError) as refused:
            await ws(path, {**cookie, "Origin": EVIL})
        assert refused.value.code == 403, path
        conn = await ws(path, cookie)  # no Origin: not a browser on another site
        assert await conn.read_message() is not None
    same = await ws("isomer/ws", {**cookie, "Origin": http.origin})
    await same.read_message()  # hub/hello
    await same.write_message(json.dumps({"component": "hub", "action": "whoami", "id": 1}))
    reply = json.loads(await same.read_message())
    assert reply["data"]["user"] == "crew1" and reply["data"]["roles"] == ["crew"]
    # a script's token in the header works from anywhere
    conn = await ws("isomer/ws", {"Authorization": f"token {token}", "Origin": EVIL})
    assert await conn.read_message() is not None


async def test_kernel_channels_refuse_a_cross_site_cookie(tokens, http, password, ws, jp_serverapp):
    token, _ = await _signalk_login(http, "scientist1", password)
    started_kernel = await http(
        "api/kernels",
        method="POST",
        body=json.dumps({"name": "python3"}),
        headers={"Authorization": f"token {token}"},
    )
    assert started_kernel.code == 201, started_kernel.body
    kernel_id = json.loads(started_kernel.body)["id"]
    try:
        path = f"api/kernels/{kernel_id}/channels"
        with pytest.raises(tornado.httpclient.HTTPClientError) as refused:
            await ws(path, {"Cookie": f"JAUTHENTICATION={token}", "Origin": EVIL})
        assert refused.value.code == 403
        # and a cross-site POST cannot start one either
        forged = await http(
            "api/kernels",
            method="POST",
            body=json.dumps({"name": "python3"}),
            headers={
                "Cookie": f"JAUTHENTICATION={token}",
                "Content-Type": "text/plain",
                "Origin": EVIL,
            },
        )
        assert forged.code in (403, 404)
    finally:
        await jp_serverapp.kernel_manager.shutdown_kernel(kernel_id, now=True)


async def test_login_cookies_are_httponly_samesite_and_secure_under_https(tokens, http, password):
    # Signal K login
    _, header = await _signalk_login(http, "crew1", password)
    attributes = header.lower()
    assert "httponly" in attributes and "samesite=strict" in attributes and "path=/" in attributes
    assert "secure" not in attributes.replace(
        "samesite", ""
    )  # plain HTTP: a Secure cookie would be dropped
    _, header = await _signalk_login(http, "crew1", password, {"X-Forwarded-Proto": "https"})
    assert "; secure" in header.lower()

    # the login page
    for proto, secure in (("http", False), ("https", True)):
        page = await http("login", headers={"X-Forwarded-Proto": proto})
        xsrf = set_cookies(page)["_xsrf"].split(";")[0].split("=", 1)[1]
        response = await http(
            "login",
            method="POST",
            body=f"username=crew1&password={password.replace(' ', '+')}&_xsrf={xsrf}",
            headers={"Cookie": f"_xsrf={xsrf}", "X-Forwarded-Proto": proto},
        )
        assert response.code == 302, response.body
        login = next(v for k, v in set_cookies(response).items() if k.startswith("username-"))
        attributes = login.lower()
        assert "httponly" in attributes and "samesite=lax" in attributes
        assert ("; secure" in attributes) is secure
