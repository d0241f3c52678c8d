"""``isomer module list|info|enable|disable|config NAME [--set key=value]``, ``install``,
and module verbs.

Settings live in the database's ``modules`` collection, where the admin panel keeps them
too; each change bumps the module's ``revision``, and a running platform applies it within
a few seconds (that module alone restarts). The state shown is the one the platform last
reported. ``isomer module NAME VERB …`` runs the verbs a module adds (``Module.cli``).
``isomer module install PATH|NAME`` runs pip in the platform's environment and says which
modules are new and that the platform must restart to load them.
``isomer module add-webapp NPM-PACKAGE[@VERSION]`` runs npm (at this moment only, never at
run time) into the instance's ``webapps`` folder and keeps the package only if it is a Signal
K web app (``core/webapps.py``); ``remove-webapp`` takes it out again.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from isomer_data.cli.options import add_config_options, config_from_args
from isomer_data.core.errors import IsomerError

ACTIONS = {
    "list": "installed modules, enabled or not, and their state",
    "info": "one module: version, state, configuration and its schema, events, panel",
    "enable": "enable a module (a running platform starts it within seconds)",
    "disable": "disable a module (a running platform stops it within seconds)",
    "config": "show a module's configuration, or change it with --set key=value",
    "install": "pip-install a module (a folder, wheel or package name) into this environment",
    "add-webapp": "npm-install a Signal K web app (NPM-PACKAGE[@VERSION]) into this instance",
    "remove-webapp": "remove a web app added with add-webapp (by package or module name)",
}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "module",
        help="installed modules: list, enable, configure",
        description="Installed modules. ACTION is one of: "
        + "; ".join(f"{k}: {v}" for k, v in ACTIONS.items())
        + ". Any other word names a module whose own verbs follow (isomer module NAME --help).",
    )
    parser.add_argument("action", metavar="ACTION|NAME")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="the action's arguments")
    parser.set_defaults(func=run)


def _action_parser(action: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"isomer module {action}", description=ACTIONS[action])
    if action in ("add-webapp", "remove-webapp"):
        if action == "add-webapp":
            parser.add_argument(
                "package",
                help="an npm package with the signalk-webapp keyword, NAME[@VERSION] "
                "(@signalk/freeboard-sk@2.24.2), or a .tgz made by npm pack",
            )
            parser.add_argument(
                "--npm-arg",
                action="append",
                default=[],
                metavar="ARG",
                help="passed to npm install as it is (--npm-arg=--offline); repeatable",
            )
        else:
            parser.add_argument("name", help="the package (@scope/name) or its module name")
        add_config_options(parser)
        return parser
    if action == "install":
        parser.add_argument("target", help="a folder with pyproject.toml, a wheel, or a name")
        parser.add_argument("--upgrade", action="store_true", help="upgrade if installed")
        parser.add_argument(
            "--target-dir",
            help="install into this folder instead (it must be on the platform's sys.path)",
        )
        parser.add_argument(
            "--pip-arg",
            action="append",
            default=[],
            metavar="ARG",
            help="passed to pip install as it is (--pip-arg=--no-index); repeatable",
        )
        return parser
    if action != "list":
        parser.add_argument("name", help="the module's name")
    if action == "list":
        parser.add_argument("--json", action="store_true", help="print JSON")
    if action == "config":
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="set a field (VALUE is read as JSON when it parses: 3, true, [1,2]; "
            "else as text); repeatable",
        )
        parser.add_argument(
            "--unset", action="append", default=[], metavar="KEY", help="back to the default"
        )
    add_config_options(parser)
    return parser


def _descriptions(config=None) -> dict:
    """``name -> (Module or None, source, builtin, error)`` as this process can load them."""
    from isomer_data.core.modules import discover, load_description
    from isomer_data.core.webapps import roots_for

    roots = roots_for(config.instance_dir if config is not None else None)
    out = {}
    for name, source, builtin in discover(webapp_roots=roots):
        try:
            out[name] = (load_description(source), source, builtin, None)
        except Exception as exc:  # shown as the reason, never a traceback
            out[name] = (None, source, builtin, f"{type(exc).__name__}: {exc}")
    return out


def _find(name: str, config=None):
    found = _descriptions(config)
    if name not in found:
        raise IsomerError(50200, f"{name!r}; installed: {', '.join(found)}")
    return found[name]


def _masked(module, config: dict) -> dict:
    props = (module.config_schema or {}).get("properties", {}) if module else {}
    return {k: "********" if props.get(k, {}).get("writeOnly") else v for k, v in config.items()}


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def run(args) -> int:
    action = args.action
    if action not in ACTIONS:
        return _module_verb(action, args.rest)
    options = _action_parser(action).parse_args(args.rest)
    if action == "install":
        return _install(options)
    if action == "add-webapp":
        return _add_webapp(options)
    if action == "remove-webapp":
        return _remove_webapp(options)
    from isomer_data.database import open_database

    config = config_from_args(options)
    with open_database(config) as database:
        collection = database.db["modules"]
        if action == "list":
            return _list(collection, options, config)
        module, source, builtin, error = _find(options.name, config)
        doc = collection.find_one({"_id": options.name}) or {}
        if action == "info":
            return _info(options.name, module, source, builtin, error, doc)
        if module is None:
            raise IsomerError(50202, error)
        if action in ("enable", "disable"):
            from isomer_data.core.modules import ALWAYS_ON

            if action == "disable" and builtin and options.name in ALWAYS_ON:
                raise IsomerError(50205, options.name)
            _store(collection, options.name, {"enabled": action == "enable"})
            print(f"{options.name} {action}d; a running platform applies it within seconds")
            return 0
        return _config(collection, options, module, doc)


def _list(collection, options, config=None) -> int:
    stored = {doc["_id"]: doc for doc in collection.find({})}
    rows = []
    for name, (module, _source, builtin, error) in _descriptions(config).items():
        doc = stored.get(name, {})
        default = module.enabled_by_default if module else False
        state = doc.get("state", "not started yet")
        problem = doc.get("error") or ({"stage": "load", "message": error} if error else None)
        if error:
            state = "failed"
        rows.append(
            {
                "name": name,
                "version": module.version if module else "",
                "builtin": builtin,
                "enabled": bool(doc.get("enabled", default)),
                "state": state,
                "error": problem,
                "webapp": f"/{module.webapp.url}" if module and module.webapp else None,
            }
        )
    if options.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'module':<20} {'version':<10} {'enabled':<8} state")
    for row in rows:
        line = f"{row['name']:<20} {row['version']:<10} {'yes' if row['enabled'] else 'no':<8} "
        line += row["state"]
        if row["webapp"]:
            line += f"  web app at {row['webapp']}"
        if row["error"]:
            line += f" ({row['error'].get('stage')}: {row['error'].get('message', '')})"
        print(line)
    return 0


def _info(name, module, source, builtin, error, doc) -> int:
    from isomer_data.core.modules import defaults

    print(f"module:      {name} ({'built in' if builtin else source})")
    if module is None:
        print(f"state:       failed to load here: {error}")
        return 0
    print(f"version:     {module.version}  (needs isomer-data {module.requires or 'any'})")
    print(f"description: {module.description}")
    print(f"enabled:     {'yes' if doc.get('enabled', module.enabled_by_default) else 'no'}")
    print(f"state:       {doc.get('state', 'not started yet')}")
    if doc.get("error"):
        print(f"error:       {doc['error'].get('stage')}: {doc['error'].get('message', '')}")
    if module.panel:
        roles = ", ".join(sorted(module.panel.roles))
        print(f"panel:       {module.panel.title} (for {roles}; admins always)")
    config = {**defaults(module.config_schema), **(doc.get("config") or {})}
    print(f"config:      {json.dumps(_masked(module, config))}")
    for key, spec in (module.config_schema or {}).get("properties", {}).items():
        print(
            f"  {key}: {spec.get('type', 'any')}  {spec.get('description', spec.get('title', ''))}"
        )
    return 0


def _config(collection, options, module, doc) -> int:
    from isomer_data.core.modules import defaults
    from isomer_data.services.modules.manager import config_errors

    config = {**defaults(module.config_schema), **(doc.get("config") or {})}
    if not options.set and not options.unset:
        print(json.dumps(_masked(module, config), indent=2))
        return 0
    for item in options.set:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise IsomerError(50201, f"--set {item!r}: expected KEY=VALUE")
        config[key] = _value(text)
    for key in options.unset:
        config.pop(key, None)
    config = {**defaults(module.config_schema), **config}
    problems = config_errors(module.config_schema, config)
    if problems:
        raise IsomerError(
            50201, "; ".join(f"{p['field'] or '(config)'}: {p['message']}" for p in problems)
        )
    _store(collection, options.name, {"config": config})
    print(f"{options.name}: configuration saved; a running platform restarts it within seconds")
    return 0


def _store(collection, name: str, values: dict) -> None:
    collection.update_one(
        {"_id": name},
        {"$set": {**values, "modified": datetime.now(UTC)}, "$inc": {"revision": 1}},
        upsert=True,
    )


def _module_verb(name: str, rest: list[str]) -> int:
    module, _, _, error = _find(name)
    if module is None:
        raise IsomerError(50202, error)
    if module.cli is None:
        raise IsomerError(50203, name)
    parser = argparse.ArgumentParser(prog=f"isomer module {name}", description=module.description)
    add_config_options(parser)
    module.cli(parser)
    args = parser.parse_args(rest)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return int(func(args) or 0)


def _module_entry_points(path: list[str] | None = None) -> dict[str, str]:
    """``name -> "distribution version"`` of the module entry points on ``path``."""
    from importlib.metadata import distributions

    from isomer_data.core.modules import ENTRY_POINTS

    found = {}
    for dist in distributions(**({"path": path} if path else {})):
        for ep in dist.entry_points:
            if ep.group == ENTRY_POINTS:
                found[ep.name] = f"{dist.metadata['Name']} {dist.version}"
    return found


def _install(options) -> int:
    """pip, in this environment; then say what is new and that the platform must restart."""
    import subprocess
    import sys

    where = [options.target_dir] if options.target_dir else None
    before = _module_entry_points(where)
    command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check"]
    if options.upgrade:
        command.append("--upgrade")
    if options.target_dir:
        command += ["--target", options.target_dir]
    command += options.pip_arg
    result = subprocess.run([*command, options.target], capture_output=True, text=True)
    if result.returncode != 0:
        raise IsomerError(50204, (result.stderr or result.stdout).strip().splitlines()[-1])
    after = _module_entry_points(where)
    changed = {name: what for name, what in after.items() if before.get(name) != what}
    if not changed:
        print("installed; it declares no new module (entry point group isomer_data.modules)")
        return 0
    for name, what in changed.items():
        print(f"module {name}: {what}")
    names = " ".join(changed)
    print(
        "Restart the platform (isomer launch) to load it: installed code is only read at "
        f"start. Then: isomer module enable {names}"
    )
    return 0


# ---- Signal K web apps (npm) ----------------------------------------------------------------
NPM_SPEC = r"^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*(@[A-Za-z0-9.^~<>=*+ -]{1,60})?$"


def _npm() -> str:
    import shutil

    npm = shutil.which("npm")
    if npm is None:
        raise IsomerError(50702)
    return npm


def _webapp_root(options):
    from isomer_data.core.webapps import roots_for

    root = roots_for(config_from_args(options).instance_dir)[-1]
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / "package.json"
    if not manifest.exists():
        manifest.write_text(
            json.dumps(
                {
                    "name": "isomer-instance-webapps",
                    "private": True,
                    "description": "Signal K web apps added with isomer module add-webapp",
                    "dependencies": {},
                },
                indent=2,
            )
        )
    return root


def _dependencies(root) -> dict:
    try:
        return json.loads((root / "package.json").read_text()).get("dependencies") or {}
    except (OSError, ValueError):
        return {}


def _run_npm(root, *args: str):
    import subprocess

    command = [_npm(), *args, "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    return subprocess.run(command, cwd=root, capture_output=True, text=True)


def _add_webapp(options) -> int:
    """npm install into the instance's web-app folder; keep it only if it is a web app."""
    import re
    from pathlib import Path

    from isomer_data.core import webapps

    spec = options.package
    is_file = spec.endswith((".tgz", ".tar.gz")) and Path(spec).is_file()
    if not is_file and not re.match(NPM_SPEC, spec):
        raise IsomerError(50704, spec[:100])
    if is_file:
        spec = str(Path(spec).resolve())
    root = _webapp_root(options)
    before = _dependencies(root)
    result = _run_npm(root, "install", "--save-exact", "--omit=dev", *options.npm_arg, spec)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["npm failed"]
        raise IsomerError(50701, lines[-1][:300])
    after = _dependencies(root)
    added = [name for name, version in after.items() if before.get(name) != version]
    if not added and not is_file:  # already there at that version: check it all the same
        scope = "@" if spec.startswith("@") else ""
        name = scope + spec.removeprefix("@").split("@", 1)[0]
        added = [name] if name in after else []
    for package in added:
        try:
            app = webapps.read(root / "node_modules" / package, root)
        except ValueError as exc:
            _run_npm(root, "uninstall", package)
            raise IsomerError(50700, str(exc)) from None
        print(
            f"web app {app.display_name} ({app.package} {app.version}): module "
            f"{app.module_name}, served at /{app.url} to crew, scientists and admins"
        )
    if added:
        print(
            "Restart the platform (isomer launch) to serve it: web apps are found at start. "
            "It is enabled; isomer module disable NAME turns it off."
        )
    return 0


def _remove_webapp(options) -> int:
    from isomer_data.core import webapps

    root = _webapp_root(options)
    installed = _dependencies(root)
    package = next((p for p in installed if options.name in (p, webapps.module_name(p))), None)
    if package is None:
        mine = ", ".join(sorted(installed)) or "none"
        raise IsomerError(50703, f"{options.name!r}; added to this instance: {mine}")
    result = _run_npm(root, "uninstall", package)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["npm failed"]
        raise IsomerError(50701, lines[-1][:300])
    print(f"web app {package} removed; a running platform stops serving it at its next start")
    return 0
