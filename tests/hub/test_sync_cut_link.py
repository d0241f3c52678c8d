"""Boat → shore over a link that keeps dropping: the shore ends up holding what the boat holds.

The shore is a real server (pytest-jupyter); the boat is ``isomer sync`` (and, in the last
test, ``isomer launch --sync-to``) as real processes on their own database. Between them a
TCP proxy written here cuts the connection every 16–48 KiB of upload and at random, and
swallows some of the shore's answers (applied, but the boat never hears so); the first
sender is killed with SIGKILL in the middle of a batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid

import pytest
from bson import ObjectId
from isomer_data.ingest.observation import Observation, Sounding
from pymongo import MongoClient

from isomer_data.database.connection import url_with_database
from isomer_data.database.embedded import free_port
from isomer_data.store import observations as obs_store
from isomer_data.store import soundings as snd_store
from isomer_data.store import sync as seq_store
from isomer_data.store import vessels as vessel_store

ISOMER = [sys.executable, "-m", "isomer_data"]
URN = "urn:mrn:imo:mmsi:230123456"
OBJECTS = ("vessels", "logbook", "waypoints")


class CuttingProxy:
    """127.0.0.1:port → the shore, dropping connections after a random 16–48 KiB uploaded,
    and at random (``chance`` per chunk); swallows every sixth answer of the shore (the batch
    was applied, the boat never hears so); records upload bytes by time."""

    def __init__(self, target_port: int, *, cutting: bool = True, chance: float = 0.02):
        self.target_port = target_port
        self.rng = random.Random(13)
        self.cutting = cutting
        self.chance = chance
        self.budget = self._budget()
        self.cuts = 0
        self.lost_answers = 0
        self.answers = 0  # answers the shore began, forwarded or not
        self.responses = 0
        self.open_upload = 0  # bytes uploaded on the connections open now
        self.uploads: list[tuple[float, int]] = []

    def _budget(self) -> int:
        return self.rng.randint(16 * 1024, 48 * 1024)

    async def start(self) -> int:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    def _cut_now(self, n: int) -> bool:
        if not self.cutting:
            return False
        self.budget -= n
        if self.budget <= 0 or self.rng.random() < self.chance:
            self.budget = self._budget()
            self.cuts += 1
            return True
        return False

    async def handle(self, client_r, client_w):
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_w.transport.abort()
            return
        sent = 0

        async def up():
            nonlocal sent
            while data := await client_r.read(4096):
                if self._cut_now(len(data)):
                    return
                sent += len(data)
                self.open_upload += len(data)
                self.uploads.append((time.monotonic(), len(data)))
                server_w.write(data)
                await server_w.drain()

        async def down():
            first = True
            while data := await server_r.read(4096):
                if first:
                    self.answers += 1
                if first and self.cutting and self.answers % 6 == 3:
                    self.lost_answers += 1  # the shore applied it; the boat never hears so
                    return
                if first:
                    self.responses += 1
                    first = False
                client_w.write(data)
                await client_w.drain()

        tasks = [asyncio.ensure_future(up()), asyncio.ensure_future(down())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.open_upload -= sent
            client_w.transport.abort()
            server_w.transport.abort()

    def close(self):
        self.server.close()


def fill_boat(db, seed: int = 1, hours: int = 40) -> None:
    """A voyage's worth of every synced kind, with rewrites and deletions among it."""
    rng = random.Random(seed)
    t0 = 1.76e9 + seed * 1e6
    for b in range(hours):
        obs = [
            Observation(
                t0 + b * 3600 + i * 10,
                "self",
                "environment.depth.belowTransducer",
                rng.uniform(2, 60),
                "nmea0183.SD",
            )
            for i in range(300)
        ]
        obs += [
            Observation(
                t0 + b * 3600 + i * 30,
                "self",
                "navigation.position",
                {"latitude": 50 + rng.random(), "longitude": -4 + rng.random()},
                "gps",
            )
            for i in range(60)
        ]
        obs.append(
            Observation(
                t0 + b * 3600,
                "urn:mrn:imo:mmsi:366999999",
                "navigation.position",
                {"latitude": 50.1, "longitude": -4.1},
                "ais",
            )
        )
        obs_store.write_observations(db, obs, origin="voyage.log", batch=b)
    snd_store.write_soundings(
        db,
        [
            Sounding(
                t0 + i,
                -4 + i * 1e-4,
                50 + i * 1e-4,
                rng.uniform(5, 30),
                None,
                None,
                0.5,
                "self",
                "nmea0183.SD",
            )
            for i in range(400)
        ],
        origin="voyage.log",
    )
    vessel_store.set_vessel(db, "self", name="Skylark", transducer_depth=0.6, draft=1.8)
    vessel_store.set_vessel(db, "urn:mrn:imo:mmsi:366999999", name="Other")
    for i in range(5):
        object_id = uuid.uuid4().hex
        with seq_store.reserve(db, 1) as seq:
            db.logbook.insert_one(
                {
                    "_id": object_id,
                    "uuid": object_id,
                    "text": f"entry {i}",
                    "owner": "u1",
                    "perms": {"read": ["crew"]},
                    "_sync": seq,
                }
            )
    with seq_store.reserve(db, 1) as seq:
        db.waypoints.insert_one(
            {
                "_id": "wp1",
                "uuid": "wp1",
                "name": "Buoy",
                "position": {"latitude": 50.2, "longitude": -4.2},
                "_sync": seq,
            }
        )
    obs_store.delete_batch(db, "voyage.log", 3)  # deleted after they were written
    obs_store.write_observations(  # and one hour written again
        db,
        [Observation(t0 + 5 * 3600, "self", "environment.wind.speedApparent", 4.0, "wind")],
        origin="voyage.log",
        batch=5,
    )


def _ns(doc_id) -> str:
    if isinstance(doc_id, ObjectId):
        return f"{URN}/ObjectId:{doc_id}"
    return f"{URN}/{doc_id}"


def expected(collection: str, doc: dict) -> dict:
    """What the shore must hold for a boat document: the vessel rewrite, nothing else."""
    out = {k: v for k, v in doc.items() if k != "_sync"}
    out["_id"] = _ns(doc["_id"])
    if out.get("vessel") == "self":
        out["vessel"] = URN
    if collection in OBJECTS:
        if "uuid" in out:
            out["uuid"] = _ns(out["uuid"])
        out.pop("perms", None)
        out["owner"] = ""
    return out


def digest(doc: dict) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=repr).encode()).hexdigest()


def holdings(db, shore: bool) -> dict[str, dict[str, str]]:
    out = {}
    for name in seq_store.SYNCED:
        docs = {}
        for doc in db[name].find({"_from": URN} if shore else {}):
            if shore:
                assert doc.pop("_from") == URN and isinstance(doc.pop("_seq"), int)
                docs[doc["_id"]] = digest(doc)
            else:
                exp = expected(name, doc)
                docs[exp["_id"]] = digest(exp)
        out[name] = docs
    return out


@pytest.fixture
def boat(mongo_url):
    name = f"boat_{uuid.uuid4().hex[:10]}"
    client = MongoClient(mongo_url, tz_aware=True)
    yield client[name], url_with_database(mongo_url, name)
    client.drop_database(name)
    client.close()


@pytest.fixture
def shore_db(mongo_url, db_name):
    client = MongoClient(mongo_url, tz_aware=True)
    yield client[db_name]
    client.close()


@pytest.fixture
def vessel_token(started, jp_asyncio_loop, password):
    async def make():
        user = await started.users.create("skylark", password, ["vessel"], vessel=URN)
        token, record = await started.users.issue_token(user, kind="device")
        return token, record, user

    return jp_asyncio_loop.run_until_complete(make())


def sync_command(url: str, boat_url: str, *extra) -> list[str]:
    return [*ISOMER, "sync", "--to", url, "--db", boat_url, "--json", *extra]


async def run_sync(args, env, timeout=240):
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


async def in_process(argv, capsys):
    from isomer_data.cli.main import main

    capsys.readouterr()
    code = await asyncio.to_thread(main, argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_boat_and_shore_converge_over_a_link_that_keeps_dropping(
    capsys,
    boat,
    shore_db,
    vessel_token,
    started,
    http_server_client,
    jp_http_port,
    jp_base_url,
    isomer_home,
):
    boat_db, boat_url = boat
    token, record, user = vessel_token
    fill_boat(boat_db, hours=24)
    proxy = CuttingProxy(jp_http_port)
    port = await proxy.start()
    url = f"http://127.0.0.1:{port}{jp_base_url.rstrip('/')}"
    env = {**os.environ, "ISOMER_SYNC_TOKEN": token}
    args = sync_command(url, boat_url, "--batch-bytes", "24000")

    # 1. Killed mid-batch: a batch is on the wire after at least two were acknowledged.
    first = subprocess.Popen(
        [*args, "--sync-bandwidth", "100000"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 90
    while not (proxy.responses >= 2 and proxy.open_upload > 4096):
        assert first.poll() is None, first.stderr.read().decode()[-2000:]
        if time.monotonic() > deadline:
            first.kill()
            raise AssertionError(
                f"the sender never got going: {proxy.cuts} cuts, {proxy.responses} answers, "
                f"{len(proxy.uploads)} uploads; {first.stderr.read().decode()[-3000:]}"
            )
        await asyncio.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    await asyncio.to_thread(first.wait)
    counter = boat_db[seq_store.STATE].find_one({"_id": seq_store.COUNTER_ID})["seq"]
    acked = boat_db[seq_store.STATE].find_one({"_id": f"sender:{url}"})["acked"]
    assert 0 < acked < counter

    # 2. Started again: it resumes there and finishes, through the cuts.
    code, out, err = await run_sync(args, env)
    assert code == 0, err[-3000:]
    summary = json.loads(out)
    with capsys.disabled():
        print(f"cut link: {proxy.cuts} cuts, {proxy.lost_answers} answers lost; {summary}")
    assert summary["position"] == counter
    assert proxy.cuts >= 3 and proxy.lost_answers >= 1, (proxy.cuts, proxy.lost_answers)
    boat_holds, shore_holds = holdings(boat_db, False), holdings(shore_db, True)
    for name in seq_store.SYNCED:
        assert len(shore_holds[name]) == len(boat_holds[name]), name
        assert shore_holds[name] == boat_holds[name], name
    for name in seq_store.SYNCED:  # no duplicate, no loss
        assert shore_db[name].count_documents({"_from": URN}) == boat_db[name].count_documents({})
    assert shore_db.observations.count_documents({"vessel": "self"}) == 0
    assert boat_db[seq_store.TOMBSTONES].count_documents({}) == 0  # acknowledged: pruned
    receipts = shore_db.sync_receipts.count_documents({})

    # 3. A second sync changes nothing (in this process from here on: no start-up to wait).
    proxy.cutting = False
    here = [*args[len(ISOMER) :], "--token", token]
    code, out, err = await in_process(here, capsys)
    assert code == 0, err[-3000:]
    assert json.loads(out)["items"] == 0
    assert holdings(shore_db, True) == shore_holds
    assert shore_db.sync_receipts.count_documents({}) == receipts

    # 4. Status shows nothing pending; a revoked token is refused and nothing moves.
    code, out, err = await in_process(
        ["sync", "status", "--to", url, "--db", boat_url, "--json"], capsys
    )
    assert code == 0, err
    assert sum(json.loads(out)["shores"][0]["pending"].values()) == 0
    await started.users.revoke_token(user, record["id"])
    vessel_store.set_vessel(boat_db, "self", name="Skylark II")
    code, out, err = await in_process(here, capsys)
    assert code != 0 and "50400" in err, (code, err)
    assert (
        shore_db.vessels.find_one({"_id": {"$regex": f"^{URN}/"}, "vessel": URN})["name"]
        == "Skylark"
    )
    proxy.close()


async def test_the_bandwidth_cap_holds_within_ten_percent(
    boat, shore_db, vessel_token, http_server_client, jp_http_port, jp_base_url, isomer_home
):
    boat_db, boat_url = boat
    token, _, _ = vessel_token
    # Format 2 batches are a fifth of format 1's bytes: more hours and bigger batches keep
    # the link busy for seconds, as the cap needs to be measured.
    fill_boat(boat_db, seed=2, hours=48)
    proxy = CuttingProxy(jp_http_port, cutting=False)
    port = await proxy.start()
    url = f"http://127.0.0.1:{port}{jp_base_url.rstrip('/')}"
    cap = 40_000
    env = {**os.environ, "ISOMER_SYNC_TOKEN": token}
    code, out, err = await run_sync(
        sync_command(url, boat_url, "--batch-bytes", "150000", "--sync-bandwidth", str(cap)), env
    )
    assert code == 0, err[-3000:]
    began, ended = proxy.uploads[0][0], proxy.uploads[-1][0]
    total = sum(n for _, n in proxy.uploads) - proxy.uploads[0][1]
    rate = total / (ended - began)
    print(f"bandwidth cap {cap} B/s: measured {rate:.0f} B/s over {ended - began:.1f} s")
    assert ended - began > 3
    assert rate <= cap * 1.10
    assert rate >= cap * 0.5  # a cap, not a stall
    assert len(holdings(shore_db, True)["observations"]) == boat_db.observations.count_documents({})
    proxy.close()


async def test_launch_with_sync_to_sends_in_the_background(
    boat,
    shore_db,
    vessel_token,
    http_server_client,
    jp_http_port,
    jp_base_url,
    isomer_home,
    tmp_path,
):
    boat_db, boat_url = boat
    token, _, _ = vessel_token
    fill_boat(boat_db, seed=3, hours=4)
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url.rstrip('/')}"
    env = {**os.environ, "ISOMER_SYNC_TOKEN": token, "ISOMER_INSTANCE": "boat"}
    log = tmp_path / "boat.log"
    with log.open("ab") as sink:
        proc = await asyncio.create_subprocess_exec(
            *ISOMER,
            "launch",
            "--port",
            str(free_port()),
            "--no-sample",
            "--db",
            boat_url,
            "--sync-to",
            url,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
        )
    try:
        want = boat_db.observations.count_documents({})
        deadline = time.monotonic() + 120
        while shore_db.observations.count_documents({"_from": URN}) < want:
            assert proc.returncode is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            await asyncio.sleep(0.5)
        boat_holds = holdings(boat_db, False)
        deadline = time.monotonic() + 60
        while holdings(shore_db, True) != boat_holds:
            assert time.monotonic() < deadline, "the background sync did not converge"
            await asyncio.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)
    assert "syncing to" in log.read_text()
    assert token not in log.read_text()
