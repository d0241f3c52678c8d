"""Command-line flags generated from :class:`IsomerConfig`'s traits.

A flag is another way to set a trait, never a second configuration system: its help text
is the trait's, its environment variable is the trait's, and the value lands in the
trait through a traitlets ``Config``.
"""

from __future__ import annotations

import argparse

from traitlets import Bool, Integer, List
from traitlets.config import Config

from isomer_data.config import IsomerConfig

# flag → trait; data commands take DATA_OPTIONS so they all see the platform's database.
FLAGS = {
    "instance": "--instance",
    "home": "--home",
    "db_url": "--db",
    "db_port": "--db-port",
    "db_cache_size": "--db-cache-size",
    "host": "--host",
    "port": "--port",
    "sources": "--source",
    "sample": "--sample",
    "sync_to": "--sync-to",
    "sync_token": "--sync-token",
    "sync_bandwidth": "--sync-bandwidth",
    "sync_window": "--sync-window",
    "safe_mode": "--safe-mode",
}
DATA_OPTIONS = ("instance", "home", "db_url", "db_port", "db_cache_size")
SERVER_OPTIONS = ("host", "port", "sources", "sample", "safe_mode")
SYNC_OPTIONS = ("sync_to", "sync_token", "sync_bandwidth", "sync_window")


def add_config_options(parser: argparse.ArgumentParser, names=DATA_OPTIONS) -> None:
    traits = IsomerConfig.class_traits(config=True)
    group = parser.add_argument_group("configuration (also from ISOMER_* variables)")
    for name in names:
        trait = traits[name]
        flag = FLAGS[name]
        env = trait.metadata.get("env")
        help_text = f"{trait.help} [{env}]"
        if "default" not in trait.help:
            help_text += f" (default: {_shown_default(trait.default_value)})"
        if isinstance(trait, Bool):
            group.add_argument(
                flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
        elif isinstance(trait, List):
            group.add_argument(
                flag, dest=name, action="append", default=None, help=help_text + " (repeatable)"
            )
        elif isinstance(trait, Integer):
            group.add_argument(flag, dest=name, type=int, default=None, help=help_text)
        else:
            group.add_argument(flag, dest=name, default=None, help=help_text)


def _shown_default(value) -> str:
    if value == "" or value == []:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def config_from_args(args: argparse.Namespace) -> IsomerConfig:
    section = {name: getattr(args, name) for name in FLAGS if getattr(args, name, None) is not None}
    return IsomerConfig(config=Config({"IsomerConfig": section}))


def resolved_config(config: IsomerConfig) -> Config:
    """Every trait's final value, to hand to another process or a server app."""
    values = {name: getattr(config, name) for name in config.traits(config=True)}
    return Config({"IsomerConfig": values})
