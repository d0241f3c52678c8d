"""One way to reach the database, for the server and every ``isomer`` command alike.

``open_database(config)`` returns a :class:`Database`: with ``--db`` it checks the URL
answers (50020 otherwise, within seconds rather than pymongo's 30 s default); without it,
it attaches to the embedded server a running platform of the same instance already runs,
or starts one itself. Either way a command sees what the platform sees.
"""

from __future__ import annotations

import logging
from functools import cached_property

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from isomer_data.config import IsomerConfig, redact
from isomer_data.core.errors import IsomerError
from isomer_data.database.embedded import EmbeddedMongo, read_runtime

log = logging.getLogger(__name__)

SELECTION_TIMEOUT_MS = 5000


class Database:
    """A resolved database: its URL, its kind, and the embedded child if we own it."""

    def __init__(self, url: str, name: str, kind: str, embedded: EmbeddedMongo | None = None):
        self.url = url
        self.name = name
        self.kind = kind  # "embedded" or "mongodb"
        self.embedded = embedded

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @cached_property
    def client(self) -> MongoClient:
        return MongoClient(self.url, serverSelectionTimeoutMS=SELECTION_TIMEOUT_MS, tz_aware=True)

    @property
    def url_with_database(self) -> str:
        """The URL naming the database, for processes that get only a URL (kernels)."""
        return url_with_database(self.url, self.name)

    @property
    def db(self):
        return self.client[self.name]

    def async_client(self):
        """A client for code on the event loop, which must never block on the database."""
        from pymongo import AsyncMongoClient

        return AsyncMongoClient(
            self.url, serverSelectionTimeoutMS=SELECTION_TIMEOUT_MS, tz_aware=True
        )

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()
            del self.__dict__["client"]
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def url_with_database(url: str, name: str) -> str:
    """``url`` naming database ``name``; its login and options (``authSource``) kept."""
    scheme, rest = url.split("://", 1)
    hosts, _, tail = rest.partition("/")
    query = tail.partition("?")[2]
    return f"{scheme}://{hosts}/{name}" + (f"?{query}" if query else "")


def ping(url: str, timeout_ms: int = SELECTION_TIMEOUT_MS) -> None:
    client = MongoClient(url, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
    except PyMongoError as exc:
        raise IsomerError(50020, f"{redact(url)}: {type(exc).__name__}") from exc
    finally:
        client.close()


def open_database(config: IsomerConfig, *, start_embedded: bool = True) -> Database:
    """Resolve the configured database and make sure it answers."""
    if config.db_url:
        ping(config.db_url)
        return Database(config.db_url, config.database_name, "mongodb")
    running = read_runtime(config.db_dir)
    if running:
        log.info(
            "attaching to the instance's running embedded database at %s", redact(running["url"])
        )
        ping(running["url"])
        return Database(running["url"], config.database_name, "embedded")
    if not start_embedded:
        raise IsomerError(
            50020, f"no embedded database is running for instance {config.instance!r}"
        )
    embedded = EmbeddedMongo(
        config.db_dir,
        port=config.db_port,
        cache_size=config.db_cache_size,
        log_path=config.log_dir / "db.log",
    )
    embedded.start()
    return Database(embedded.url, config.database_name, "embedded", embedded)
