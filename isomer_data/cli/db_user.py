"""``isomer db user create-user|create-admin|list|delete|passwd``, as in the original tool.

Missing details are asked for when standard input is a terminal, and are an error
(70003) otherwise, so scripts and CI never hang on a prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from isomer_data.cli.options import add_config_options, config_from_args
from isomer_data.errors import IsomerError
from isomer_data.services.auth.roles import ADMIN, CREW, ROLES


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
            sub.add_argument("--username", help="the user's login name")
        if action in ("create-user", "create-admin", "passwd"):
            sub.add_argument("--password", help="the password (asked for on a terminal if omitted)")
        if action == "create-user":
            sub.add_argument(
                "--role",
                action="append",
                choices=ROLES,
                help=f"role (repeatable; default {CREW})",
            )
        if action in ("create-user", "create-admin"):
            sub.add_argument("--name", help="display name")
        if action == "create-user":
            sub.add_argument(
                "--vessel",
                type=_vessel_urn,
                help="for a vessel identity: the vessel's URN (urn:mrn:imo:mmsi:NNN); a shore "
                "files the data this user syncs under it (docs/sync.md)",
            )
        add_config_options(sub)
        sub.set_defaults(func=run)


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

    from isomer_data.services.auth.users import UserStore

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
            password = _ask(args, "password", secret=True)
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
            await users.set_password(username, _ask(args, "password", secret=True))
            print(f"password of {username!r} changed")
        return 0
    finally:
        await client.close()


def run(args) -> int:
    from isomer_data.database import open_database

    with open_database(config_from_args(args)) as database:
        return asyncio.run(_run(args, database.url, database.name))
