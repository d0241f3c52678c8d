"""Shared fixtures: every test talks to a real MongoDB wire server (embedded SecantusDB)."""

from __future__ import annotations

import os
import uuid

import pytest
from pymongo import MongoClient

from isomer_data.server.iri_grammar import defer_iri_grammar

defer_iri_grammar()  # as `isomer launch` does, before anything imports jupyter_server

from isomer_data.database.connection import url_with_database  # noqa: E402
from isomer_data.database.embedded import EmbeddedMongo  # noqa: E402
from isomer_data.server.extension import AUTH_CONFIG  # noqa: E402

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture(scope="session")
def embedded_db(tmp_path_factory):
    """One embedded database server for the whole session (starting one costs ~1.5 s)."""
    root = tmp_path_factory.mktemp("embedded")
    with EmbeddedMongo(root / "db", cache_size="256M") as server:
        yield server


@pytest.fixture(scope="session")
def mongo_url(embedded_db) -> str:
    return embedded_db.url


@pytest.fixture
def db_name() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def mongo_db(mongo_url, db_name):
    """A fresh, empty database per test, dropped afterwards."""
    client = MongoClient(
        mongo_url, tz_aware=True, serverSelectionTimeoutMS=10_000, socketTimeoutMS=60_000
    )
    yield client[db_name]
    client.drop_database(db_name)
    client.close()


@pytest.fixture
def db_url(mongo_url, db_name) -> str:
    """A mongodb:// URL naming this test's own database."""
    return url_with_database(mongo_url, db_name)  # keeps the login and authSource


@pytest.fixture
def isomer_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("ISOMER_HOME", str(home))
    for var in ("ISOMER_DB", "ISOMER_INSTANCE", "ISOMER_PORT", "ISOMER_SOURCES"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def jp_server_config(db_url, isomer_home):
    return {
        "ServerApp": {
            "jpserver_extensions": {"isomer_data": True},
            "allow_unauthenticated_access": False,
            "reraise_server_extension_failures": True,
            "allow_root": os.geteuid() == 0,
            **AUTH_CONFIG,
        },
        "IsomerConfig": {"db_url": db_url, "sample": False},
    }


@pytest.fixture(autouse=True)
def fresh_login_throttle():
    """Forget failed logins around every test.

    The throttle is module state keyed by address, and every test logs in from 127.0.0.1:
    one test's deliberate wrong passwords must not get another test a 429.
    """
    from isomer_data.services.auth import login

    login._failures.clear()
    yield
    login._failures.clear()
