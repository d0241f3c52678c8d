"""Entry point of ``isomer``/``iso``: subcommands register themselves from small modules."""

from __future__ import annotations

import argparse
import logging
import sys

from isomer_data import __version__
from isomer_data.errors import IsomerError

# Each module has ``register(subparsers)`` which adds its parser and sets ``func``.
COMMAND_MODULES = [
    "isomer_data.cli.launch",
    "isomer_data.cli.ingest",
    "isomer_data.cli.export",
    "isomer_data.cli.db_user",
    "isomer_data.cli.module",
]


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="isomer", description="Isomer Data: open ocean data platform management tool."
    )
    parser.add_argument("--version", action="version", version=f"isomer-data {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except IsomerError as exc:
        print(f"isomer: error {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("isomer: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
