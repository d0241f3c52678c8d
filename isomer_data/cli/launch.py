"""``isomer launch``: jupyter_server with the platform extension and JupyterLab at /lab."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys

from isomer_data.cli.options import (
    DATA_OPTIONS,
    SERVER_OPTIONS,
    SYNC_OPTIONS,
    add_config_options,
    config_from_args,
    resolved_config,
)
from isomer_data.config import IsomerConfig

log = logging.getLogger("isomer.launch")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "launch", help="run the platform", description="Run the platform (web server, database)."
    )
    add_config_options(parser, DATA_OPTIONS + SERVER_OPTIONS + SYNC_OPTIONS)
    parser.add_argument(
        "--no-run",
        action="store_true",
        help="print the resolved configuration and exit without starting anything",
    )
    parser.add_argument("--json", action="store_true", help="with --no-run: print JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    config = config_from_args(args)
    if args.no_run:
        described = config.describe()
        if args.json:
            print(json.dumps(described, indent=2))
        else:
            for key, value in described.items():
                print(f"{key:>14}: {value}")
        return 0
    if config.db_url:
        # Fail fast with a numbered error instead of a half-started server.
        from isomer_data.database.connection import ping

        ping(config.db_url)
    return serve(config)


def server_config(config: IsomerConfig):
    # Imported here: jupyter_server (and jsonschema's grammar building under it) costs over
    # a second of CPU, which every other command and `launch --no-run` should not pay.
    from isomer_data.server.extension import AUTH_CONFIG

    c = resolved_config(config)
    config.instance_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The instance holds the database, its login and the notebooks: the owner's alone.
    os.chmod(config.instance_dir, 0o700)
    workspace = config.instance_dir / "notebooks"
    workspace.mkdir(exist_ok=True)
    from isomer_data.notebook_examples import install_examples

    # JupyterLab shows the example notebooks from the first start on; never over a user's.
    try:
        install_examples(config.instance_dir, workspace)
    except OSError as exc:  # a courtesy: the platform starts without them
        log.warning("example notebooks not copied into %s: %s", workspace, exc)
    c.ServerApp.jpserver_extensions = {"isomer_data": True, "jupyterlab": True}
    c.ServerApp.ip = config.host
    c.ServerApp.port = config.port
    c.ServerApp.port_retries = 0
    c.ServerApp.open_browser = False
    c.ServerApp.root_dir = str(workspace)
    c.ServerApp.default_url = "/lab"
    c.ServerApp.allow_unauthenticated_access = False
    for name, value in AUTH_CONFIG.items():
        setattr(c.ServerApp, name, value)
    c.ServerApp.reraise_server_extension_failures = True
    if os.geteuid() == 0:
        log.warning(
            "running as root: allowed because small boat computers often have no other "
            "user, but a dedicated user is safer"
        )
        c.ServerApp.allow_root = True
    return c


def serve(config: IsomerConfig) -> int:
    from isomer_data.cli.instance_lock import InstanceLock

    lock = InstanceLock(config.instance_dir)
    lock.acquire()
    try:
        return _serve_locked(config, lock)
    finally:
        lock.release()


def _serve_locked(config: IsomerConfig, lock) -> int:
    from isomer_data.server.iri_grammar import defer_iri_grammar

    defer_iri_grammar()  # before jupyter_server imports jsonschema: half the start-up
    from jupyter_server.serverapp import ServerApp

    # Everything the server writes is the owner's alone: Jupyter's jpserver-*-open.html
    # carries the server token and was world-readable; kernels inherit this too.
    os.umask(0o077)
    app = ServerApp(config=server_config(config))
    try:
        app.initialize(argv=[])
    except Exception:
        _close_platform(app)
        raise
    # Ctrl-C stops at once and in order (Jupyter would ask "Shutdown? y/n" on a terminal).
    signal.signal(signal.SIGINT, app._signal_stop)
    platform = _platform(app)
    token = app.identity_provider.token
    url = (
        f"http://{'127.0.0.1' if config.host in ('0.0.0.0', '::', '') else config.host}:{app.port}"
    )
    lock.describe(url)
    print(
        f"\nIsomer Data is running (instance {config.instance!r}, "
        f"{platform.database.kind if platform else '?'} database).\n"
        f"  Panels:     {url}/isomer/?token={token}  (instruments, map, logbook)\n"
        f"  Status:     {url}/isomer/api/status\n"
        f"  JupyterLab: {url}/lab?token={token}\n"
        f"  The token logs you in as the administrator; add crew and scientists with\n"
        f"  `isomer db user create-user`, who then log in at {url}/login. Stop with Ctrl-C.\n",
        flush=True,
    )
    try:
        app.start()
    finally:
        _close_platform(app)
    return 0


def _platform(app):
    for ext in app.extension_manager.extension_apps.get("isomer_data", ()):
        platform = getattr(ext, "platform", None)
        if platform is not None:
            return platform
    return None


def _close_platform(app) -> None:
    """Stop the database child even when Jupyter's own cleanup did not run."""
    platform = _platform(app)
    if platform is not None:
        platform.database.close()
    sys.stdout.flush()
