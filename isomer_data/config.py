"""The platform's settings, as traitlets so that one definition serves everywhere.

Every tunable is a trait with ``config=True`` and ``help=``: it can be set in a Jupyter
config file (``c.IsomerConfig.db_url = ...``), on the ``isomer`` command line (flags are
generated from this table in :mod:`isomer_data.cli.options`) and through an ``ISOMER_*``
environment variable, named in the trait's ``env`` metadata, as in the original Isomer.
"""

from __future__ import annotations

import os
from pathlib import Path

from traitlets import Bool, Integer, List, Unicode, default, validate
from traitlets.config import Configurable

from isomer_data.errors import IsomerError


def _default_home() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return os.path.join(base, "isomer-data")


class IsomerConfig(Configurable):
    """Where the platform keeps its data, which database it uses, and where it listens."""

    instance = Unicode(
        "default",
        help="Name of the platform instance; each has its own data folder and database.",
    ).tag(config=True, env="ISOMER_INSTANCE")

    home = Unicode(
        help="Folder that holds every instance's data (default: $XDG_DATA_HOME/isomer-data).",
    ).tag(config=True, env="ISOMER_HOME")

    db_url = Unicode(
        "",
        help="MongoDB URL (mongodb://...). Empty: run the embedded SecantusDB server.",
    ).tag(config=True, env="ISOMER_DB")

    db_port = Integer(
        0,
        help="TCP port of the embedded database on 127.0.0.1 (0: pick a free port).",
    ).tag(config=True, env="ISOMER_DB_PORT")

    db_cache_size = Unicode(
        "128M",
        help="WiredTiger cache of the embedded database; small by default for small boats.",
    ).tag(config=True, env="ISOMER_DB_CACHE_SIZE")

    host = Unicode(
        "127.0.0.1",
        help="Address the web server listens on; 0.0.0.0 to serve tablets on the boat's WiFi.",
    ).tag(config=True, env="ISOMER_HOST")

    port = Integer(8888, help="TCP port of the web server.").tag(config=True, env="ISOMER_PORT")

    sources = List(
        Unicode(),
        help="Live data sources the platform ingests (serial://, tcp://, udp://, file paths).",
    ).tag(config=True, env="ISOMER_SOURCES")

    sample = Bool(
        True,
        help="Replay the bundled sample voyage when no source is configured, so data flows "
        "on a fresh install.",
    ).tag(config=True, env="ISOMER_SAMPLE")

    safe_mode = Bool(
        False,
        help="Start without installed (third-party) modules: only the built-in ones load.",
    ).tag(config=True, env="ISOMER_SAFE_MODE")

    ws_max_message = Integer(
        1024 * 1024,
        help="Largest message a websocket client may send, in bytes; larger ones get an error.",
    ).tag(config=True, env="ISOMER_WS_MAX_MESSAGE")

    ws_rate = Integer(
        50,
        help="Messages per second a websocket client may send on average (flood protection).",
    ).tag(config=True, env="ISOMER_WS_RATE")

    ws_burst = Integer(
        200, help="Messages a websocket client may send at once before the rate applies."
    ).tag(config=True, env="ISOMER_WS_BURST")

    ws_queue = Integer(
        256,
        help="Messages in flight to one websocket client; beyond it messages are dropped and "
        "counted so a slow client never stalls others.",
    ).tag(config=True, env="ISOMER_WS_QUEUE")

    csb_provider_name = Unicode(
        "",
        help="IHO B-12 trusted node: the organisation that forwards this instance's "
        "crowdsourced bathymetry (empty: a placeholder the export tells you to replace).",
    ).tag(config=True, env="ISOMER_CSB_PROVIDER_NAME")

    csb_provider_email = Unicode(
        "",
        help="IHO B-12 trusted node: contact e-mail for data users (empty: a placeholder).",
    ).tag(config=True, env="ISOMER_CSB_PROVIDER_EMAIL")

    csb_node_id = Unicode(
        "ISOMER",
        help="IHO B-12 trusted node identifier: the letters and digits before the hyphen of "
        "every uniqueVesselID this instance issues.",
    ).tag(config=True, env="ISOMER_CSB_NODE_ID")

    csb_license = Unicode(
        "CC0 1.0",
        help="IHO B-12 dataLicense: the Creative Commons dedication the data is given under.",
    ).tag(config=True, env="ISOMER_CSB_LICENSE")

    def __init__(self, **kwargs):
        # Environment values sit between the built-in defaults and explicit configuration.
        super().__init__(**kwargs)
        explicit = self.config.get(type(self).__name__, {})
        for name, trait in self.traits(config=True).items():
            env = trait.metadata.get("env")
            if env and env in os.environ and name not in explicit:
                setattr(self, name, parse_env(trait, os.environ[env], env))

    @default("home")
    def _home_default(self) -> str:
        return _default_home()

    @validate("db_url")
    def _check_db_url(self, proposal):
        url = proposal["value"]
        if url and not url.startswith(("mongodb://", "mongodb+srv://")):
            raise IsomerError(50030, f"--db / ISOMER_DB must be a mongodb:// URL, not {url!r}")
        return url

    @validate("instance")
    def _check_instance(self, proposal):
        name = proposal["value"]
        if not name or not all(c.isalnum() or c in "-_" for c in name):
            raise IsomerError(50030, f"instance name {name!r}: use letters, digits, - and _")
        return name

    @validate("csb_node_id")
    def _check_csb_node_id(self, proposal):
        node = proposal["value"]
        if not (node[:1].isascii() and node[:1].isalpha() and node.isascii() and node.isalnum()):
            raise IsomerError(50030, f"csb_node_id {node!r}: a letter, then letters and digits")
        return node

    @property
    def instance_dir(self) -> Path:
        return Path(self.home) / "instances" / self.instance

    @property
    def db_dir(self) -> Path:
        return self.instance_dir / "db"

    @property
    def log_dir(self) -> Path:
        return self.instance_dir / "logs"

    @property
    def database_name(self) -> str:
        """The MongoDB database: named by the URL's path if it has one, else by the instance."""
        if self.db_url:
            path = self.db_url.split("://", 1)[1].split("/", 1)
            if len(path) == 2:
                name = path[1].split("?", 1)[0]
                if name:
                    return name
        return f"isomer_{self.instance}"

    def describe(self) -> dict:
        return {
            "instance": self.instance,
            "database": "mongodb" if self.db_url else "embedded",
            "db_url": redact(self.db_url) if self.db_url else "(embedded SecantusDB)",
            "database_name": self.database_name,
            "address": self.host,
            "port": self.port,
            "instance_dir": str(self.instance_dir),
            "db_dir": str(self.db_dir) if not self.db_url else "",
            "log_dir": str(self.log_dir),
            "sources": list(self.sources),
            "sample": self.sample,
        }


def parse_env(trait, text: str, env: str):
    try:
        if isinstance(trait, List):
            return [part.strip() for part in text.split(",") if part.strip()]
        if isinstance(trait, Bool):
            return text.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(trait, Integer):
            return int(text)
    except ValueError as exc:
        raise IsomerError(50030, f"{env}={text!r}: {exc}") from exc
    return text


def redact(url: str) -> str:
    """Hide a password in a MongoDB URL before it is printed or served."""
    scheme, _, rest = url.partition("://")
    if "@" in rest:
        creds, _, host = rest.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url
