"""``isomer config show|get|set|unset``: the instance's configuration file.

Values are checked against :class:`IsomerConfig`'s traits (type, range, validators)
before they are written, so a file written here never stops a platform from starting.
"""

from __future__ import annotations

import json

from traitlets import Bool, Integer, List, TraitError
from traitlets.config import Config

from isomer_data.cli.options import DATA_OPTIONS, SERVER_OPTIONS, add_config_options
from isomer_data.config import NOT_IN_FILE, IsomerConfig, shown_value, write_config_file
from isomer_data.core.errors import IsomerError

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "config",
        help="show and change an instance's configuration",
        description="Read and write the instance's configuration file "
        "(<instance folder>/isomer_config.json). Precedence: flag > ISOMER_* variable > "
        "file > default.",
    )
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="every setting, its value and where it comes from")
    show.add_argument("--json", action="store_true", help="print JSON")
    add_config_options(show, DATA_OPTIONS + SERVER_OPTIONS)
    show.set_defaults(func=run_show)

    get = actions.add_parser("get", help="print one setting's value")
    get.add_argument("key")
    add_config_options(get, DATA_OPTIONS + SERVER_OPTIONS)
    get.set_defaults(func=run_get)

    put = actions.add_parser("set", help="write a setting to the instance's file")
    put.add_argument("key")
    put.add_argument("value", help="lists: comma-separated or a JSON list")
    add_config_options(put, ("instance", "home"))
    put.set_defaults(func=run_set)

    unset = actions.add_parser("unset", help="remove a setting from the instance's file")
    unset.add_argument("key")
    add_config_options(unset, ("instance", "home"))
    unset.set_defaults(func=run_unset)


def _trait(key: str):
    traits = IsomerConfig.class_traits(config=True)
    if key not in traits:
        raise IsomerError(50110, f"{key!r}; known: {', '.join(sorted(traits))}")
    return traits[key]


def _file_trait(key: str):
    trait = _trait(key)
    if key in NOT_IN_FILE:
        raise IsomerError(50110, f"{key!r} is chosen with --{key}, not stored in the file")
    return trait


def parse_value(key: str, text: str):
    """Text from the command line to the trait's type (50111 if it is not one)."""
    trait = _trait(key)
    if isinstance(trait, Bool):
        lowered = text.strip().lower()
        if lowered in TRUE:
            return True
        if lowered in FALSE:
            return False
        raise IsomerError(50111, f"{key}={text!r}: expected true or false")
    if isinstance(trait, Integer):
        try:
            return int(text.strip())
        except ValueError:
            raise IsomerError(50111, f"{key}={text!r}: expected an integer") from None
    if isinstance(trait, List):
        stripped = text.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except ValueError:
                raise IsomerError(50111, f"{key}={text!r}: not a JSON list") from None
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise IsomerError(50111, f"{key}={text!r}: expected a list of strings")
            return value
        return [part.strip() for part in stripped.split(",") if part.strip()]
    return text


def check_values(values: dict) -> None:
    """Run the traits' own checks (type, min/max, validators) on ``values``: 50111."""
    for key, value in values.items():
        _file_trait(key)
        try:
            IsomerConfig(config=Config({"IsomerConfig": {key: value}}), file_values={})
        except TraitError as exc:
            reason = str(exc).split(". ")[0].replace("The 'IsomerConfig' trait of an ", "")
            raise IsomerError(50111, f"{key}={value!r}: {reason[:200]}") from None
        except IsomerError as exc:
            if exc.code == 50030:
                raise IsomerError(50111, f"{key}: {exc.detail}") from None
            raise


def _resolved(args) -> IsomerConfig:
    from isomer_data.cli.options import config_from_args

    return config_from_args(args)


def run_show(args) -> int:
    config = _resolved(args)
    traits = config.traits(config=True)
    rows = {
        name: {
            "value": shown_value(trait, getattr(config, name)),
            "origin": config.origins[name],
        }
        for name, trait in sorted(traits.items())
    }
    if args.json:
        print(json.dumps({"config_file": str(config.config_file), "settings": rows}, indent=2))
        return 0
    print(f"# {config.config_file}")
    width = max(map(len, rows))
    for name, row in rows.items():
        print(f"{name:<{width}}  {json.dumps(row['value']):<40} ({row['origin']})")
    return 0


def run_get(args) -> int:
    config = _resolved(args)
    trait = _trait(args.key)
    value = shown_value(trait, getattr(config, args.key))
    print(value if isinstance(value, str) else json.dumps(value))
    return 0


def _file_state(args):
    """The instance's file as it is, even when it holds a bad key (so unset can fix it)."""
    section = {name: getattr(args, name) for name in ("instance", "home") if getattr(args, name)}
    config = IsomerConfig(config=Config({"IsomerConfig": section}), file_values={})
    try:
        data = json.loads(config.config_file.read_text())
    except FileNotFoundError:
        return config, {}
    except (OSError, ValueError) as exc:
        raise IsomerError(50113, f"{config.config_file}: {exc}") from None
    values = data.get("IsomerConfig") if isinstance(data, dict) else None
    if not isinstance(values, dict):
        raise IsomerError(50113, f"{config.config_file}: no IsomerConfig section")
    return config, dict(values)


def run_set(args) -> int:
    _file_trait(args.key)
    value = parse_value(args.key, args.value)
    check_values({args.key: value})
    config, values = _file_state(args)
    values[args.key] = value
    write_config_file(config.config_file, values)
    trait = _trait(args.key)
    print(f"{args.key} = {json.dumps(shown_value(trait, value))} (in {config.config_file})")
    return 0


def run_unset(args) -> int:
    config, values = _file_state(args)
    if args.key not in values:
        _file_trait(args.key)  # an unknown key is an error, unless it is there to remove
    if values.pop(args.key, None) is None:
        print(f"{args.key} was not set in {config.config_file}")
        return 0
    write_config_file(config.config_file, values)
    print(f"{args.key} removed from {config.config_file}")
    return 0
