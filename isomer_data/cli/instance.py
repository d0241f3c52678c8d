"""``isomer instance create|list|info|remove``: the platforms this computer keeps."""

from __future__ import annotations

import json
import sys

from isomer_data.core.errors import IsomerError


def register(subparsers) -> None:
    parser = subparsers.add_parser("instance", help="create, list, inspect and remove instances")
    actions = parser.add_subparsers(dest="instance_action", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create",
        help="create an instance (its folder and configuration file)",
        description="Create an instance; the options given are written to its configuration "
        "file (change them later with isomer config set).",
    )
    create.add_argument("name", help="letters, digits, - and _")
    create.add_argument("--db", dest="db_url", help="MongoDB URL (default: embedded database)")
    create.add_argument("--port", type=int, help="web server port (default: 8888)")
    create.add_argument("--host", help="web server address (default: 127.0.0.1)")
    create.add_argument(
        "--source",
        dest="sources",
        action="append",
        help="live source (repeatable; default: none, the sample voyage replays)",
    )
    create.add_argument(
        "--home",
        help="folder holding every instance (default: $ISOMER_HOME, else $XDG_DATA_HOME/isomer-data)",
    )
    create.set_defaults(func=run_create)

    listing = actions.add_parser("list", help="list the instances and whether they run")
    listing.add_argument(
        "--home",
        help="folder holding every instance (default: $ISOMER_HOME, else $XDG_DATA_HOME/isomer-data)",
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)

    show = actions.add_parser("info", help="data folder, database, port, sources, state")
    show.add_argument("name")
    show.add_argument(
        "--home",
        help="folder holding every instance (default: $ISOMER_HOME, else $XDG_DATA_HOME/isomer-data)",
    )
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=run_info)

    remove = actions.add_parser(
        "remove",
        help="delete an instance and all its data (asks first)",
        description="Delete the instance's folder: its embedded database, notebooks, logs and "
        "backups. Refused while the instance runs. A database on a MongoDB server (--db) is "
        "left untouched.",
    )
    remove.add_argument("name")
    remove.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal)")
    remove.add_argument(
        "--home",
        help="folder holding every instance (default: $ISOMER_HOME, else $XDG_DATA_HOME/isomer-data)",
    )
    remove.set_defaults(func=run_remove)


def _config(args, name: str | None = None, **values):
    from isomer_data.instances import instance_config

    return instance_config(name or args.name, getattr(args, "home", None), **values)


def _existing(args):
    from isomer_data.instances import exists

    config = _config(args)
    if not exists(config):
        raise IsomerError(50101, f"{config.instance} (in {config.home})")
    return config


def run_create(args) -> int:
    from isomer_data.cli.config import check_values
    from isomer_data.instances import create

    values = {
        key: getattr(args, key)
        for key in ("db_url", "port", "host", "sources")
        if getattr(args, key) is not None
    }
    check_values(values)
    config = _config(args)
    create(config, values)
    print(f"created instance {config.instance!r} in {config.instance_dir}")
    print(f"  run it with: isomer launch --instance {config.instance}")
    return 0


def run_list(args) -> int:
    from isomer_data.instances import instance_names, state

    home = args.home or _config(args, "default").home
    rows = []
    for name in instance_names(home):
        try:
            config = _config(args, name)
        except IsomerError as exc:  # a bad file or name is shown, the others listed
            rows.append({"name": name, "state": f"error {exc.code}"})
            continue
        rows.append(
            {
                "name": name,
                **state(config),
                "database": "mongodb" if config.db_url else "embedded",
                "port": config.port,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"no instances in {home} (create one with: isomer instance create NAME)")
        return 0
    print(f"{'name':<24} {'state':<9} {'database':<9} {'port':>5}  url")
    for row in rows:
        print(
            f"{row['name']:<24} {row['state']:<9} {row.get('database', ''):<9} "
            f"{row.get('port', ''):>5}  {row.get('url', '')}"
        )
    return 0


def run_info(args) -> int:
    from isomer_data.instances import info

    described = info(_existing(args))
    if args.json:
        print(json.dumps(described, indent=2))
    else:
        for key, value in described.items():
            print(f"{key:>14}: {value}")
    return 0


def confirm(question: str, expected: str, yes: bool) -> None:
    """Ask on a terminal; without one, only ``--yes`` confirms (50104 otherwise)."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise IsomerError(50104, "no terminal to ask on: pass --yes")
    answer = input(f"{question} Type {expected!r} to confirm: ").strip()
    if answer != expected:
        raise IsomerError(50104, f"the answer was not {expected!r}")


def run_remove(args) -> int:
    from isomer_data.instances import in_use, remove

    config = _existing(args)
    user = in_use(config)
    if user:
        raise IsomerError(50103, f"{config.instance}: {user}")
    confirm(
        f"Remove instance {config.instance!r} and everything in {config.instance_dir}?",
        config.instance,
        args.yes,
    )
    remove(config)
    print(f"removed instance {config.instance!r}")
    if config.db_url:
        print(f"  its database {config.database_name!r} on the MongoDB server was left as it is")
    return 0
