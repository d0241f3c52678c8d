"""``isomer_data.connect(URL, token=…)``: the same queries over HTTP, as a platform user."""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
import pytest
from isomer_data.ingest.pipeline import ingest_log

from isomer_data import connect
from isomer_data.client import Client
from isomer_data.samples import VOYAGE_NMEA
from isomer_data.store.vessels import set_vessel


@pytest.fixture
def voyage(started):
    db = started.database.db
    ingest_log(db, VOYAGE_NMEA)
    set_vessel(db, "self", name="Sample", transducer_depth=0.5)
    return Client(started.database.url, started.database.name)


async def test_remote_queries_match_direct_ones(
    started, tokens, voyage, http_server_client, jp_http_port, jp_base_url
):
    remote = connect(f"http://localhost:{jp_http_port}{jp_base_url}", token=tokens["scientist"])
    paths = ["navigation.position", "navigation.speedOverGround", "environment.depth.*"]
    theirs = await asyncio.to_thread(remote.observations, paths, as_="pandas")
    ours = voyage.observations(paths, as_="pandas")
    assert len(theirs) == len(ours) > 100
    pd.testing.assert_frame_equal(
        theirs.drop(columns="value"), ours.drop(columns="value"), check_dtype=False
    )
    assert list(theirs["value"]) == list(ours["value"])

    ds = await asyncio.to_thread(remote.observations, ["navigation.speedOverGround"])
    assert ds["navigation.speedOverGround"].attrs["units"] == "m s-1"

    snd_remote = await asyncio.to_thread(remote.soundings, (-1.4, 50.7, -1.2, 50.9))
    snd_local = voyage.soundings((-1.4, 50.7, -1.2, 50.9))
    assert len(snd_remote) == len(snd_local) > 10
    assert snd_remote.crs.to_epsg() == 4326
    grid_remote = await asyncio.to_thread(remote.depth_grid, (-1.4, 50.7, -1.2, 50.9), 0.01)
    grid_local = voyage.depth_grid((-1.4, 50.7, -1.2, 50.9), 0.01)
    np.testing.assert_allclose(
        grid_remote["depth"].values, grid_local["depth"].values, equal_nan=True
    )
    tracks = await asyncio.to_thread(remote.tracks)
    assert tracks["distance"].sum() > 0


async def test_remote_queries_honour_roles_and_revocation(
    started, tokens, voyage, http_server_client, jp_http_port, jp_base_url
):
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    vessel = connect(base, token=tokens["vessel"])
    with pytest.raises(PermissionError):
        await asyncio.to_thread(vessel.observations, "navigation.*")
    nobody = connect(base, token="iso_not-a-token")
    with pytest.raises(PermissionError):
        await asyncio.to_thread(nobody.soundings)
    user = await started.users.get("crew1")
    token, record = await started.users.issue_token(user, name="notebook on shore")
    crew = connect(base, token=token)
    assert len(await asyncio.to_thread(crew.observations, "navigation.position", as_="pandas"))
    await started.users.revoke_token(user, record["id"])
    with pytest.raises(PermissionError):
        await asyncio.to_thread(crew.observations, "navigation.position")
