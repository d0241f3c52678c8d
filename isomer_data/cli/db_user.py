"""``isomer db user create-user|create-admin|list|delete|passwd``, as in the original tool.

Missing details are asked for when standard input is a terminal, and are an error
(70003) otherwise, so scripts and CI never hang on a prompt.

Passwords stay out of the process list (``ps`` shows every user a command's arguments):
scripts give them with ``--password-stdin`` (the first line of standard input) or the
``ISOMER_PASSWORD`` environment variable. ``--password`` still works for a quick test but
says where the password can be seen. User names follow the rule of the panels' user form
(``schemas/user.json``): checked before anything is written.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from isomer_data.cli.options import add_config_options, config_from_args
from isomer_data.core.errors import IsomerError
from isomer_data.core.roles import ADMIN, CREW, ROLES

PASSWORD_VARIABLE = "ISOMER_PASSWORD"


def register(subparsers) -> None:
    db = subparsers.add_parser("db", help="manage the database's users")
    db_sub = db.add_subparsers(dest="db_command", metavar="WHAT", required=True)
    user = db_sub.add_parser("user", help="platform users (crew, scientists, vessels, admins)")
    actions = user.add_subparsers(dest="user_action", metavar="ACTION", required=True)
    for action, text in (
        ("create-user", f"create a user (role {CREW} unless --role says otherwise)"),
        ("create-admin", "create an administrator"),
        ("list", "list users and their roles"),
        ("delete", "delete a user and revoke their tokens"),
        ("passwd", "set a user's password"),
    ):
        sub = actions.add_parser(action, help=text, description=text)
        if action != "list":
            sub.add_argument(
                "--username", help="the user's login name (default: asked for on a terminal)"
            )
        if action in ("create-user", "create-admin", "passwd"):
            how = sub.add_mutually_exclusive_group()
            how.add_argument(
                "--password-stdin",
                action="store_true",
                help="read the password from the first line of standard input",
            )
            how.add_argument(
                "--password",
                help=f"the password (visible to other users in the process list: prefer "
                f"--password-stdin or {PASSWORD_VARIABLE}; default: asked for on a terminal)",
            )
        if action == "create-user":
            sub.add_argument(
                "--role",
                action="append",
                choices=ROLES,
                help=f"role (repeatable; default {CREW})",
            )
        if action in ("create-user", "create-admin"):
            sub.add_argument("--name", help="display name (default: none)")
        if action == "create-user":
            sub.add_argument(
                "--vessel",
                type=_vessel_urn,
                help="for a vessel identity: the vessel's URN (urn:mrn:imo:mmsi:NNN); a shore "
                "files the data this user syncs under it (docs/sync.md; default: none)",
            )
        add_config_options(sub)
        sub.set_defaults(func=run)


def _password(args) -> str:
    """From --password-stdin, --password, ISOMER_PASSWORD, or the terminal, in that order."""
    from_env = os.environ.get(PASSWORD_VARIABLE)
    given = [bool(args.password_stdin), args.password is not None]
    if any(given) and from_env:
        raise IsomerError(40102, f"{PASSWORD_VARIABLE} is set as well")
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if password.endswith("\r"):
            password = password[:-1]
        if not password:
            raise IsomerError(70003, "--password-stdin read an empty line")
        return password
    if args.password is not None:
        print(
            "warning: --password is visible in the process list; "
            f"prefer --password-stdin or {PASSWORD_VARIABLE}",
            file=sys.stderr,
        )
        return args.password
    if from_env:
        return from_env
    return _ask(args, "password", secret=True)


def _vessel_urn(text: str) -> str:
    import re

    if not re.fullmatch(r"urn:mrn:[A-Za-z0-9:._-]{1,200}", text):
        raise argparse.ArgumentTypeError("a vessel URN is urn:mrn:… (e.g. urn:mrn:imo:mmsi:NNN)")
    return text


def _ask(args, field: str, secret: bool = False) -> str:
    value = getattr(args, field, None)
    if value:
        return value
    if not sys.stdin.isatty():
        raise IsomerError(70003, f"--{field}")
    if not secret:
        return input(f"{field.capitalize()}: ").strip()
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != first:
        raise IsomerError(70003, "the two passwords differ")
    return first


async def _run(args, url: str, name: str) -> int:
    from pymongo import AsyncMongoClient

    from isomer_data.services.auth.users import UserStore, check_username

    client = AsyncMongoClient(url, serverSelectionTimeoutMS=5000, tz_aware=True)
    try:
        users = UserStore(client[name])
        await users.ensure_indexes()
        action = args.user_action
        if action == "list":
            rows = await users.list()
            print(f"{'username':<20} {'roles':<24} name")
            for doc in rows:
                print(
                    f"{doc['username']:<20} {','.join(doc.get('roles', ())):<24} {doc.get('name', '')}"
                )
            return 0
        username = _ask(args, "username")
        if action in ("create-user", "create-admin"):
            check_username(username)
            password = _password(args)
            roles = [ADMIN] if action == "create-admin" else (args.role or [CREW])
            extra = {"vessel": args.vessel} if getattr(args, "vessel", None) else {}
            doc = await users.create(username, password, roles, name=args.name or "", **extra)
            print(f"created user {doc['username']!r} with roles {', '.join(doc['roles'])}")
        elif action == "delete":
            await users.delete(username)
            print(f"deleted user {username!r} and revoked their tokens")
        elif action == "passwd":
            if await users.get(username) is None:
                raise IsomerError(70002, username)
            await users.set_password(username, _password(args))
            print(f"password of {username!r} changed")
        return 0
    finally:
        await client.close()


def run(args) -> int:
    from isomer_data.database import open_database

    with open_database(config_from_args(args)) as database:
        return asyncio.run(_run(args, database.url, database.name))
