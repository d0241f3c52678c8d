"""The module runtime: discovers, isolates, configures, starts and stops modules.

The contract a module fulfils (:class:`~isomer_data.core.modules.Module`) is the core's;
this service runs them on one platform: their events join the platform's event table
(guarded: ``unavailable`` while the module does not run), their handlers are mounted under
``/isomer/m/<name>/``, their configuration lives in the ``modules`` collection.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from isomer_data.core.errors import DomainError
from isomer_data.core.events import READERS, events_of
from isomer_data.core.modules import (
    ALWAYS_ON,
    COLLECTION,
    DISABLED,
    FAILED,
    MAX_CONFIG_BYTES,
    RUNNING,
    STOPPED,
    LoadedModule,
    Module,
    defaults,
    discover,
    load_description,
    public_config,
    write_only_fields,
)
from isomer_data.core.roles import ADMIN, roles_of

log = logging.getLogger(__name__)

HOOK_TIMEOUT = 30.0  # seconds a start or stop hook may take before the module is failed


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
        from isomer_data.core.webapps import roots_for

        roots = roots_for(getattr(self.platform.config, "instance_dir", None))
        try:
            found = discover(self.safe_mode, webapp_roots=roots)
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
            kept = {k: v for k, v in loaded.config.items() if k in write_only_fields(schema)}
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
            if not loaded.running or module is None:
                continue
            if module.webapp is not None:
                if ADMIN in roles or any(role in module.handler_roles for role in roles):
                    out.append(webapp_manifest(loaded.name, module.webapp, base_url))
                continue
            if module.panel is None:
                continue
            if ADMIN in roles or any(role in module.panel.roles for role in roles):
                manifest = module.panel.manifest(loaded.name, base_url)
                manifest["config"] = public_config(module, loaded.config)
                out.append(manifest)
        return out

    def describe(self) -> list[dict]:
        return [loaded.describe() for loaded in self.modules.values()]

    def webapps(self) -> list:
        """The running web apps (``core/webapps.WebApp``), in module order."""
        return [
            loaded.module.webapp
            for loaded in self.modules.values()
            if loaded.running and loaded.module is not None and loaded.module.webapp is not None
        ]


def webapp_manifest(name: str, app, base_url: str) -> dict:
    """A web app in the shell's panel manifest: a tab that opens the app (``url``)."""
    icon = f"{base_url}{app.url}{app.app_icon}" if app.app_icon else ""
    return {
        "id": name,
        "title": app.display_name,
        "icon": "",
        "icon_url": icon,
        "module": name,
        "kind": "webapp",
        "url": f"{base_url}{app.url}",
        "roles": sorted(READERS),
    }
