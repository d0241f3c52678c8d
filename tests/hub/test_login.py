"""One login for panels and Jupyter: the login page, cookies, tokens, throttling, revocation."""

from __future__ import annotations

import asyncio
import json
import logging
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

    fetch.base = base
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


def _login_cookie(response) -> dict:
    jar = cookies(response)
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items() if k.startswith("username-"))}


async def test_concurrent_wrong_passwords_are_throttled_too(tokens, http, hub_connect):
    """Attempts are counted before the (slow) password check: sending them at once
    does not let more than MAX_FAILURES through."""
    client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=60)
    base = http.base
    body = json.dumps({"username": "crew1", "password": "wrong password"})
    try:
        replies = await asyncio.gather(
            *(
                client.fetch(
                    f"{base}{path}",
                    method="POST",
                    body=body,
                    raise_error=False,
                    request_timeout=120,
                )
                for path in ["isomer/api/login"] * 40 + ["signalk/v1/auth/login"] * 20
            )
        )
    finally:
        client.close()
    codes = [r.code for r in replies]
    assert codes.count(401) <= login_module.MAX_FAILURES
    assert codes.count(429) >= 60 - login_module.MAX_FAILURES
    # the login page and the hub's auth/login share the same count
    assert (await _form_login(http, "crew1", "wrong password")).code == 429
    hub = await hub_connect()
    reply = await hub.call("auth", "login", {"username": "crew1", "password": "wrong password"})
    assert reply["error"]["code"] == "throttled"


async def test_right_password_after_failures_does_not_use_up_the_window(tokens, http, password):
    for _ in range(login_module.MAX_FAILURES - 1):
        assert (await _form_login(http, "crew1", "wrong password")).code == 401
    for _ in range(3):  # successes are not counted as failures
        assert (await _form_login(http, "crew1", password)).code == 302
    assert (await _form_login(http, "crew1", "wrong password")).code == 401
    assert (await _form_login(http, "crew1", password)).code == 429


async def test_logout_ends_the_session_on_the_server(tokens, http, password):
    for logout in ("api", "page"):
        cookie = _login_cookie(await _form_login(http, "crew1", password))
        assert (await http("isomer/api/whoami", headers=cookie)).code == 200
        if logout == "api":
            done = await http("isomer/api/logout", method="POST", body="", headers=cookie)
        else:  # Jupyter's /logout, which JupyterLab's File menu opens
            done = await http("logout", headers=cookie)
        assert done.code == 200
        # a copy of the cookie taken before logging out is worth nothing now
        replay = await http("isomer/api/whoami", headers=cookie)
        assert replay.code in (401, 403), logout


async def test_password_change_ends_logins_but_not_api_tokens(tokens, http, password, started):
    admin = {"Authorization": f"token {tokens['admin']}"}
    crew = await started.users.get("crew1")
    api_token, _ = await started.users.issue_token(crew, name="logger", kind="device")
    for how in ("store", "panel"):
        cookie = _login_cookie(await _form_login(http, "crew1", password))
        login = await http(
            "isomer/api/login",
            method="POST",
            body=json.dumps({"username": "crew1", "password": password}),
        )
        login_token = {"Authorization": f"token {json.loads(login.body)['token']}"}
        signalk_cookie = {"Cookie": f"JAUTHENTICATION={json.loads(login.body)['token']}"}
        for who in (cookie, login_token, signalk_cookie):
            assert (await http("isomer/api/whoami", headers=who)).code == 200
        new_password = f"a new password {how}"
        if how == "store":  # what `isomer db user passwd` runs
            await started.users.set_password("crew1", new_password)
        else:  # an admin in the user panel
            changed = await http(
                f"isomer/api/objects/user/{crew['uuid']}",
                method="PATCH",
                body=json.dumps({"password": new_password}),
                headers=admin,
            )
            assert changed.code == 200, changed.body
        for who in (cookie, login_token, signalk_cookie):
            assert (await http("isomer/api/whoami", headers=who)).code in (401, 403), how
        device = {"Authorization": f"token {api_token}"}
        assert (await http("isomer/api/whoami", headers=device)).code == 200
        password = new_password


async def test_tokens_never_appear_in_logs(tokens, http, password, hub_connect, caplog):
    caplog.set_level(logging.DEBUG)
    secret = tokens["crew"]
    login = await http(
        "isomer/api/login",
        method="POST",
        body=json.dumps({"username": "crew1", "password": password}),
    )
    issued = json.loads(login.body)["token"]
    await http(f"isomer/api/whoami?token={secret}")
    await http(f"api/kernels?token={secret}", method="POST", body="{}")  # refused: 403
    await http(f"no/such/page?token={issued}", headers={"Referer": f"http://x/?token={issued}"})
    await http(f"signalk/v1/api/vessels/self?token={issued}")
    await http(f"login?password={password.replace(' ', '+')}")
    client = await hub_connect(query=f"token={secret}")
    await client.call("hub", "whoami")
    client.close()
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "whoami" in text  # the access log was captured
    for value in (secret, issued, password, password.replace(" ", "+")):
        assert value not in text


def test_many_addresses_do_not_lock_out_newcomers(monkeypatch):
    """The table of addresses is bounded; at the bound the quietest address is forgotten,
    rather than every newcomer refused (per-address limits cannot stop an attacker with
    thousands of addresses anyway; they stop the one tablet)."""
    monkeypatch.setattr(login_module, "MAX_ADDRESSES", 50)
    monkeypatch.setattr(login_module, "_failures", {})
    for i in range(50):
        for _ in range(login_module.MAX_FAILURES):
            assert login_module.begin_attempt(f"10.0.1.{i}")
        assert not login_module.begin_attempt(f"10.0.1.{i}")  # each is throttled
    assert login_module.begin_attempt("10.0.0.2")  # a newcomer still gets in at the cap
    assert len(login_module._failures) == 50
    assert not login_module.begin_attempt("10.0.1.49")  # the latest guessers stay throttled
