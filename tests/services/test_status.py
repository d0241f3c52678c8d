import json

import pytest
from tornado.httpclient import HTTPClientError


async def test_status_answers_without_login(jp_fetch):
    response = await jp_fetch("isomer", "api", "status", headers={"Authorization": ""})
    body = json.loads(response.body)
    assert response.code == 200
    assert body["healthy"] is True
    assert body["database"] == "mongodb"
    assert body["version"]
    assert body["uptime"] >= 0


async def test_jupyter_api_still_requires_login(jp_fetch):
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("api", "contents", headers={"Authorization": ""})
    assert err.value.code == 403
