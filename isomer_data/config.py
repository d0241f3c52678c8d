"""The platform's settings, as traitlets so that one definition serves everywhere.

Every tunable is a trait with ``config=True`` and ``help=``: it can be set in a Jupyter
config file (``c.IsomerConfig.db_url = ...``), on the ``isomer`` command line (flags are
generated from this table in :mod:`isomer_data.cli.options`) and through an ``ISOMER_*``
environment variable, named in the trait's ``env`` metadata, as in the original Isomer.

Each instance also has its own configuration file, ``<instance folder>/isomer_config.json``
(a traitlets JSON config file: ``{"IsomerConfig": {"port": 8080}}``), written by
``isomer config set`` and read by every command and the platform. Precedence: flag (or
explicit configuration) > ``ISOMER_*`` variable > instance file > built-in default; each
value's origin is kept in ``origins`` for ``isomer config show``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from traitlets import Bool, Integer, List, TraitError, Unicode, default, validate
from traitlets.config import Configurable

from isomer_data.core.errors import IsomerError

CONFIG_FILE = "isomer_config.json"
# These say where the instance file is, so they cannot come from it.
NOT_IN_FILE = ("instance", "home")


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
    ).tag(config=True, env="ISOMER_DB", secret=True)

    db_port = Integer(
        0,
        min=0,
        max=65535,
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

    port = Integer(8888, min=0, max=65535, help="TCP port of the web server.").tag(
        config=True, env="ISOMER_PORT"
    )

    sources = List(
        Unicode(),
        help="Live data sources the platform ingests (serial://, tcp://, udp://, file paths; "
        "NMEA 2000: can://can0, can://virtual/CHANNEL, ydraw+tcp://, actisense+udp://, ...).",
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

    ws_queue_bytes = Integer(
        4 * 1024 * 1024,
        help="Bytes waiting in the server for one websocket client (replies included); "
        "beyond it messages are dropped and counted, as for ws_queue.",
    ).tag(config=True, env="ISOMER_WS_QUEUE_BYTES")

    ws_cached_values = Integer(
        10_000,
        min=0,
        help="Current values a Signal K stream or hub subscription is sent at once when it "
        "starts (the own vessel's first, at most half of ws_queue and ws_queue_bytes); the "
        "others arrive when they next change.",
    ).tag(config=True, env="ISOMER_WS_CACHED_VALUES")

    ws_max_per_address = Integer(
        64,
        help="Open websockets (hub and Signal K stream together) from one client address; "
        "the next is closed with code 1013 and a reason. Behind a reverse proxy every "
        "client shares the proxy's address: raise it there.",
    ).tag(config=True, env="ISOMER_WS_MAX_PER_ADDRESS")

    ws_max_anonymous = Integer(
        256,
        help="Open websockets not logged in, from all addresses together; the next is "
        "closed with code 1013 and a reason.",
    ).tag(config=True, env="ISOMER_WS_MAX_ANONYMOUS")

    chart_tile_cache_bytes = Integer(
        32 * 1024 * 1024,
        min=0,
        help="Bytes of chart tiles (vector and raster, made or read) kept in memory, least "
        "recently used dropped first; 0 keeps none.",
    ).tag(config=True, env="ISOMER_CHART_TILE_CACHE_BYTES")

    ws_recheck_seconds = Integer(
        30,
        help="How often open websockets re-check their login against the database (a token "
        "revoked, a user deleted, disabled or given other roles by another process); "
        "changes made through this server apply at once. 0 turns the timer off.",
    ).tag(config=True, env="ISOMER_WS_RECHECK_SECONDS")

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

    backup_interval = Integer(
        0,
        min=0,
        help="Seconds between scheduled backups of the running platform (0: none).",
    ).tag(config=True, env="ISOMER_BACKUP_INTERVAL")

    backup_keep = Integer(
        7,
        min=1,
        help="Scheduled backups kept in the instance's backups folder; older ones are deleted.",
    ).tag(config=True, env="ISOMER_BACKUP_KEEP")

    time_future_seconds = Integer(
        86400,
        help="Observations stamped more than this many seconds after they arrive are refused "
        "(a wrong clock would otherwise pin a path's value and poison storage).",
    ).tag(config=True, env="ISOMER_TIME_FUTURE_SECONDS")

    time_earliest_year = Integer(
        1980,
        help="Observations stamped before 1 January of this year are refused.",
    ).tag(config=True, env="ISOMER_TIME_EARLIEST_YEAR")

    live_max_contexts = Integer(
        5_000,
        min=1,
        help="Vessels (Signal K contexts) the live state holds: the own vessel and AIS "
        "targets. Values of a new one beyond it are refused (70322) and counted; the known "
        "ones keep updating. A busy strait shows a few hundred AIS targets at once.",
    ).tag(config=True, env="ISOMER_LIVE_MAX_CONTEXTS")

    live_max_paths = Integer(
        2_000,
        min=1,
        help="Paths the live state holds per vessel. New path names beyond it are refused "
        "(70323) and counted; the known ones keep updating. A well-equipped boat's full "
        "Signal K model has a few hundred paths, an AIS target a few dozen.",
    ).tag(config=True, env="ISOMER_LIVE_MAX_PATHS")

    live_max_values = Integer(
        250_000,
        min=1,
        help="Values the live state holds, all vessels together (what bounds its memory: "
        "live_max_contexts × live_max_paths alone would allow ten million). New ones beyond "
        "it are refused (70324) and counted.",
    ).tag(config=True, env="ISOMER_LIVE_MAX_VALUES")

    live_context_max_age = Integer(
        3600,
        min=0,
        help="Seconds after its last value a vessel other than the own may be forgotten by "
        "the live state, and only when the state is full (live_max_contexts or "
        "live_max_values reached): AIS targets long gone make room for new ones.",
    ).tag(config=True, env="ISOMER_LIVE_CONTEXT_MAX_AGE")

    spill_max_bytes = Integer(
        64 * 1024 * 1024,
        help="Room on disk (instance folder, spill/) for data vessels publish while the "
        "database is away; replayed when it returns. When full, publishes are refused.",
    ).tag(config=True, env="ISOMER_SPILL_MAX_BYTES")

    sync_to = Unicode(
        "",
        help="Shore platform (http(s)://HOST:PORT) this boat sends its data to; empty: none.",
    ).tag(config=True, env="ISOMER_SYNC_TO")

    sync_token = Unicode(
        "",
        help="The vessel's API token on the shore platform (a user with the vessel role).",
    ).tag(config=True, env="ISOMER_SYNC_TOKEN", secret=True)

    sync_bandwidth = Integer(
        0,
        min=0,
        help="Bytes per second the sync may put on the link (0: no cap).",
    ).tag(config=True, env="ISOMER_SYNC_BANDWIDTH")

    sync_window = Unicode(
        "",
        help="Daily UTC window the sync may send in, HH:MM-HH:MM (empty: any time).",
    ).tag(config=True, env="ISOMER_SYNC_WINDOW")

    dask_scheduler = Unicode(
        "",
        help="Dask scheduler (tcp://HOST:8786) that grids all vessels' soundings on a shore "
        "with many; empty: grid in this process.",
    ).tag(config=True, env="ISOMER_DASK_SCHEDULER")

    def __init__(self, file_values: dict | None = None, **kwargs):
        # Environment values sit between the instance file and explicit configuration;
        # ``file_values`` stands in for the instance file (a restore checks a backup's).
        super().__init__(**kwargs)
        explicit = self.config.get(type(self).__name__, {})
        traits = self.traits(config=True)
        self.origins = {name: "flag" if name in explicit else "default" for name in traits}
        for name, trait in traits.items():
            env = trait.metadata.get("env")
            if env and env in os.environ and name not in explicit:
                setattr(self, name, parse_env(trait, os.environ[env], env))
                self.origins[name] = "environment"
        if file_values is None:
            file_values = read_config_file(self.config_file)
        for name, value in file_values.items():
            if self.origins.get(name) == "default":
                try:
                    setattr(self, name, value)
                except (TraitError, IsomerError) as exc:
                    raise IsomerError(
                        50113, f"{self.config_file}: {name}: {_reason(exc)}"
                    ) from None
                self.origins[name] = "file"

    @property
    def config_file(self) -> Path:
        return self.instance_dir / CONFIG_FILE

    @property
    def backup_dir(self) -> Path:
        return self.instance_dir / "backups"

    @default("home")
    def _home_default(self) -> str:
        return _default_home()

    @validate("db_url")
    def _check_db_url(self, proposal):
        url = proposal["value"]
        if url and not url.startswith(("mongodb://", "mongodb+srv://")):
            raise IsomerError(50030, f"--db / ISOMER_DB must be a mongodb:// URL, not {url!r}")
        return url

    @validate("time_earliest_year")
    def _check_earliest_year(self, proposal):
        year = proposal["value"]
        if not 1970 <= year <= 2100:
            raise IsomerError(50030, f"time_earliest_year {year}: use a year from 1970 to 2100")
        return year

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


def _reason(exc: Exception) -> str:
    if isinstance(exc, IsomerError):
        return exc.detail
    return str(exc).split(". ")[0][:200]


def read_config_file(path: Path) -> dict:
    """The settings of an instance file, checked to be known keys (50113 otherwise)."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise IsomerError(50113, f"{path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise IsomerError(50113, f"{path}: not JSON ({exc})") from None
    section = data.get("IsomerConfig", {}) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise IsomerError(50113, f'{path}: expected {{"IsomerConfig": {{...}}}}')
    known = IsomerConfig.class_traits(config=True)
    for name in section:
        if name not in known or name in NOT_IN_FILE:
            raise IsomerError(50113, f"{path}: unknown or misplaced key {name!r}")
    return section


def write_config_file(path: Path, values: dict) -> None:
    """Write an instance file atomically, readable by its owner only (it may hold a URL
    with a password)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"IsomerConfig": values}, out, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(tmp, path)


def shown_value(trait, value):
    """A value as it may be printed: secrets (URLs with passwords) are hidden."""
    if trait.metadata.get("secret") and value:
        return redact(value) if isinstance(value, str) and "://" in value else "***"
    return value


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
