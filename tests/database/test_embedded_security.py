"""The embedded database is the platform's alone: a login only the owner can read, and
files no other local user can read (security finding 12)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

from isomer_data.database.embedded import (
    DB_USER,
    SECRET_FILE,
    EmbeddedMongo,
    credential_url,
    read_credentials,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_private_tree(folder: Path) -> None:
    assert mode(folder) == 0o700, folder
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            assert mode(Path(root) / name) == 0o700, name
        for name in files:
            assert mode(Path(root) / name) & 0o077 == 0, f"{name} is {oct(mode(Path(root) / name))}"


def refused(url: str) -> None:
    client = MongoClient(url, serverSelectionTimeoutMS=1000)
    try:
        for attempt in (
            lambda: client.isomer.users.find_one(),
            lambda: client.isomer.users.insert_one({"username": "mallory"}),
            lambda: client.admin.command("listDatabases"),
        ):
            with pytest.raises(PyMongoError) as err:
                attempt()
            if isinstance(err.value, OperationFailure):
                assert err.value.code in (13, 18)  # Unauthorized, AuthenticationFailed
            else:  # a wrong login fails the connection's handshake
                assert "authentication failed" in str(err.value)
    finally:
        client.close()


def test_files_are_private_and_the_database_wants_the_platforms_login(tmp_path):
    # an instance from before: world-readable data and log
    db = tmp_path / "db"
    db.mkdir(mode=0o755)
    os.chmod(db, 0o755)
    (db / "old.wt").write_text("x")
    os.chmod(db / "old.wt", 0o644)
    (tmp_path / "db.log").write_text("old log\n")
    os.chmod(tmp_path / "db.log", 0o644)
    with EmbeddedMongo(db, cache_size="64M") as server:
        client = MongoClient(server.url)
        client.isomer.users.insert_one({"username": "skipper", "password": "argon2 hash"})
        assert_private_tree(db)
        for name in ("embedded-db.json", SECRET_FILE, "db.log"):
            assert mode(tmp_path / name) == 0o600, name
        runtime = json.loads((tmp_path / "embedded-db.json").read_text())
        assert runtime["url"] == server.url and DB_USER in runtime["url"]
        refused(credential_url(server.port, None))  # no login at all
        refused(credential_url(server.port, (DB_USER, "a guess")))  # a wrong password
        # a user someone slipped in while the platform set its login is removed
        client.admin.command("createUser", "intruder", pwd="let me in please", roles=["root"])
        assert server._check_login(drop_others=True)
        assert [u["user"] for u in client.admin["system.users"].find({})] == [DB_USER]
        client.close()


def test_the_login_survives_restarts_and_is_set_again_when_lost(tmp_path):
    with EmbeddedMongo(tmp_path / "db", cache_size="64M") as server:
        MongoClient(server.url).isomer.marks.insert_one({"mark": "A"})
    first = read_credentials(tmp_path / SECRET_FILE)
    with EmbeddedMongo(tmp_path / "db", cache_size="64M") as server:
        assert read_credentials(tmp_path / SECRET_FILE) == first
        assert MongoClient(server.url).isomer.marks.count_documents({}) == 1
    # a secret that no longer matches (a restored backup): a new login, the data kept
    (tmp_path / SECRET_FILE).write_text(json.dumps({"username": DB_USER, "password": "stale"}))
    with EmbeddedMongo(tmp_path / "db", cache_size="64M") as server:
        now = read_credentials(tmp_path / SECRET_FILE)
        assert now not in (first, (DB_USER, "stale"))
        assert MongoClient(server.url).isomer.marks.count_documents({}) == 1
        refused(credential_url(server.port, first))
        assert mode(tmp_path / SECRET_FILE) == 0o600
