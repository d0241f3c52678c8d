"""Entry point of ``isomer``/``iso``: subcommands register themselves from small modules."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from isomer_data import __version__
from isomer_data.core.errors import IsomerError

# Each module has ``register(subparsers)`` which adds its parser and sets ``func``.
COMMAND_MODULES = [
    "isomer_data.cli.launch",
    "isomer_data.cli.ingest",
    "isomer_data.cli.export",
    "isomer_data.cli.db_user",
    "isomer_data.cli.instance",
    "isomer_data.cli.config",
    "isomer_data.cli.backup",
    "isomer_data.cli.upgrade",
    "isomer_data.cli.system",
    "isomer_data.cli.sync",
    "isomer_data.cli.module",
]


PROGRAMS = ("isomer", "iso")


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless the text already names it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            action.option_strings
            and "default" not in text
            and action.default not in (None, argparse.SUPPRESS)
            and not isinstance(action, argparse.BooleanOptionalAction)
        ):
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """The parser class of ``isomer`` and of each sub-command (so all share the formatter)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def program_name(argv0: str | None = None) -> str:
    """``iso`` when started as ``iso``, else ``isomer`` (also under ``python -m``)."""
    name = os.path.basename(sys.argv[0] if argv0 is None else argv0)
    return name if name in PROGRAMS else "isomer"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    import importlib

    parser = Parser(
        prog=prog or program_name(),
        description="Isomer Data: open ocean data platform management tool.",
    )
    parser.add_argument("--version", action="version", version=f"isomer-data {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log debug messages (default: off)"
    )
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
        print(f"{parser.prog}: error {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last resort: a person gets one line, -v the traceback
        if args.verbose:
            raise
        error = IsomerError(70108, f"{type(exc).__name__}: {exc}")
        print(f"{parser.prog}: error {error}", file=sys.stderr)
        return error.exit_status


if __name__ == "__main__":
    sys.exit(main())
