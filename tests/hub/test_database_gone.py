"""When the database goes away the hub keeps serving what it can and says what it cannot."""

from __future__ import annotations

import json
import time

import pytest
from isomer_data.ingest.observation import Observation
from tornado.httpclient import HTTPClientError

from isomer_data.database.connection import url_with_database
from isomer_data.database.embedded import EmbeddedMongo


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
