"""JupyterLab's page never hands the server token to someone who logged in with a password."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
import tornado.httpclient

from isomer_data.services.auth import login as login_module


@pytest.fixture
def jp_server_config(jp_server_config):
    """The platform with JupyterLab at /lab, as ``isomer launch`` runs it."""
    jp_server_config["ServerApp"]["jpserver_extensions"] = {"isomer_data": True, "jupyterlab": True}
    return jp_server_config


@pytest.fixture
def browser(http_server_client, jp_http_port, jp_base_url, started):
    """A browser: keeps its cookies, sends them back, answers XSRF like JupyterLab does."""
    client = tornado.httpclient.AsyncHTTPClient()
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    jar: dict[str, str] = {}

    async def fetch(path, xsrf=False, **kwargs):
        kwargs.setdefault("raise_error", False)
        kwargs.setdefault("follow_redirects", False)
        headers = dict(kwargs.pop("headers", {}))
        if jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        if xsrf:
            headers["X-XSRFToken"] = jar["_xsrf"]
        response = await client.fetch(base + path, headers=headers, **kwargs)
        for header in response.headers.get_list("Set-Cookie"):
            name, _, rest = header.partition("=")
            jar[name] = rest.split(";")[0]
        return response

    login_module._failures.clear()
    yield fetch
    login_module._failures.clear()


async def _log_in(browser, username, password):
    page = await browser("login")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.body.decode()).group(1)
    body = urlencode({"username": username, "password": password, "_xsrf": xsrf, "next": "/"})
    response = await browser("login", method="POST", body=body)
    assert response.code == 302, response.body


def _page_config(html: str) -> dict:
    match = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, "no jupyter-config-data on the page"
    return json.loads(match.group(1))


async def test_lab_page_carries_no_server_token_and_crew_stays_crew(
    tokens, browser, password, jp_serverapp
):
    server_token = jp_serverapp.identity_provider.token
    assert server_token  # the bootstrap admin login exists, so there is something to leak
    await _log_in(browser, "crew1", password)
    lab = await browser("lab")
    assert lab.code == 200
    html = lab.body.decode()
    config = _page_config(html)
    assert not config.get("token")
    assert server_token not in html

    who = json.loads((await browser("isomer/api/whoami")).body)
    assert who["username"] == "crew1" and who["roles"] == ["crew"]
    # crew may act where the role allows (the cookie and XSRF are in order) ...
    entry = await browser(
        "isomer/api/objects/logbookentry",
        xsrf=True,
        method="POST",
        body=json.dumps({"time": "2026-11-26T12:00:00Z", "text": "Wind rising"}),
    )
    assert entry.code in (200, 201), entry.body
    # ... but not start a kernel
    kernel = await browser(
        "api/kernels", xsrf=True, method="POST", body=json.dumps({"name": "python3"})
    )
    assert kernel.code == 403


async def test_error_pages_carry_no_server_token(tokens, browser, password, jp_serverapp):
    await _log_in(browser, "crew1", password)
    missing = await browser("no/such/page")
    assert missing.code == 404
    assert jp_serverapp.identity_provider.token not in missing.body.decode()


async def test_server_token_link_logs_the_admin_in_by_cookie(tokens, browser, jp_serverapp):
    """`isomer launch` prints /lab?token=…: the bootstrap admin gets a session cookie (the
    page itself still carries no token), which logging out ends."""
    server_token = jp_serverapp.identity_provider.token
    lab = await browser(f"lab?token={server_token}", headers={"Accept": "text/html"})
    assert lab.code == 200
    assert server_token not in lab.body.decode()
    who = await browser("isomer/api/whoami")  # by the cookie alone now
    assert json.loads(who.body)["roles"] == ["admin"]
    session = next(
        h.split(";")[0] for h in lab.headers.get_list("Set-Cookie") if h.startswith("username-")
    )
    assert (await browser("logout")).code == 200
    client = tornado.httpclient.AsyncHTTPClient()
    replay = await client.fetch(
        lab.effective_url.split("lab?")[0] + "isomer/api/whoami",
        headers={"Cookie": session},
        raise_error=False,
    )
    assert replay.code in (401, 403)  # a copy of the cookie is worth nothing after logout
