"""Modules: installable server extensions with their own events, schemas, panel and CLI.

A module is a Python package that declares an entry point in the group
``isomer_data.modules`` naming a :class:`Module` (or a function returning one). The platform
loads the built-in modules first (:data:`BUILTIN`), then the installed ones, each in
isolation: a module that fails to import, to set up or to start is marked ``failed`` with its
error and everything else runs. ``docs/modules.md`` is the guide for module authors.

Lifecycle, per module::

    load (import the description, check the platform version, import components,
          read the schemas folder, check the configuration schema, run setup(platform))
      → start (when enabled: validate the stored configuration, apply provisions,
               await start(platform, config))
      → stop (await stop(platform)); a new configuration is stop + start of that module only.

Events a module registers with ``@event`` join the global event table while it is loaded;
they answer ``unavailable`` while the module is not running, and leave the table when the
platform stops (so one server's modules never leak into the next one in the same process).
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from isomer_data import __version__
from isomer_data.core.events import EVERYONE, PEOPLE, READERS
from isomer_data.core.roles import ROLES

log = logging.getLogger(__name__)

ENTRY_POINTS = "isomer_data.modules"
COLLECTION = "modules"
# Built-in modules, loaded first and in this order (the crew panels, then administration).
BUILTIN = (
    "isomer_data.services.panels.modules:instruments",
    "isomer_data.services.panels.modules:map",
    "isomer_data.services.panels.modules:logbook",
    "isomer_data.services.panels.modules:users",
    "isomer_data.services.panels.modules:modules",
)
# Built-ins that stay on: the Modules panel is how an admin turns modules back on.
ALWAYS_ON = frozenset({"modules"})
# Words of ``isomer module …`` itself: no module may take them as a name.
RESERVED = frozenset(
    {
        "list",
        "info",
        "enable",
        "disable",
        "config",
        "install",
        "static",
        "add-webapp",
        "remove-webapp",
    }
)
NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
PANEL_ID = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
# Element ids of the shell itself: a panel's section carries its id, so these are taken.
SHELL_IDS = frozenset({"panels", "panel-tabs", "connection", "user"})
MAX_CONFIG_BYTES = 64 * 1024

# States a module is in; ``running`` is the only one whose events, handlers and panel serve.
LOADED, RUNNING, STOPPED, DISABLED, FAILED = "loaded", "running", "stopped", "disabled", "failed"


@dataclass(frozen=True)
class Panel:
    """A panel in the crew shell at ``/isomer/``.

    ``script`` is a file in the module's ``web`` folder: a plain ES module exporting
    ``mount(element, api)``. ``roles`` see it (admins always do).
    """

    id: str
    title: str
    script: str
    icon: str = ""
    roles: frozenset = PEOPLE

    def manifest(self, module: str, base_url: str) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "icon": self.icon,
            "module": module,
            "roles": sorted(self.roles),
            "script": f"{base_url}isomer/m/{module}/static/{self.script}",
        }


@dataclass(frozen=True)
class Provision:
    """An object with a fixed id, created on start unless it exists (never overwritten)."""

    schema: str
    uuid: str
    object: dict


@dataclass(frozen=True)
class Module:
    """What a module brings. Only ``name`` and ``version`` are required."""

    name: str
    version: str
    requires: str = ""  # a PEP 440 specifier on the platform's version, e.g. ">=0.1,<1"
    description: str = ""
    components: Sequence[str] = ()  # importable module names holding ``@event`` handlers
    schemas: str | Path | None = None  # a folder of object schemas (``*.json``)
    provisions: Sequence[Provision] = ()
    config_schema: dict | None = None  # JSON Schema of the configuration (an object)
    setup: Callable | None = None  # setup(platform), at load; may block
    start: Callable | None = None  # [async] start(platform, config)
    stop: Callable | None = None  # [async] stop(platform)
    handlers: Sequence = ()  # (pattern, handler class[, kwargs]) under /isomer/m/<name>/
    handler_roles: frozenset = EVERYONE  # roles that may use the handlers (admin always)
    web: str | Path | None = None  # folder served at /isomer/m/<name>/static/ (login needed)
    panel: Panel | None = None
    cli: Callable | None = None  # cli(parser): adds verbs to ``isomer module <name>``
    enabled_by_default: bool = False  # installed modules wait for `isomer module enable`
    # a Signal K web app (core/webapps.py): its public folder is served at /<package>/
    webapp: object | None = None


@dataclass
class LoadedModule:
    """One module as the platform runs it."""

    name: str
    source: str  # the entry point's value
    builtin: bool
    module: Module | None = None
    state: str = LOADED
    error: dict | None = None
    enabled: bool = True
    config: dict = field(default_factory=dict)
    revision: int = 0
    events: dict = field(default_factory=dict)  # (component, action) -> Event

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    def fail(self, stage: str, exc: BaseException) -> None:
        self.state = FAILED
        self.error = {"stage": stage, "error": type(exc).__name__, "message": str(exc)[:500]}

    def describe(self, admin: bool = True) -> dict:
        m = self.module
        out = {
            "name": self.name,
            "version": m.version if m else "",
            "description": m.description if m else "",
            "builtin": self.builtin,
            "state": self.state,
            "enabled": self.enabled,
            "always_on": self.builtin and self.name in ALWAYS_ON,
        }
        if self.error:
            out["error"] = self.error
        if m is not None and m.webapp is not None:
            out["webapp"] = f"/{m.webapp.url}"  # where it is served (relative to the base)
        if admin:
            out["source"] = self.source
            # write-only fields (passwords, keys) are never sent back, not even to admins
            out["config"] = public_config(m, self.config) if m else {}
            out["config_schema"] = (m.config_schema if m else None) or {"type": "object"}
            out["events"] = [f"{c}/{a}" for c, a in sorted(self.events)]
            out["panel"] = m.panel.id if m and m.panel else None
        return out


def check_description(module) -> Module:
    """The entry point's target, checked: a :class:`Module` or a function returning one."""
    if callable(module) and not isinstance(module, Module):
        module = module()
    if not isinstance(module, Module):
        raise TypeError(f"expected isomer_data.core.modules.Module, got {type(module).__name__}")
    if not NAME.match(module.name) or module.name in RESERVED:
        raise ValueError(f"module name {module.name!r}: lower-case letters, digits and '-'")
    if module.requires:
        from packaging.specifiers import SpecifierSet

        if __version__ not in SpecifierSet(module.requires, prereleases=True):
            raise RuntimeError(f"needs isomer-data {module.requires}, this is {__version__}")
    if module.panel is not None:
        if module.panel.id in SHELL_IDS:
            raise ValueError(f"panel id {module.panel.id!r} is the shell's own")
        if not PANEL_ID.match(module.panel.id):
            raise ValueError(f"panel id {module.panel.id!r}: lower-case letters, digits and '-'")
        if module.web is None or not (Path(module.web) / module.panel.script).is_file():
            raise FileNotFoundError(f"panel script {module.panel.script!r} not in web folder")
        if not set(module.panel.roles) <= set(ROLES):
            raise ValueError(f"panel roles must be among {', '.join(ROLES)}")
    if not set(module.handler_roles) <= set(ROLES):
        raise ValueError(f"handler roles must be among {', '.join(ROLES)}")
    if module.config_schema is not None:
        from jsonschema import Draft202012Validator

        Draft202012Validator.check_schema(module.config_schema)
        if module.config_schema.get("type") != "object":
            raise ValueError('the configuration schema must have "type": "object"')
    return module


def discover(safe_mode: bool = False, webapp_roots=()) -> list[tuple[str, str, bool]]:
    """``(name, source, builtin)`` of every module: built-ins first, then installed ones.

    The name of an installed module is its entry point's name until the description is
    loaded (which then must carry the same name). ``safe_mode`` leaves out installed ones.
    Web apps (``core/webapps.py``) installed in ``webapp_roots`` come after the built-ins:
    they are files served as they are, no code of theirs runs here, so safe mode keeps them.
    """
    found = [(source.rsplit(":", 1)[1].lower(), source, True) for source in BUILTIN]
    taken = {name for name, _, _ in found}
    if webapp_roots:
        from isomer_data.core import webapps

        apps, problems = webapps.find(webapp_roots)
        for package, problem in problems.items():
            log.warning("web app %s not served: %s", package, problem)
        for app in apps:
            if app.module_name in taken:
                log.warning(
                    "web app %s ignored: module name %s is taken", app.package, app.module_name
                )
                continue
            taken.add(app.module_name)
            found.append((app.module_name, app.source, False))
    if safe_mode:
        return found
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group=ENTRY_POINTS), key=lambda ep: ep.name):
        if ep.name in taken:
            log.warning("module %r from %s ignored: the name is taken", ep.name, ep.value)
            continue
        taken.add(ep.name)
        found.append((ep.name, ep.value, False))
    return found


def webapp_module(app) -> Module:
    """The module a web app is: no code, its files served at ``/<package>/`` to people."""
    return Module(
        name=app.module_name,
        version=app.version,
        description=app.description or app.display_name,
        handler_roles=READERS,  # static files: a viewer's display opens the apps too
        enabled_by_default=True,
        webapp=app,
    )


def load_description(source: str) -> Module:
    from isomer_data.core import webapps

    if source.startswith(webapps.SOURCE_PREFIX):
        return webapp_module(webapps.read(Path(source.removeprefix(webapps.SOURCE_PREFIX))))
    module_name, _, attr = source.partition(":")
    target = importlib.import_module(module_name)
    for part in attr.split(".") if attr else ():
        target = getattr(target, part)
    return check_description(target)


def defaults(schema: dict | None) -> dict:
    """The top-level ``default`` values of a configuration schema."""
    props = (schema or {}).get("properties", {})
    return {key: value["default"] for key, value in props.items() if "default" in value}


def write_only_fields(schema: dict | None) -> set[str]:
    props = (schema or {}).get("properties", {})
    return {k for k, v in props.items() if isinstance(v, dict) and v.get("writeOnly")}


def public_config(module: Module, config: dict) -> dict:
    """The configuration clients may see: without the fields the schema marks writeOnly."""
    hidden = write_only_fields(module.config_schema)
    return {k: v for k, v in config.items() if k not in hidden}


_handler_base: list = []


def __getattr__(name):
    # The handler base class needs jupyter_server: built only when a module asks for it.
    if name == "ModuleHandler":
        if not _handler_base:
            from jupyter_server.base.handlers import JupyterHandler

            class ModuleHandler(JupyterHandler):
                """Base class for a module's handlers (any ``JupyterHandler`` or ``APIHandler``
                works). ``self.isomer_module.config`` is the module's current configuration
                and ``self.settings["isomer"]`` the platform."""

            _handler_base.append(ModuleHandler)
        return _handler_base[0]
    raise AttributeError(name)
