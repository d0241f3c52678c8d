"""When the database goes away the hub keeps serving what it can and says what it cannot."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from isomer_data.ingest.observation import Observation
from tornado.httpclient import HTTPClientError

from isomer_data.database.connection import url_with_database
from isomer_data.database.embedded import EmbeddedMongo
from isomer_data.store.observations import query_observations


@pytest.fixture
def private_db(tmp_path):
    """This test's own database server, so it can be stopped without harming the others."""
    server = EmbeddedMongo(tmp_path / "db", cache_size="64M")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def db_url(private_db):
    return url_with_database(private_db.url, "gone")


async def test_database_stops_under_a_running_hub(
    started, tokens, hub_connect, private_db, jp_fetch
):
    crew = await hub_connect(tokens["crew"])
    entry = {"time": "2026-11-25T06:00:00Z", "text": "before"}
    ok = await crew.call("objects", "put", {"schema": "logbookentry", "object": entry})
    assert "data" in ok
    await crew.call("live", "subscribe", {"paths": ["navigation.*"], "policy": "instant"})

    private_db.stop()

    failed = await crew.call(
        "objects",
        "put",
        {"schema": "logbookentry", "object": {**entry, "text": "after"}},
        timeout=30,
    )
    assert failed["error"]["code"] == "database_unavailable"
    assert "50020" in failed["error"]["message"]
    # live data does not need the database, and the connection is still there
    started.live.publish([Observation(time.time(), "self", "navigation.headingTrue", 1.0, "t")])
    delta = await crew.push("delta")
    assert delta["data"]["updates"][0]["values"][0]["value"] == 1.0
    assert "data" in await crew.call("hub", "ping")
    # REST says 503 with the same numbered message; the health check says unhealthy
    with pytest.raises(HTTPClientError) as rest:
        await jp_fetch(
            "isomer",
            "api",
            "objects",
            "logbookentry",
            headers={"Authorization": f"token {tokens['crew']}"},
            request_timeout=30,
        )
    assert rest.value.code == 503
    assert json.loads(rest.value.response.body)["error"]["code"] == "database_unavailable"
    with pytest.raises(HTTPClientError) as status:
        await jp_fetch("isomer", "api", "status", request_timeout=30)
    assert status.value.code == 503
    assert json.loads(status.value.response.body)["healthy"] is False


def _delta(value: float) -> dict:
    return {"updates": [{"values": [{"path": "environment.kept", "value": value}]}]}


async def test_vessel_publishes_are_kept_while_the_database_is_away(
    started, tokens, hub_connect, private_db, jp_fetch
):
    """Acknowledged means kept: spilled to disk (bounded), replayed when the database returns."""
    store = started.hub_store
    vessel = await hub_connect(tokens["vessel"])
    crew_headers = {"Authorization": f"token {tokens['crew']}"}
    await jp_fetch("isomer", "api", "whoami", headers=crew_headers)  # the token is known
    assert (await vessel.call("live", "publish", _delta(1.0)))["data"]["accepted"] == 1
    await asyncio.to_thread(store.flush)
    port = private_db.port

    private_db.stop()
    assert (await vessel.call("live", "publish", _delta(2.0)))["data"]["accepted"] == 1

    async def fetch_error(*parts, **kwargs):
        with pytest.raises(HTTPClientError) as failed:
            await jp_fetch(*parts, request_timeout=30, **kwargs)
        return failed.value.code, json.loads(failed.value.response.body)

    # the flush finds the database away (and spills) while REST callers are told so
    _, login, data = await asyncio.gather(
        asyncio.to_thread(store.flush),
        fetch_error(
            "isomer",
            "api",
            "login",
            method="POST",
            body=json.dumps({"username": "crew1", "password": "whatever it is"}),
        ),
        fetch_error(
            "isomer", "api", "data", "observations", params={"path": "a"}, headers=crew_headers
        ),
    )
    for code, body in (login, data):
        assert code == 503
        assert body["error"]["code"] == "database_unavailable"
        assert body["error"]["message"].startswith("50020")
    spilled = store.spill.files()
    assert len(spilled) == 1 and store.database_away
    assert spilled[0].stat().st_mode & 0o777 == 0o600
    assert spilled[0].parent.parent.parent == started.config.instance_dir

    # still room: kept and acknowledged; once the spill is full, refused with the code
    assert (await vessel.call("live", "publish", _delta(3.0)))["data"]["accepted"] == 1
    room, store.spill.max_bytes = store.spill.max_bytes, store.spill.used
    refused = await vessel.call("live", "publish", _delta(4.0))
    assert refused["error"]["code"] == "database_unavailable"
    assert "50020" in refused["error"]["message"] and "full" in refused["error"]["message"]
    store.spill.max_bytes = room

    # the database returns: the next flush writes what waited, oldest first
    private_db.requested_port = port
    await asyncio.to_thread(private_db.start)
    await asyncio.to_thread(store.flush)
    frame = query_observations(started.database.db, paths="environment.kept")
    assert list(frame["value"]) == [1.0, 2.0, 3.0]
    assert store.spill.files() == [] and store.spill.used == 0 and not store.database_away
    assert store.spill.replayed == 1
    started._health = None
    assert (await started.health())[0]
