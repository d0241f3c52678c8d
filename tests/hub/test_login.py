"""One login for panels and Jupyter: the login page, cookies, tokens, throttling, revocation."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
import tornado.httpclient

from isomer_data.services.auth import login as login_module


@pytest.fixture
def http(http_server_client, jp_http_port, jp_base_url, started):
    client = tornado.httpclient.AsyncHTTPClient()
    base = f"http://localhost:{jp_http_port}{jp_base_url}"

    async def fetch(path, **kwargs):
        kwargs.setdefault("raise_error", False)
        kwargs.setdefault("follow_redirects", False)
        return await client.fetch(base + path, **kwargs)

    login_module._failures.clear()
    yield fetch
    login_module._failures.clear()


def cookies(response) -> dict:
    out = {}
    for header in response.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        out[name] = rest.split(";")[0]
    return out


async def _form_login(http, username, password):
    page = await http("login")
    assert page.code == 200
    html = page.body.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert "http://" not in html and "https://" not in html  # nothing from the internet
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', html).group(1)
    jar = cookies(page)
    body = urlencode({"username": username, "password": password, "_xsrf": xsrf, "next": "/"})
    return await http(
        "login",
        method="POST",
        body=body,
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
    )


async def test_login_page_sets_a_cookie_that_jupyter_and_the_hub_accept(tokens, http, password):
    response = await _form_login(http, "scientist1", password)
    assert response.code == 302
    jar = cookies(response)
    login_cookie = {k: v for k, v in jar.items() if k.startswith("username-")}
    assert login_cookie
    header = {"Cookie": "; ".join(f"{k}={v}" for k, v in login_cookie.items())}
    me = json.loads((await http("api/me", headers=header)).body)
    assert me["identity"]["username"] == "scientist1"
    who = json.loads((await http("isomer/api/whoami", headers=header)).body)
    assert who["roles"] == ["scientist"]


async def test_wrong_passwords_are_throttled(tokens, http):
    for _ in range(login_module.MAX_FAILURES):
        assert (await _form_login(http, "crew1", "wrong password")).code == 401
    assert (await _form_login(http, "crew1", "wrong password")).code == 429


async def test_tokens_are_listed_and_revocable(tokens, http, started, password):
    login = await http(
        "isomer/api/login",
        method="POST",
        body=json.dumps({"username": "crew1", "password": password}),
    )
    token = json.loads(login.body)["token"]
    auth = {"Authorization": f"token {token}"}
    device = await http(
        "isomer/api/tokens",
        method="POST",
        headers=auth,
        body=json.dumps({"name": "logger on the mast", "kind": "device"}),
    )
    assert device.code == 201
    record = json.loads(device.body)
    listed = json.loads((await http("isomer/api/tokens", headers=auth)).body)
    assert {t["name"] for t in listed} >= {"logger on the mast", "test"}
    assert all("token" not in t and "_id" not in t for t in listed)
    device_auth = {"Authorization": f"token {record['token']}"}
    assert (await http("isomer/api/whoami", headers=device_auth)).code == 200
    gone = await http(f"isomer/api/tokens/{record['id']}", method="DELETE", headers=auth)
    assert gone.code == 204
    assert (await http("isomer/api/whoami", headers=device_auth)).code in (401, 403)
    # the server token printed by `isomer launch` stays the bootstrap admin login
    admin = {"Authorization": f"token {started.identity.token}"}
    assert json.loads((await http("isomer/api/whoami", headers=admin)).body)["roles"] == ["admin"]
