"""``POST /isomer/api/sync/batches`` on a real server: who may, what the shore keeps."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
import tornado.httpclient

from isomer_data.services.sync import protocol

VESSEL_A = "urn:mrn:imo:mmsi:230000001"


@pytest.fixture
def http(http_server_client, jp_http_port, jp_base_url, started):
    client = tornado.httpclient.AsyncHTTPClient()
    base = f"http://localhost:{jp_http_port}{jp_base_url}"

    async def fetch(path, **kwargs):
        kwargs.setdefault("raise_error", False)
        kwargs.setdefault("follow_redirects", False)
        return await client.fetch(base + path, **kwargs)

    return fetch


def bucket(doc_id="0123.00000000.abc", vessel="self", n=3):
    return {
        "_id": doc_id,
        "vessel": vessel,
        "path": "environment.depth.belowTransducer",
        "source": "test",
        "origin": "same-file.log",
        "batch": 0,
        "start": datetime(2026, 1, 1, tzinfo=UTC),
        "end": datetime(2026, 1, 1, 0, 0, n - 1, tzinfo=UTC),
        "count": n,
        "kind": "number",
        "t": [1.767e9 + i for i in range(n)],
        "v": [float(i) for i in range(n)],
        "_sync": 1,
    }


def batch(after=0, to=2, items=None):
    items = items if items is not None else [{"c": "observations", "s": 1, "d": bucket()}]
    body, name, codec = protocol.encode(after, to, items, codec="zlib")
    return body, name


async def post(http, body, name, token=None, headers=None):
    all_headers = {
        protocol.HASH_HEADER: name,
        protocol.CODEC_HEADER: "zlib",
        "Content-Type": "application/octet-stream",
        **({"Authorization": f"token {token}"} if token else {}),
        **(headers or {}),
    }
    return await http("isomer/api/sync/batches", method="POST", body=body, headers=all_headers)


@pytest.fixture
def vessels(started, tokens, jp_asyncio_loop, password):
    """Two vessel identities: one with its vessel URN configured, one without."""

    async def make():
        a = await started.users.create("boat-a", password, ["vessel"], vessel=VESSEL_A)
        b = await started.users.create("boat-b", password, ["vessel"])
        return (
            (await started.users.issue_token(a, kind="device"))[0],
            (await started.users.issue_token(b, kind="device"))[0],
        )

    return jp_asyncio_loop.run_until_complete(make())


@pytest.mark.parametrize(
    ("role", "status"),
    [("vessel", 200), ("admin", 200), ("crew", 403), ("scientist", 403), (None, 403)],
)
async def test_only_vessels_and_admins_may_submit_batches(http, tokens, started, role, status):
    body, name = batch()
    response = await post(http, body, name, tokens[role] if role else None)
    assert response.code == status, response.body
    held = started.database.db.observations.count_documents({})
    assert held == (1 if status == 200 else 0)
    if status == 200:
        urn = f"urn:mrn:isomer:vessel:{role}1"
        assert json.loads(response.body)["vessel"] == urn
        assert started.database.db.observations.find_one()["vessel"] == urn


async def test_a_cookie_login_from_a_foreign_origin_is_refused(http, vessels, started, password):
    page = await http("login")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.body.decode()).group(1)
    jar = {
        h.partition("=")[0]: h.partition("=")[2].split(";")[0]
        for h in page.headers.get_list("Set-Cookie")
    }
    form = urlencode({"username": "boat-a", "password": password, "_xsrf": xsrf, "next": "/"})
    login = await http(
        "login",
        method="POST",
        body=form,
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
    )
    assert login.code == 302
    for h in login.headers.get_list("Set-Cookie"):
        jar[h.partition("=")[0]] = h.partition("=")[2].split(";")[0]
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    body, name = batch()
    # Same credentials a browser would send on its own, from another site's page.
    for extra in (
        {"Cookie": cookie, "Origin": "http://evil.example"},
        {"Cookie": cookie, "Origin": "http://evil.example", "X-XSRFToken": jar["_xsrf"]},
    ):
        response = await post(http, body, name, headers=extra)
        assert response.code in (403, 404), response.body
    assert started.database.db.observations.count_documents({}) == 0


async def test_a_repeated_batch_gets_the_same_acknowledgement_and_changes_nothing(
    http, vessels, started
):
    token_a, _ = vessels
    body, name = batch(items=[{"c": "observations", "s": 1, "d": bucket()}])
    first = await post(http, body, name, token_a)
    assert first.code == 200
    db = started.database.db
    stored = db.observations.find_one()
    second = await post(http, body, name, token_a)
    assert second.code == 200 and second.body == first.body
    assert list(db.observations.find()) == [stored]
    assert db.sync_receipts.count_documents({}) == 1
    ack = json.loads(first.body)
    assert ack == {
        "batch": name,
        "vessel": VESSEL_A,
        "position": 2,
        "applied": 1,
        "skipped": 0,
        "rejected": 0,
        "problems": [],
    }
    # The boat's "self" became the vessel, the id its namespace, the boat's number kept.
    assert stored["vessel"] == VESSEL_A
    assert stored["_id"] == f"{VESSEL_A}/0123.00000000.abc"
    assert stored["_from"] == VESSEL_A and stored["_seq"] == 1 and "_sync" not in stored
    # A batch overlapping what the shore holds applies only what is newer.
    newer = bucket(n=5)
    body, name = batch(
        after=0,
        to=4,
        items=[
            {"c": "observations", "s": 1, "d": bucket()},
            {"c": "observations", "s": 3, "d": newer},
        ],
    )
    ack = json.loads((await post(http, body, name, token_a)).body)
    assert (ack["applied"], ack["skipped"], ack["position"]) == (1, 1, 4)
    assert db.observations.find_one()["count"] == 5


async def test_two_vessels_ingesting_the_same_file_never_collide(http, vessels, started):
    token_a, token_b = vessels
    body, name = batch()
    assert (await post(http, body, name, token_a)).code == 200
    assert (await post(http, body, name, token_b)).code == 200
    db = started.database.db
    assert sorted(d["vessel"] for d in db.observations.find()) == sorted(
        ["urn:mrn:isomer:vessel:boat-b", VESSEL_A]
    )
    assert db.sync_vessels.count_documents({}) == 2


async def test_deletions_travel_and_bad_items_are_counted_not_stored(http, vessels, started):
    token_a, _ = vessels
    entry = {
        "_id": "e1",
        "uuid": "e1",
        "text": "anchored",
        "owner": "x",
        "perms": {"read": ["anonymous"]},
    }
    items = [
        {"c": "observations", "s": 1, "d": bucket()},
        {"c": "logbook", "s": 2, "d": entry},
        {"c": "users", "s": 3, "d": {"_id": "u", "roles": ["admin"]}},
        {"c": "logbook", "s": 4, "d": {"_id": "e2", "$set": {"x": 1}}},
        {"c": "observations", "s": 5, "del": "0123.00000000.abc"},
    ]
    body, name = batch(to=5, items=items)
    ack = json.loads((await post(http, body, name, token_a)).body)
    assert (ack["applied"], ack["rejected"]) == (3, 2)
    assert [p["error"] for p in ack["problems"]] == [50408, 50410]
    db = started.database.db
    assert db.observations.count_documents({}) == 0
    assert db.users.count_documents({"_id": "u"}) == 0
    logged = db.logbook.find_one()
    # The boat's owner and permissions mean nothing on shore: the schema's defaults apply.
    assert logged["uuid"] == f"{VESSEL_A}/e1" and logged["owner"] == "" and "perms" not in logged


async def test_a_batch_past_what_the_shore_holds_is_refused_with_its_position(
    http, vessels, tokens
):
    token_a, _ = vessels
    auth = {"Authorization": f"token {token_a}"}
    held = await http("isomer/api/sync/position", headers=auth)
    assert json.loads(held.body) == {"vessel": VESSEL_A, "position": 0}
    for role in ("crew", "scientist"):
        other = {"Authorization": f"token {tokens[role]}"}
        assert (await http("isomer/api/sync/position", headers=other)).code == 403
    assert (await http("isomer/api/sync/position")).code == 403
    body, name = batch(after=7, to=9, items=[])
    response = await post(http, body, name, token_a)
    assert response.code == 409
    assert json.loads(response.body) | {"message": ""} == {
        "error": 50411,
        "message": "",
        "position": 0,
    }


async def test_limits_are_enforced_before_the_body_is_used(http, vessels, started):
    token_a, _ = vessels
    body, name = batch()
    assert (await post(http, body, "nothex", token_a)).code == 400
    bad_codec = await post(http, body, name, token_a, {protocol.CODEC_HEADER: "lzma"})
    assert bad_codec.code == 400
    huge = b"\0" * (protocol.MAX_BATCH_BYTES + 1)
    response = await post(http, huge, name, token_a)
    assert response.code == 413
    assert json.loads(response.body)["error"] == 50404
    assert started.database.db.observations.count_documents({}) == 0


async def test_a_revoked_vessel_token_is_refused(http, started, password, jp_asyncio_loop):
    user = await started.users.create("boat-c", password, ["vessel"])
    token, record = await started.users.issue_token(user, kind="device")
    body, name = batch()
    assert (await post(http, body, name, token)).code == 200
    await started.users.revoke_token(user, record["id"])
    body, name = batch(after=2, to=3, items=[])
    assert (await post(http, body, name, token)).code == 403


async def test_object_writes_are_numbered_and_deletions_leave_tombstones(started, tokens):
    from isomer_data.core.events import DomainError
    from isomer_data.core.roles import IsomerUser

    crew = IsomerUser(username="crew1", roles=("crew",), user_id="crew-id")
    objects = started.objects
    entry = {"time": "2026-01-01T00:00:00Z", "text": "cast off", "_sync": 10**9}
    made = await objects.put(crew, "logbookentry", entry)
    assert "_sync" not in made  # the client's number is dropped, none is shown
    db = started.database.db
    first = db.logbook.find_one()["_sync"]
    assert first < 10**9
    changed = await objects.change(crew, "logbookentry", made["uuid"], {"text": "cast off 0800"})
    assert "_sync" not in changed
    second = db.logbook.find_one()["_sync"]
    assert second > first
    with pytest.raises(DomainError):
        await objects.change(crew, "logbookentry", made["uuid"], {"_sync": 1})
    assert db.logbook.find_one()["_sync"] == second
    await objects.delete(crew, "logbookentry", made["uuid"])
    stone = db.sync_tombstones.find_one()
    assert (stone["c"], stone["i"]) == ("logbook", made["uuid"]) and stone["_sync"] > second
    # Users never travel: creating one takes no number.
    admin = IsomerUser(username="admin1", roles=("admin",), user_id="admin-id")
    await objects.put(
        admin, "user", {"username": "newcrew", "roles": ["crew"], "password": "x" * 12}
    )
    assert "_sync" not in db.users.find_one({"username": "newcrew"})


async def test_one_batch_per_vessel_at_a_time(http, vessels, started):
    token_a, token_b = vessels
    shore = started.sync_shore
    lock = shore.locks.setdefault(VESSEL_A, __import__("asyncio").Lock())
    body, name = batch()
    async with lock:  # a batch of boat A is being applied
        busy = await post(http, body, name, token_a)
        other = await post(http, body, name, token_b)
    assert busy.code == 429 and json.loads(busy.body)["error"] == 50413
    assert other.code == 200  # other vessels are not held up
    assert (await post(http, body, name, token_a)).code == 200


async def test_an_admin_may_still_edit_a_vessel_user(started, vessels):
    from isomer_data.core.roles import IsomerUser

    admin = IsomerUser(username="admin1", roles=("admin",), user_id="admin-id")
    doc = await started.users.get("boat-a")
    changed = await started.objects.change(admin, "user", doc["uuid"], {"name": "Boat A"})
    assert changed["vessel"] == VESSEL_A and changed["name"] == "Boat A"


async def test_a_document_the_database_refuses_is_counted_and_the_rest_kept(http, vessels, started):
    from isomer_data.store import soundings as snd_store

    snd_store.ensure_indexes(started.database.db)
    token_a, _ = vessels
    ring = [[-4, 50], [-3, 50], [-3, 51], [-4, 51], [-4, 50]]
    good = {"_id": "s1", "vessel": "self", "geometry": {"type": "Polygon", "coordinates": [ring]}}
    bad = {"_id": "s2", "vessel": "self", "geometry": {"type": "Polygon", "coordinates": "x"}}
    items = [
        {"c": "soundings", "s": 1, "d": good},
        {"c": "soundings", "s": 2, "d": bad},
        {"c": "soundings", "s": 3, "d": {**good, "_id": "s3"}},
    ]
    body, name = batch(to=3, items=items)
    response = await post(http, body, name, token_a)
    assert response.code == 200, response.body
    ack = json.loads(response.body)
    assert (ack["applied"], ack["rejected"], ack["position"]) == (2, 1, 3)
    assert ack["problems"][0]["seq"] == 2 and ack["problems"][0]["error"] == 50414
    assert started.database.db.soundings.count_documents({}) == 2
