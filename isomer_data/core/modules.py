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

import asyncio
import importlib
import inspect
import json
import logging
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from isomer_data import __version__
from isomer_data.core.errors import DomainError
from isomer_data.core.events import EVERYONE, PEOPLE, events_of
from isomer_data.core.roles import ADMIN, ROLES, roles_of

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
RESERVED = frozenset({"list", "info", "enable", "disable", "config", "install", "static"})
NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
PANEL_ID = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
# Element ids of the shell itself: a panel's section carries its id, so these are taken.
SHELL_IDS = frozenset({"panels", "panel-tabs", "connection", "user"})
MAX_CONFIG_BYTES = 64 * 1024
HOOK_TIMEOUT = 30.0  # seconds a start or stop hook may take before the module is failed

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


def discover(safe_mode: bool = False) -> list[tuple[str, str, bool]]:
    """``(name, source, builtin)`` of every module: built-ins first, then installed ones.

    The name of an installed module is its entry point's name until the description is
    loaded (which then must carry the same name). ``safe_mode`` leaves out installed ones.
    """
    found = [(source.rsplit(":", 1)[1].lower(), source, True) for source in BUILTIN]
    if safe_mode:
        return found
    from importlib.metadata import entry_points

    taken = {name for name, _, _ in found}
    for ep in sorted(entry_points(group=ENTRY_POINTS), key=lambda ep: ep.name):
        if ep.name in taken:
            log.warning("module %r from %s ignored: the name is taken", ep.name, ep.value)
            continue
        taken.add(ep.name)
        found.append((ep.name, ep.value, False))
    return found


def load_description(source: str) -> Module:
    module_name, _, attr = source.partition(":")
    target = importlib.import_module(module_name)
    for part in attr.split(".") if attr else ():
        target = getattr(target, part)
    return check_description(target)


def import_components(names: Sequence[str]) -> dict:
    """Import a module's components; return the events they mark (``@event``).

    Nothing is registered anywhere by importing: the platform adds the events to its own
    table, so a module that fails halfway leaves nothing behind, and a later platform in
    the same process (tests, a notebook) finds the same marks again.
    """
    found: dict = {}
    for name in names:
        try:
            module = importlib.import_module(name)
        except BaseException:
            sys.modules.pop(name, None)  # a fixed module can be imported again
            raise
        for ev in events_of(module):
            if ev.key in found:
                raise ValueError(f"event {ev.component}/{ev.action} is marked twice")
            found[ev.key] = ev
    return found


def _guard(loaded: LoadedModule, ev):
    """The event, answering ``unavailable`` while its module does not run."""
    handler = ev.handler

    async def guarded(client, data):
        if not loaded.running:
            raise DomainError("unavailable", f"module {loaded.name} is {loaded.state}")
        return await handler(client, data)

    guarded.__doc__ = handler.__doc__
    return replace(ev, handler=guarded)


def defaults(schema: dict | None) -> dict:
    """The top-level ``default`` values of a configuration schema."""
    props = (schema or {}).get("properties", {})
    return {key: value["default"] for key, value in props.items() if "default" in value}


def config_errors(schema: dict | None, config) -> list[dict]:
    """Every problem of a configuration as ``{"field", "message"}`` (empty when valid)."""
    from jsonschema import Draft202012Validator, FormatChecker

    from isomer_data.services.objects.manager import check_document
    from isomer_data.services.objects.schemas import field_name

    if not isinstance(config, dict):
        return [{"field": "", "message": "the configuration must be a JSON object"}]
    try:  # what MongoDB must never store: "$"/"." keys, NaN, huge integers, deep nesting
        check_document(config, "config")
    except DomainError as exc:
        return [{"field": (exc.details or {}).get("field", ""), "message": exc.message}]
    if len(json.dumps(config, default=str)) > MAX_CONFIG_BYTES:
        return [{"field": "", "message": f"more than {MAX_CONFIG_BYTES} bytes"}]
    validator = Draft202012Validator(schema or {"type": "object"}, format_checker=FormatChecker())
    problems = []
    for error in validator.iter_errors(config):
        name = field_name(error.absolute_path)
        if error.validator in ("required", "additionalProperties") and "'" in error.message:
            extra = error.message.split("'")[1]
            name = f"{name}.{extra}" if name else extra
        problems.append({"field": name, "message": error.message})
    return sorted(problems, key=lambda p: p["field"])


def _write_only(schema: dict | None) -> set[str]:
    props = (schema or {}).get("properties", {})
    return {k for k, v in props.items() if isinstance(v, dict) and v.get("writeOnly")}


def public_config(module: Module, config: dict) -> dict:
    """The configuration clients may see: without the fields the schema marks writeOnly."""
    hidden = _write_only(module.config_schema)
    return {k: v for k, v in config.items() if k not in hidden}


async def _call(hook, *args):
    result = hook(*args)
    if inspect.isawaitable(result):
        result = await asyncio.wait_for(result, HOOK_TIMEOUT)
    return result


class ModuleManager:
    """Every module of one platform: loading, starting, configuring, stopping.

    The ``modules`` collection keeps, per module, ``{_id: name, enabled, config, revision}``
    (what people decide) and ``state``/``error``/``version`` (what the platform reports, so
    ``isomer module list`` shows it). A configuration change from the hub is applied at
    once; one from the command line bumps ``revision``, which the platform polls.
    """

    POLL_SECONDS = 2.0

    def __init__(self, platform, safe_mode: bool = False):
        self.platform = platform
        self.safe_mode = safe_mode
        self.modules: dict[str, LoadedModule] = {}
        platform.collections.add(COLLECTION)  # created before serving (store/collections.py)
        self._lock = asyncio.Lock()
        self._poller: asyncio.Task | None = None
        self.started = False  # start_all has run: the panel manifest is complete

    # ---- load (at server load; blocking is fine) ----------------------------------------
    def load_all(self) -> None:
        if self.safe_mode:
            log.warning("safe mode: installed modules are not loaded, only the built-in ones")
        try:
            found = discover(self.safe_mode)
        except Exception:  # broken package metadata must not stop the platform
            log.exception("installed modules could not be listed; only built-ins load")
            found = discover(safe_mode=True)
        for name, source, builtin in found:
            loaded = LoadedModule(name, source, builtin)
            self.modules[name] = loaded
            try:
                self._load(loaded)
            except Exception as exc:  # one broken module is reported; the others go on
                log.exception("Isomer Data module %r could not be loaded", name)
                loaded.fail("load", exc)
                self._drop_events(loaded)
        self.platform.failed_modules = self.failed

    def _load(self, loaded: LoadedModule) -> None:
        module = load_description(loaded.source)
        # events marked in the description's own file (not through components) are the
        # module's too: guarded, and gone when it fails
        described_in = sys.modules.get(loaded.source.partition(":")[0])
        if described_in is not None:
            loaded.events.update({ev.key: ev for ev in events_of(described_in)})
        if module.name != loaded.name and not loaded.builtin:
            raise ValueError(f"entry point {loaded.name!r} describes module {module.name!r}")
        if module.panel is not None:
            for other in self.modules.values():
                theirs = other.module.panel if other.module else None
                if other is not loaded and theirs is not None and theirs.id == module.panel.id:
                    raise ValueError(f"panel id {module.panel.id!r} is module {other.name}'s")
        loaded.name = module.name
        loaded.module = module
        loaded.enabled = module.enabled_by_default
        loaded.config = defaults(module.config_schema)
        loaded.events.update(import_components(module.components))
        for ev in loaded.events.values():
            self.platform.events.add(_guard(loaded, ev), owner=f"module {loaded.name}")
        if module.schemas is not None:
            self.platform.schemas.add_directory(Path(module.schemas))
        if module.setup is not None:
            module.setup(self.platform)

    def _drop_events(self, loaded: LoadedModule) -> None:
        self.platform.events.remove_owner(f"module {loaded.name}")
        loaded.events = {}

    def handler_table(self) -> list:
        """URL specs of every loaded module (a module whose handlers are unusable fails)."""
        from isomer_data.services.modules.handlers import module_handlers

        table = []
        for loaded in self.modules.values():
            if loaded.state == FAILED:
                continue
            try:
                table.extend(module_handlers(loaded))
            except Exception as exc:
                log.exception("Isomer Data module %r has unusable handlers", loaded.name)
                loaded.fail("load", exc)
                self._drop_events(loaded)
        self.platform.failed_modules = self.failed
        return table

    @property
    def failed(self) -> dict:
        return {
            name: {"stage": m.error["stage"], "error": m.error["error"]}
            for name, m in self.modules.items()
            if m.state == FAILED and m.error
        }

    def get(self, name) -> LoadedModule:
        if not isinstance(name, str) or name not in self.modules:
            raise DomainError("not_found", f"no module {name!r}", {"field": "name"})
        return self.modules[name]

    # ---- start and stop -----------------------------------------------------------------
    @property
    def collection(self):
        return self.platform.adb[COLLECTION]

    async def start_all(self) -> None:
        try:
            stored = {doc["_id"]: doc async for doc in self.collection.find({})}
            for loaded in self.modules.values():
                if loaded.state == FAILED:
                    await self._report(loaded)
                    continue
                doc = stored.get(loaded.name, {})
                self._apply_stored(loaded, doc)
                if loaded.enabled:
                    await self._start(loaded)
                else:
                    loaded.state = DISABLED
                await self._report(loaded)
        finally:
            self.started = True
            self._poller = asyncio.create_task(self._poll())

    def _apply_stored(self, loaded: LoadedModule, doc: dict) -> None:
        loaded.enabled = bool(doc.get("enabled", loaded.module.enabled_by_default))
        if loaded.builtin and loaded.name in ALWAYS_ON:
            loaded.enabled = True  # whatever the database says
        loaded.revision = int(doc.get("revision", 0))
        config = {**defaults(loaded.module.config_schema), **(doc.get("config") or {})}
        loaded.config = config

    async def _start(self, loaded: LoadedModule) -> None:
        module = loaded.module
        try:
            problems = config_errors(module.config_schema, loaded.config)
            if problems:
                raise ValueError(
                    "stored configuration: "
                    + "; ".join(f"{p['field'] or '(config)'}: {p['message']}" for p in problems)
                )
            await self._provision(module)
            if module.start is not None:
                await _call(module.start, self.platform, dict(loaded.config))
        except Exception as exc:  # reported in the status and the admin panel
            log.exception("Isomer Data module %r could not start", loaded.name)
            loaded.fail("start", exc)
        else:
            loaded.state = RUNNING
            loaded.error = None
        self.platform.failed_modules = self.failed

    async def _stop(self, loaded: LoadedModule, state: str = STOPPED) -> None:
        was_running = loaded.running
        loaded.state = state
        if was_running and loaded.module.stop is not None:
            try:
                await _call(loaded.module.stop, self.platform)
            except Exception:  # a module that cannot stop cleanly still counts as stopped
                log.exception("Isomer Data module %r did not stop cleanly", loaded.name)
        if state != FAILED:
            loaded.error = None
        self.platform.failed_modules = self.failed

    async def _provision(self, module: Module) -> None:
        from isomer_data.services.objects.manager import check_document

        objects = self.platform.objects
        for item in module.provisions:
            objects.collection(item.schema)  # an unknown schema raises here
            check_document(item.object)
            problems = self.platform.schemas.errors(item.schema, item.object)
            if problems:
                raise ValueError(f"provision {item.schema}/{item.uuid}: {problems[0]}")
            now = datetime.now(UTC)
            doc = {**item.object, "uuid": item.uuid, "owner": "", "created": now, "modified": now}
            await objects.collection(item.schema).update_one(
                {"_id": item.uuid}, {"$setOnInsert": doc}, upsert=True
            )

    async def _report(self, loaded: LoadedModule) -> None:
        """What the command line shows: the state as this platform sees it."""
        await self.collection.update_one(
            {"_id": loaded.name},
            {
                "$set": {
                    "state": loaded.state,
                    "error": loaded.error,
                    "version": loaded.module.version if loaded.module else "",
                    "builtin": loaded.builtin,
                    "reported": datetime.now(UTC),
                }
            },
            upsert=True,
        )

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        for loaded in reversed(list(self.modules.values())):
            if loaded.running:
                await self._stop(loaded)
            self._drop_events(loaded)

    # ---- what people change ---------------------------------------------------------------
    async def configure(self, name: str, config) -> LoadedModule:
        """Validate, store and apply a configuration: that module alone restarts."""
        loaded = self.get(name)
        if loaded.module is None:
            raise DomainError("unavailable", f"module {name} failed to load: it has no settings")
        schema = loaded.module.config_schema
        if isinstance(config, dict):
            # A write-only field left out keeps its value: forms never see it to send it back.
            kept = {k: v for k, v in loaded.config.items() if k in _write_only(schema)}
            config = {**defaults(schema), **kept, **config}
        problems = config_errors(schema, config)
        if problems:
            raise DomainError(
                "invalid", f"{len(problems)} problem(s) in the configuration", problems
            )
        async with self._lock:
            doc = await self._store(name, {"config": config})
            await self._apply(loaded, doc)
        return loaded

    async def set_enabled(self, name: str, enabled: bool) -> LoadedModule:
        loaded = self.get(name)
        if loaded.module is None:
            raise DomainError("unavailable", f"module {name} failed to load")
        if not enabled and loaded.builtin and name in ALWAYS_ON:
            raise DomainError("invalid", f"{name} stays on: it is how modules are turned on again")
        async with self._lock:
            doc = await self._store(name, {"enabled": bool(enabled)})
            await self._apply(loaded, doc)
        return loaded

    async def _store(self, name: str, values: dict) -> dict:
        from pymongo import ReturnDocument

        return await self.collection.find_one_and_update(
            {"_id": name},
            {"$set": {**values, "modified": datetime.now(UTC)}, "$inc": {"revision": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )

    async def _apply(self, loaded: LoadedModule, doc: dict) -> None:
        """Bring one module to what its stored document says: stop, then start if enabled."""
        if loaded.module is None:
            return
        if loaded.running:
            await self._stop(loaded)
        self._apply_stored(loaded, doc)
        if loaded.enabled:
            await self._start(loaded)
        else:
            loaded.state = DISABLED
        await self._report(loaded)

    async def _poll(self) -> None:
        """Apply what the command line changed (a revision this platform has not seen)."""
        while True:
            await asyncio.sleep(self.POLL_SECONDS)
            try:
                async for doc in self.collection.find({}):
                    loaded = self.modules.get(doc["_id"])
                    if loaded is None or loaded.module is None:
                        continue
                    if int(doc.get("revision", 0)) != loaded.revision:
                        async with self._lock:
                            await self._apply(loaded, doc)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away for a while; try again later
                log.warning("module settings poll failed", exc_info=True)

    # ---- what clients see -----------------------------------------------------------------
    def panels_for(self, user, base_url: str) -> list[dict]:
        """Manifests of the running modules' panels that this user's roles see."""
        roles = roles_of(user)
        out = []
        for loaded in self.modules.values():
            module = loaded.module
            if not loaded.running or module is None or module.panel is None:
                continue
            if ADMIN in roles or any(role in module.panel.roles for role in roles):
                manifest = module.panel.manifest(loaded.name, base_url)
                manifest["config"] = public_config(module, loaded.config)
                out.append(manifest)
        return out

    def describe(self) -> list[dict]:
        return [loaded.describe() for loaded in self.modules.values()]


def __getattr__(name):
    # The handler base class needs jupyter_server: imported only when a module asks for it.
    if name == "ModuleHandler":
        from isomer_data.services.modules.handlers import ModuleHandler

        return ModuleHandler
    raise AttributeError(name)
