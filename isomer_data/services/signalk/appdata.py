"""Signal K ``applicationData``: settings web apps keep on the server, per user and global.

``/signalk/v1/applicationData/{user|global}/<appid>/<version>[/<path>]`` as Signal K server
answers it (``src/interfaces/applicationData.js``):

- ``GET`` the document (``{}`` when nothing was stored), or the value at ``path`` (``a/b``
  or ``a.b``; 404 when it is missing or falsy, as lodash's ``_.get`` there); ``?keys=true``
  lists the keys of an object;
- ``POST`` (and ``PUT``) with a ``path``: set the value there, creating what is missing;
  without a path, a JSON array is a JSON Patch (RFC 6902) applied to the document, anything
  else replaces it; the reply is ``"ApplicationData saved"``;
- ``GET …/{user|global}/<appid>``: the versions stored.

Stored in MongoDB (collection ``application_data``), one document per scope, owner, app and
version, the value kept as JSON text (app settings use keys MongoDB could not store).

**Defaults.** A user who has stored nothing for an app's version has the platform's defaults
for it, where the platform ships some (``appdefaults/APPID/VERSION.json``): read as if stored,
and the base the first write changes. Freeboard-SK starts with internet maps
(OpenStreetMap, OpenSeaMap) ticked; its defaults here tick the platform's offline world
basemap instead, so a new user sees land with no internet and no request leaves the boat. Who:
``user`` is the caller's own (reading: any login; writing: readwrite and admin, so not
vessels), ``global`` is read by any login and written by admins only. Bounded: 512 KiB of
JSON per document, 32 levels, 100 documents per owner, app ids and versions as Signal K
server accepts them.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from isomer_data.core.errors import DomainError
from isomer_data.core.parsing import deeper_than
from isomer_data.core.roles import ADMIN, CREW, SCIENTIST, roles_of
from isomer_data.services.signalk import jsonpatch

COLLECTION = "application_data"
USER, GLOBAL = "user", "global"
MAX_BYTES = 512 * 1024
MAX_DEPTH = 32
MAX_DOCUMENTS = 100  # per owner (a user, or the global scope)
MAX_PATH = 64  # segments in a path below the version
APPID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,28}$")  # Signal K: < 30 characters, no '/'
VERSION = re.compile(r"^v?(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?$")
SAVED = "ApplicationData saved"
# Signal K's readwrite and admin; a readonly login (viewer, vessel) reads its own and the
# global documents and writes none, as signalk-server's write middleware decides.
WRITERS = frozenset({ADMIN, CREW, SCIENTIST})
DEFAULTS = Path(__file__).resolve().parent / "appdefaults"


@cache
def _default_text(appid: str, version: str) -> str | None:
    # appid and version are checked (APPID, version_of) before they name a file
    path = DEFAULTS / appid / f"{version}.json"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def default_for(scope: str, appid: str, version: str):
    """The platform's default document of an app's version for users (None: there is none).
    A fresh copy each time: callers change it."""
    if scope != USER:
        return None
    text = _default_text(appid, version)
    return None if text is None else json.loads(text)


def version_of(text: str) -> str:
    """Signal K's ``semver.valid(semver.coerce(v))`` for plain versions: ``1`` → ``1.0.0``."""
    match = VERSION.match(text or "")
    if not match:
        raise DomainError("invalid", f"40230: invalid application version {text[:40]!r}")
    return ".".join(str(int(part or 0)) for part in match.groups())


def check_appid(appid: str) -> str:
    if not APPID.match(appid or ""):
        raise DomainError(
            "invalid", "40230: invalid application id (letters, digits, . _ -; under 30)"
        )
    return appid


def segments(path: str) -> list[str]:
    """``a/b.c`` → ``[a, b, c]``: Signal K turns ``/`` into ``.`` and lodash splits on it."""
    parts = [p for p in re.split(r"[./]", path or "") if p]
    if len(parts) > MAX_PATH:
        raise DomainError("invalid", f"40230: a path has at most {MAX_PATH} parts")
    if any(len(p) > 200 for p in parts):
        raise DomainError("invalid", "40230: a path part has at most 200 characters")
    return parts


def get_at(doc, parts: list[str]):
    node = doc
    for part in parts:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def set_at(doc, parts: list[str], value):
    """``_.set``: containers created on the way (arrays for numeric keys), the value placed."""
    if not parts:
        return value
    if not isinstance(doc, dict | list):
        doc = {}
    node = doc
    for part, following in zip(parts, parts[1:] + [None], strict=True):
        last = following is None
        fresh = [] if following is not None and following.isdigit() else {}
        if isinstance(node, list):
            if not part.isdigit() or int(part) > 10_000:
                raise DomainError(
                    "invalid", f"40230: {part[:40]!r} is not an index of the array there"
                )
            index = int(part)
            node.extend([None] * (index + 1 - len(node)))
            if last:
                node[index] = value
            else:
                if not isinstance(node[index], dict | list):
                    node[index] = fresh
                node = node[index]
        else:
            if last:
                node[part] = value
            else:
                if not isinstance(node.get(part), dict | list):
                    node[part] = fresh
                node = node[part]
    return doc


class ApplicationData:
    """The store behind the handlers: scopes, rights, bounds, JSON Patch."""

    def __init__(self, platform):
        self.platform = platform
        platform.collections.add(COLLECTION)  # created before serving (store/collections.py)
        self._lock = asyncio.Lock()  # read-modify-write of one document at a time

    @property
    def collection(self):
        return self.platform.adb[COLLECTION]

    @staticmethod
    def owner(user, scope: str) -> str:
        if scope == GLOBAL:
            return ""
        name = getattr(user, "username", None)
        if not name:
            raise DomainError("unauthenticated", "applicationData needs a login")
        return name

    @staticmethod
    def may_write(user, scope: str) -> None:
        roles = set(roles_of(user))
        if scope == GLOBAL and ADMIN not in roles:
            raise DomainError("forbidden", "40233: only admins may write global applicationData")
        if not roles & WRITERS:
            raise DomainError(
                "forbidden", "40233: your login may read applicationData, not write it"
            )

    @staticmethod
    def key(scope: str, owner: str, appid: str, version: str) -> str:
        return f"{scope}:{owner}:{appid}:{version}"

    async def _load(self, key: str, scope: str, appid: str, version: str):
        """The stored document, else the platform's default for it, else ``{}``."""
        doc = await self.collection.find_one({"_id": key}, {"json": 1})
        if doc:
            return json.loads(doc["json"])
        default = default_for(scope, appid, version)
        return {} if default is None else default

    async def read(self, user, scope: str, appid: str, version: str, path: str, keys: bool):
        check_appid(appid)
        version = version_of(version)
        key = self.key(scope, self.owner(user, scope), appid, version)
        data = await self._load(key, scope, appid, version)
        parts = segments(path)
        if parts:
            data = get_at(data, parts)
            if not data and data != {} and data != []:  # lodash: a falsy value is "not found"
                raise DomainError("not_found", "no applicationData at that path")
        if keys:
            if isinstance(data, dict):
                return list(data)
            if isinstance(data, list):
                return [str(i) for i in range(len(data))]
            raise DomainError("not_found", "keys of a value that is not an object")
        return data

    async def versions(self, user, scope: str, appid: str) -> list[str]:
        check_appid(appid)
        found = self.collection.find(
            {"scope": scope, "owner": self.owner(user, scope), "appid": appid}, {"version": 1}
        )
        versions = {doc["version"] async for doc in found}
        if scope == USER and DEFAULTS.joinpath(appid).is_dir():
            versions |= {f.stem for f in DEFAULTS.joinpath(appid).glob("*.json")}
        versions = sorted(versions)
        if not versions:
            raise DomainError("not_found", f"no applicationData for {appid}")
        return versions

    async def write(self, user, scope: str, appid: str, version: str, path: str, body) -> str:
        check_appid(appid)
        version = version_of(version)
        self.may_write(user, scope)
        owner = self.owner(user, scope)
        key = self.key(scope, owner, appid, version)
        parts = segments(path)
        async with self._lock:
            current = await self._load(key, scope, appid, version)
            if parts:
                data = set_at(current, parts, body)
            elif isinstance(body, list):
                try:
                    data = jsonpatch.apply(current, body)
                except jsonpatch.PatchError as exc:
                    raise DomainError(
                        "invalid", f"40232: JSON Patch not applied, nothing changed: {exc}"
                    ) from None
            else:
                data = body
            text = json.dumps(data, separators=(",", ":"), allow_nan=False)
            if len(text) > MAX_BYTES:
                raise DomainError(
                    "too_large", f"40231: applicationData is limited to {MAX_BYTES} bytes"
                )
            if deeper_than(text, MAX_DEPTH):
                raise DomainError(
                    "invalid", f"40231: applicationData nests at most {MAX_DEPTH} levels"
                )
            if not await self.collection.count_documents({"_id": key}, limit=1):
                stored = await self.collection.count_documents(
                    {"scope": scope, "owner": owner}, limit=MAX_DOCUMENTS
                )
                if stored >= MAX_DOCUMENTS:
                    raise DomainError(
                        "too_large", f"40231: at most {MAX_DOCUMENTS} applicationData documents"
                    )
            await self.collection.update_one(
                {"_id": key},
                {
                    "$set": {
                        "scope": scope,
                        "owner": owner,
                        "appid": appid,
                        "version": version,
                        "json": text,
                        "bytes": len(text),
                        "modified": datetime.now(UTC),
                        "by": getattr(user, "username", ""),
                    }
                },
                upsert=True,
            )
        return SAVED


# ---- HTTP -----------------------------------------------------------------------------------
def _handlers():
    from jupyter_server.auth.decorator import authorized
    from tornado import web

    from isomer_data.core.parsing import parse as parse_json
    from isomer_data.services.signalk.probes import SignalKAPIHandler

    class ApplicationDataHandler(SignalKAPIHandler):
        """``/signalk/v1/applicationData/{user|global}/APPID/VERSION[/PATH]``."""

        def _store(self) -> ApplicationData:
            return self.settings["isomer"].appdata

        @web.authenticated
        @authorized
        async def get(self, scope: str, appid: str, version: str, path: str = ""):
            keys = self.get_argument("keys", "") == "true"
            try:
                value = await self._store().read(
                    self.current_user, scope, appid, version, path, keys
                )
            except DomainError as exc:
                self.refuse(exc)
                return
            self.reply(value)

        @web.authenticated
        @authorized
        async def post(self, scope: str, appid: str, version: str, path: str = ""):
            if len(self.request.body or b"") > MAX_BYTES:
                self.reply(
                    {"message": f"40231: applicationData is limited to {MAX_BYTES} bytes"}, 413
                )
                return
            try:
                body = parse_json(self.request.body or b"null", max_depth=MAX_DEPTH, strict=True)
                saved = await self._store().write(
                    self.current_user, scope, appid, version, path, body
                )
            except DomainError as exc:
                self.refuse(exc)
                return
            self.reply(saved)

        put = post

    class VersionsHandler(SignalKAPIHandler):
        """``GET /signalk/v1/applicationData/{user|global}/APPID``: the versions stored."""

        @web.authenticated
        @authorized
        async def get(self, scope: str, appid: str):
            try:
                self.reply(
                    await self.settings["isomer"].appdata.versions(self.current_user, scope, appid)
                )
            except DomainError as exc:
                self.refuse(exc)

    prefix = r"/signalk/v1/applicationData/(user|global)/([A-Za-z0-9][A-Za-z0-9._-]{0,28})"
    return [
        (prefix + r"/?", VersionsHandler),
        (prefix + r"/(v?[0-9][0-9.]{0,29})/?(.*)", ApplicationDataHandler),
    ]


handlers = _handlers()
