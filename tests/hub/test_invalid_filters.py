"""A filter the database refuses is the caller's mistake (``invalid``), not an outage."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

BAD = {"time": {"$in": 5}}  # well-formed JSON, but $in needs a list: the server refuses it


async def test_a_refused_filter_is_invalid_over_rest_and_hub(
    started, tokens, jp_fetch, hub_connect
):
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(
            "isomer",
            "api",
            "objects",
            "logbookentry",
            params={"filter": json.dumps(BAD)},
            headers={"Authorization": f"token {tokens['crew']}"},
        )
    assert refused.value.code == 400
    error = json.loads(refused.value.response.body)["error"]
    assert error["code"] == "invalid" and "refused" in error["message"]
    crew = await hub_connect(tokens["crew"])
    reply = await crew.call("objects", "getlist", {"schema": "logbookentry", "filter": BAD})
    assert reply["error"]["code"] == "invalid"
    # and the database is there all along
    assert "data" in await crew.call("objects", "getlist", {"schema": "logbookentry"})
