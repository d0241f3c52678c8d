"""``isomer upgrade``, ``isomer rollback`` and ``isomer migrate``: blue/green upgrades.

The logic is in :mod:`isomer_data.upgrades` (environments, rehearsal, switch) and
:mod:`isomer_data.migrations` (the numbered data migrations).
"""

from __future__ import annotations

import json
from pathlib import Path

from isomer_data.cli.options import add_config_options, config_from_args
from isomer_data.core.errors import IsomerError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "upgrade",
        help="upgrade an instance into its idle environment; switch only if healthy",
        description="Install the new version into the instance's idle environment (offline), "
        "back up, migrate a copy of the data, run the new version against the copy on a spare "
        "port and check it (status, database, ingest → hub → query); only then stop the "
        "running platform, snapshot and migrate the live data, and start the new version. "
        "Anything failing leaves the running version untouched. See docs/upgrades.md.",
    )
    parser.add_argument(
        "--to",
        metavar="VERSION|PATH",
        help="a wheel file, or a version found in --wheelhouse (default: the newest there)",
    )
    parser.add_argument(
        "--wheelhouse",
        metavar="FOLDER",
        help="folder of wheels to install from (default: <home>/wheelhouse if it exists)",
    )
    parser.add_argument("--status", action="store_true", help="show both environments and exit")
    parser.add_argument("--json", action="store_true", help="with --status: print JSON")
    add_config_options(parser, ("instance", "home"))
    parser.set_defaults(func=run_upgrade)

    back = subparsers.add_parser(
        "rollback",
        help="return to the previous environment and its data snapshot",
        description="Stop the platform, put back the data snapshot taken when the last upgrade "
        "switched, point envs/current at the previous environment and start it (if the platform "
        "ran). The newer version's data becomes the snapshot: a second rollback returns to it.",
    )
    add_config_options(back, ("instance", "home"))
    back.set_defaults(func=run_rollback)

    migrate = subparsers.add_parser(
        "migrate",
        help="run the pending data migrations of this version on an instance",
        description="Bring the instance's database to this version's schema (numbered steps "
        "in isomer_data/migrations). isomer upgrade runs it from the new environment.",
    )
    migrate.add_argument(
        "--status", action="store_true", help="show the database's and this version's schema"
    )
    add_config_options(migrate)
    migrate.set_defaults(func=run_migrate)


def _wheelhouse(args, config) -> Path | None:
    if args.wheelhouse:
        return Path(args.wheelhouse).expanduser()
    default = Path(config.home) / "wheelhouse"
    return default if default.is_dir() else None


def run_upgrade(args) -> int:
    from isomer_data import upgrades

    config = config_from_args(args)
    if args.status:
        if not config.instance_dir.is_dir():
            raise IsomerError(50101, f"{config.instance} (in {config.home})")
        return _print_status(upgrades.status(config), args.json)
    upgrades.upgrade(config, args.to, _wheelhouse(args, config), log=_say)
    print(f"upgrade done; run isomer upgrade --status --instance {config.instance} to see it")
    return 0


def _say(line: str) -> None:
    print(line, flush=True)


def _print_status(described: dict, as_json: bool) -> int:
    if as_json:
        print(json.dumps(described, indent=2))
        return 0
    print(f"instance {described['instance']!r}: platform {described['platform']['state']}")
    print(f"{'env':<9} {'role':<9} {'version':<12} prefix")
    for row in described["environments"]:
        version = row["version"] or ("(broken)" if row["installed"] else "-")
        print(f"{row['name']:<9} {row['role']:<9} {version:<12} {row['prefix']}")
    print(f"data snapshot for rollback: {described['snapshot'] or '(none)'}")
    return 0


def run_rollback(args) -> int:
    from isomer_data import upgrades

    config = config_from_args(args)
    upgrades.rollback(config, log=_say)
    return 0


def run_migrate(args) -> int:
    from isomer_data import migrations
    from isomer_data.database import open_database
    from isomer_data.instances import exists

    config = config_from_args(args)
    if not config.db_url and not exists(config):
        raise IsomerError(50101, f"{config.instance} (in {config.home})")
    with open_database(config) as database:
        if args.status:
            print(
                f"database schema {migrations.schema_version(database.db)}, "
                f"this version's schema {migrations.code_version()}"
            )
            return 0
        ran = migrations.migrate(database.db, log=_say)
        version = migrations.schema_version(database.db)
    print(f"instance {config.instance!r} at schema {version} ({len(ran)} steps ran)")
    return 0
