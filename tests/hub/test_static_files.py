"""The panels' static files: what the page loads, nothing of npm's."""

from __future__ import annotations

import pytest
from tornado.httpclient import HTTPClientError


async def test_panel_assets_are_served(started, jp_fetch):
    response = await jp_fetch("isomer", "static", "panels.js", headers={"Authorization": ""})
    assert response.code == 200
    response = await jp_fetch(
        "isomer", "static", "vendor", "maplibre-gl.js", headers={"Authorization": ""}
    )
    assert response.code == 200


@pytest.mark.parametrize(
    "path",
    [
        ("node_modules", "maplibre-gl", "package.json"),
        ("..", "npm", "package.json"),
        ("..", "npm", "node_modules", "maplibre-gl", "package.json"),
        ("%2e%2e", "handlers.py"),
    ],
)
async def test_npm_files_are_not_served(started, jp_fetch, path):
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("isomer", "static", *path, headers={"Authorization": ""})
    assert err.value.code in (403, 404)
