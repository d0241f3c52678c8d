"""``/isomer/api/data``: who may read, and bad parameters answered as the caller's mistake.

The role policy is the Authorizer's (resource ``isomer.data``, read): admins,
crew and scientists read; a vessel identity feeds data and reads nothing here; anonymous
callers are refused. Unknown paths are an empty answer, not a 500; bad times, boxes and
counts are 400 ``invalid``, never ``database_unavailable``.
"""

from __future__ import annotations

import io
import json
import time
import urllib.parse

import pandas as pd
import pytest
import tornado.httpclient
from isomer_data.ingest.observation import Observation
from tornado.httpclient import HTTPClientError

from isomer_data.core.roles import ROLES
from isomer_data.services.auth.authorizer import DATA, allowed
from isomer_data.store.observations import ensure_indexes, write_observations

QUERY_ROLES = {role for role in ROLES if allowed((role,), "read", DATA)}

ENDPOINTS = [
    (("observations",), {"path": "environment.*"}),
    (("soundings",), {"bbox": "-10,40,10,60"}),
    (("vessels",), {}),
]


@pytest.fixture
def stored(started):
    db = started.database.db
    ensure_indexes(db)
    write_observations(
        db, [Observation(time.time(), "self", "environment.depth", 5.0, "t")], origin="t", batch=0
    )
    return started


async def _status(jp_fetch, parts, params, headers) -> int:
    try:
        reply = await jp_fetch("isomer", "api", "data", *parts, params=params, headers=headers)
    except HTTPClientError as exc:
        return exc.code
    return reply.code


async def _anonymous_status(base: str, parts, params) -> int:
    """Without jp_fetch, which would add the server's token."""
    query = urllib.parse.urlencode(params)
    reply = await tornado.httpclient.AsyncHTTPClient().fetch(
        f"{base}isomer/api/data/{'/'.join(parts)}?{query}",
        raise_error=False,
        follow_redirects=False,
    )
    return reply.code


def test_the_policy_is_people_not_vessels():
    assert {"admin", "crew", "scientist", "viewer"} == QUERY_ROLES  # a viewer reads as crew


@pytest.mark.parametrize("role", ["admin", "crew", "scientist", "vessel", "viewer", None])
async def test_each_role_reads_only_what_the_policy_allows(
    stored, tokens, jp_fetch, http_server_client, jp_http_port, jp_base_url, role
):
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    for parts, params in ENDPOINTS:
        if role is None:
            code = await _anonymous_status(base, parts, params)
        else:
            headers = {"Authorization": f"token {tokens[role]}"}
            code = await _status(jp_fetch, parts, params, headers)
        if role in QUERY_ROLES:
            assert code == 200, (role, parts)
        elif role is None:
            assert code in (401, 403), (role, parts)
        else:
            assert code == 403, (role, parts)


async def test_an_unknown_path_is_an_empty_answer(stored, tokens, jp_fetch):
    headers = {"Authorization": f"token {tokens['crew']}"}
    for path in ("no.such.path", "no.such.*"):
        reply = await jp_fetch(
            "isomer", "api", "data", "observations", params={"path": path}, headers=headers
        )
        frame = pd.read_parquet(io.BytesIO(reply.body))
        assert len(frame) == 0 and "number" in frame.columns


@pytest.mark.parametrize(
    ("endpoint", "params", "words"),
    [
        ("observations", {"path": "a", "start": "yesterday-ish"}, "start"),
        ("observations", {"path": "a", "end": "99999-01-01"}, "end"),
        ("observations", {"path": "a", "start": "1e400"}, "start"),
        ("soundings", {"start": "2026-13-45"}, "start"),
        ("soundings", {"bbox": "nan,0,1,1"}, "bbox"),
        ("soundings", {"bbox": "0,0,1"}, "bbox"),
        ("soundings", {"bbox": "0,95,1,96"}, "bbox"),
        ("soundings", {"bbox": "0,10,1,5"}, "bbox"),
        ("observations", [("path", f"p{i}") for i in range(300)], "at most 256"),
        ("chart/LNDARE", {"bbox": "inf,0,1,1"}, "bbox"),
    ],
)
async def test_bad_parameters_are_invalid_not_database_errors(
    stored, tokens, jp_fetch, endpoint, params, words
):
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(
            "isomer",
            "api",
            "data",
            *endpoint.split("/"),
            params=params,
            headers={"Authorization": f"token {tokens['scientist']}"},
        )
    assert refused.value.code == 400
    error = json.loads(refused.value.response.body)["error"]
    assert error["code"] == "invalid"
    assert words in error["message"]
