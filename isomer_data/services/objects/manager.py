"""The object manager: stored objects with per-object, per-role permissions.

Every object carries an ``owner`` (a user id) and ``perms`` ``{read, write, list, delete}``
listing roles, as in the original Isomer. Admins may do anything, an owner anything with
their own objects, anyone else what the object's perms grant their roles (objects stored
without perms get their schema's defaults). Creating needs one of the schema's ``create``
roles. Every write is validated against the schema before it reaches the database.

Clients are not trusted with the shape of a document either. Field names with ``.`` or a
leading ``$`` (MongoDB would read them as paths and operators), non-finite numbers (a stored
NaN breaks every browser's ``JSON.parse``), integers beyond 64 bits, documents larger than
``MAX_OBJECT_BYTES`` or nested deeper than ``MAX_OBJECT_DEPTH`` are refused before anything
else happens. Fields the schema marks ``readOnly`` are the server's; fields it marks
``x-isomer-admin-only`` only an admin may set or change (a user owns their record, but may
not give themselves roles). REST and the hub both come through here.

Listeners (the hub) hear ``objectcreation``/``objectchange``/``objectdeletion`` and decide
per client, with :meth:`ObjectManager.can`, who may see them.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
import uuid
from datetime import UTC, datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from isomer_data.core.errors import DomainError
from isomer_data.core.parsing import coded
from isomer_data.core.roles import ADMIN, roles_of
from isomer_data.store import sync

OPS = ("read", "write", "list", "delete")
MAX_LIMIT = 1000
FILTER_OPERATORS = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists"}
SERVER_FIELDS = {"_id", "uuid", "owner", "created", "modified", sync.FIELD}
MAX_OBJECT_BYTES = 256 * 1024  # of JSON, about: objects are forms, not data sets
MAX_OBJECT_DEPTH = 16
MAX_SKIP = 1 << 31
_INT64 = 1 << 63


def check_document(value, what: str = "object") -> None:
    """Refuse what must never be stored, with the field it concerns (no recursion).

    Field names with ``.``, a leading ``$`` or NUL (40210), NaN and ±Infinity (40211),
    integers beyond 64 bits (40214), more than ``MAX_OBJECT_DEPTH`` levels (40213) and more
    than ``MAX_OBJECT_BYTES`` of JSON (40212, code ``too_large``).
    """
    size = 0
    stack = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_OBJECT_DEPTH:
                raise coded(
                    "invalid",
                    40213,
                    f"{path or what}: more than {MAX_OBJECT_DEPTH} levels",
                    {"field": path},
                )
            size += 2
            for key, child in item.items():
                field = f"{path}.{key}" if path else str(key)
                if not isinstance(key, str) or "." in key or key.startswith("$") or "\0" in key:
                    raise coded("invalid", 40210, repr(key), {"field": field})
                size += len(key) + 4
                stack.append((child, field, depth + 1))
        elif isinstance(item, list | tuple):
            if depth > MAX_OBJECT_DEPTH:
                raise coded(
                    "invalid",
                    40213,
                    f"{path or what}: more than {MAX_OBJECT_DEPTH} levels",
                    {"field": path},
                )
            size += 2
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, str):
            size += (len(item) if item.isascii() else len(item.encode("utf-8", "replace"))) + 3
        elif isinstance(item, bool) or item is None:
            size += 5
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise coded("invalid", 40211, f"{path or what}: {item}", {"field": path})
            size += 24
        elif isinstance(item, int):
            if not -_INT64 <= item < _INT64:
                raise coded("invalid", 40214, path or what, {"field": path})
            size += 20
        if size > MAX_OBJECT_BYTES:
            raise coded("too_large", 40212, f"more than {MAX_OBJECT_BYTES} bytes", {"field": ""})


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value


def _user_id(user) -> str:
    return getattr(user, "user_id", "") or ""


class ObjectManager:
    def __init__(self, platform, schemas):
        self.platform = platform
        self.schemas = schemas
        self.listeners: list = []

    # helpers -----------------------------------------------------------------------------

    def _schema(self, name) -> dict:
        if not isinstance(name, str) or name not in self.schemas.object_schemas:
            raise DomainError(
                "unknown_schema",
                f"no object schema {name!r}; known: {', '.join(self.schemas.object_schemas)}",
            )
        return self.schemas.meta(name)

    def collection(self, name: str):
        return self.platform.adb[self._schema(name)["collection"]]

    def perms_of(self, name: str, obj: dict) -> dict:
        return obj.get("perms") or self._schema(name).get("perms", {})

    def can(self, user, op: str, name: str, obj: dict) -> bool:
        roles = roles_of(user)
        if ADMIN in roles:
            return True
        uid = _user_id(user)
        if uid and obj.get("owner") == uid and op in self._owner_ops(name):
            return True
        return any(role in self.perms_of(name, obj).get(op, ()) for role in roles)

    def _owner_ops(self, name: str) -> tuple:
        """What an object's owner may always do: all four, unless the schema says less."""
        return tuple(self._schema(name).get("owner", OPS))

    def _visible_query(self, user, name: str, op: str) -> dict:
        roles = roles_of(user)
        if ADMIN in roles:
            return {}
        ors: list[dict] = [{f"perms.{op}": {"$in": list(roles)}}]
        if _user_id(user) and op in self._owner_ops(name):
            ors.append({"owner": _user_id(user)})
        if any(role in self._schema(name).get("perms", {}).get(op, ()) for role in roles):
            ors.append({"perms": {"$exists": False}})
        return {"$or": ors}

    def public(self, name: str, doc: dict) -> dict:
        hidden = self.schemas.write_only(name) | {"_id", sync.FIELD}
        out = {k: _iso(v) for k, v in doc.items() if k not in hidden}
        if "uuid" not in out and "_id" in doc:
            out["uuid"] = str(doc["_id"])
        return out

    def _check(self, name: str, doc: dict) -> None:
        problems = self.schemas.errors(name, doc)
        if problems:
            raise DomainError(
                "invalid",
                "; ".join(f"{p['field'] or '(object)'}: {p['message']}" for p in problems),
                problems,
            )

    def _emit(self, action: str, name: str, doc: dict) -> None:
        public = self.public(name, doc)
        for listener in list(self.listeners):
            listener(action, name, public, lambda user: self.can(user, "read", name, doc))

    def _synced(self, name: str) -> bool:
        """Objects that travel boat → shore get a sync number on every write (store/sync.py)."""
        return self._schema(name)["collection"] in sync.SYNCED

    async def _find(self, name: str, object_id) -> dict:
        if not isinstance(object_id, str) or not object_id:
            raise DomainError("bad_request", "uuid must be a non-empty string", {"field": "uuid"})
        doc = await self.collection(name).find_one({"uuid": object_id})
        if doc is None:
            raise DomainError("not_found", f"no {name} {object_id}")
        return doc

    # operations --------------------------------------------------------------------------

    async def get(self, user, name: str, object_id: str) -> dict:
        doc = await self._find(name, object_id)
        if not self.can(user, "read", name, doc):
            raise DomainError("forbidden", f"you may not read this {name}")
        return self.public(name, doc)

    def _filter(self, name: str, filter_) -> dict:
        if filter_ in (None, {}):
            return {}
        if not isinstance(filter_, dict):
            raise DomainError("invalid", "filter must be an object", {"field": "filter"})
        props = set(self.schemas.schemas[name].get("properties", {})) - self.schemas.write_only(
            name
        )
        out = {}
        for key, value in filter_.items():
            if not isinstance(key, str) or key.split(".")[0] not in props:
                raise DomainError(
                    "invalid", f"cannot filter on {key!r}", {"field": f"filter.{key}"}
                )
            if isinstance(value, dict):
                bad = [op for op in value if op not in FILTER_OPERATORS]
                if bad:
                    raise DomainError(
                        "invalid",
                        f"operator {bad[0]!r} not allowed; use {sorted(FILTER_OPERATORS)}",
                        {"field": f"filter.{key}"},
                    )
            out[key] = value
        return out

    def _sort(self, name: str, sort) -> list:
        if not sort:
            return [("uuid", ASCENDING)]
        if isinstance(sort, str):
            sort = [[sort.lstrip("-"), -1 if sort.startswith("-") else 1]]
        props = set(self.schemas.schemas[name].get("properties", {})) | {"created", "modified"}
        out = []
        for item in sort:
            if (
                not isinstance(item, list | tuple)
                or len(item) != 2
                or item[0] not in props
                or item[1] not in (1, -1)
            ):
                raise DomainError("invalid", "sort is [[field, 1|-1], …]", {"field": "sort"})
            out.append((item[0], ASCENDING if item[1] == 1 else DESCENDING))
        return out

    async def getlist(
        self, user, name: str, filter=None, sort=None, skip: int = 0, limit: int = 100
    ) -> dict:
        self._schema(name)
        if not isinstance(skip, int) or not 0 <= skip < MAX_SKIP:
            raise DomainError(
                "invalid", f"skip is an integer from 0 to {MAX_SKIP - 1}", {"field": "skip"}
            )
        if not isinstance(limit, int) or limit < 1:
            raise DomainError("invalid", "limit is an integer ≥ 1", {"field": "limit"})
        limit = min(limit, MAX_LIMIT)
        query = self._filter(name, filter)
        visible = self._visible_query(user, name, "list")
        if visible:
            query = {"$and": [query, visible]} if query else visible
        coll = self.collection(name)
        total = await coll.count_documents(query)
        cursor = coll.find(query).sort(self._sort(name, sort)).skip(skip).limit(limit)
        items = [self.public(name, doc) async for doc in cursor]
        return {"items": items, "total": total, "skip": skip, "limit": limit}

    async def search(self, user, name: str, text: str, limit: int = 50) -> dict:
        meta = self._schema(name)
        if not isinstance(text, str):
            raise DomainError("invalid", "search text must be a string", {"field": "text"})
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise DomainError("invalid", "limit is an integer ≥ 1", {"field": "limit"})
        pattern = {"$regex": re.escape(text), "$options": "i"}
        query = {"$or": [{field: pattern} for field in meta.get("search", [])] or [{}]}
        visible = self._visible_query(user, name, "list")
        if visible:
            query = {"$and": [query, visible]}
        cursor = self.collection(name).find(query).limit(min(limit, MAX_LIMIT))
        return {"items": [self.public(name, doc) async for doc in cursor]}

    async def put(self, user, name: str, obj, *, object_id: str | None = None) -> dict:
        """Create an object owned by ``user``; ``object_id`` is for callers that name it
        themselves (a Signal K app's ``PUT /resources/TYPE/ID``), never a client's hub or
        REST call. An id already taken is ``exists``."""
        meta = self._schema(name)
        if not isinstance(obj, dict):
            raise DomainError("invalid", "the object must be a JSON object", {"field": ""})
        roles = roles_of(user)
        if ADMIN not in roles and not any(r in meta.get("create", ()) for r in roles):
            raise DomainError("forbidden", f"your roles may not create a {name}")
        check_document(obj)
        if ADMIN not in roles:
            for key in obj:
                if key in self.schemas.admin_only(name):
                    raise coded("forbidden", 40220, key, {"field": key})
        # Server fields a client sends (a form echoing uuid) are dropped, not trusted.
        doc = {
            k: v for k, v in obj.items() if k not in SERVER_FIELDS | self.schemas.read_only(name)
        }
        self._check(name, doc)
        if name == "user":
            return self.public(name, await self._create_user(doc))
        if object_id is None:
            object_id = uuid.uuid4().hex
        elif await self.collection(name).find_one({"uuid": object_id}, {"_id": 1}):
            raise DomainError("exists", f"a {name} {object_id} exists")
        now = datetime.now(UTC)
        stored = {
            **doc,
            "_id": object_id,
            "uuid": object_id,
            "owner": _user_id(user),
            "created": now,
            "modified": now,
        }
        if "author" in self.schemas.schemas[name].get("properties", {}):
            stored["author"] = getattr(user, "username", "")
        if meta.get("stamp"):
            self._stamp(meta["stamp"], stored)
        unique = meta.get("unique")
        if unique and await self.collection(name).find_one({unique: doc.get(unique)}):
            raise DomainError("exists", f"a {name} with {unique} {doc.get(unique)!r} exists")
        try:
            if self._synced(name):
                async with sync.areserve(self.platform.adb, 1) as seq:
                    stored[sync.FIELD] = seq
                    await self.collection(name).insert_one(stored)
            else:
                await self.collection(name).insert_one(stored)
        except DuplicateKeyError:  # two creations of one named id at once
            raise DomainError("exists", f"a {name} {object_id} exists") from None
        result = self.public(name, stored)
        self._emit("objectcreation", name, stored)
        return result

    def _stamp(self, stamp: dict, stored: dict) -> None:
        """Record the own ship's live values at the time of writing (``x-isomer.stamp``).

        The server takes them from its live state, never from the client: a logbook entry
        says where the boat was and how it sailed when the entry was made. Values older than
        ``maxAge`` seconds are left out; a missing position is filled from the same fix.
        """
        live = self.platform.live
        if live is None:
            return
        now = time.time()
        max_age = float(stamp.get("maxAge", 600))
        values, observed = {}, {}
        for field, path in stamp.get("paths", {}).items():
            latest = live.get("self", path)
            if latest is None or now - latest[0] > max_age:
                continue
            values[field] = latest[1]
            observed[field] = _iso(datetime.fromtimestamp(latest[0], UTC))
        if not values:
            return
        stored[stamp["field"]] = {**values, "observed": observed}
        position = values.get("position")
        if "position" not in stored and isinstance(position, dict):
            stored["position"] = {
                k: position[k] for k in ("latitude", "longitude") if k in position
            }

    async def _create_user(self, doc: dict) -> dict:
        from isomer_data.core.errors import IsomerError

        if "password" not in doc:
            raise DomainError(
                "invalid",
                "password: required for a new user",
                [{"field": "password", "message": "'password' is a required property"}],
            )
        extra = {k: v for k, v in doc.items() if k not in ("username", "password", "roles", "name")}
        try:
            created = await self.platform.users.create(
                doc["username"], doc["password"], doc["roles"], name=doc.get("name", ""), **extra
            )
        except IsomerError as exc:
            raise DomainError(
                "exists" if exc.code == 70001 else "invalid", str(exc.spec.title)
            ) from None
        except DuplicateKeyError:
            raise DomainError("exists", f"user {doc['username']!r} exists") from None
        self._emit("objectcreation", "user", created)
        return created

    async def change(self, user, name: str, object_id: str, patch) -> dict:
        self._schema(name)
        if not isinstance(patch, dict):
            raise DomainError("invalid", "the change must be a JSON object", {"field": ""})
        check_document(patch, "change")
        doc = await self._find(name, object_id)
        if not self.can(user, "write", name, doc):
            raise DomainError("forbidden", f"you may not change this {name}")
        fixed = SERVER_FIELDS | self.schemas.read_only(name)
        touched = [k for k in patch if k in fixed]
        if touched:
            raise coded("invalid", 40221, touched[0], {"field": touched[0]})
        is_admin = ADMIN in roles_of(user)
        if not is_admin:
            secret = self.schemas.write_only(name)
            for key in self.schemas.admin_only(name):
                # Sending a field back unchanged is no change; a write-only field (a
                # password) cannot be compared, so sending it always is one.
                if key in patch and (key in secret or patch[key] != doc.get(key)):
                    raise coded("forbidden", 40220, key, {"field": key})
        if "perms" in patch and not (is_admin or doc.get("owner") == _user_id(user)):
            raise DomainError("forbidden", "only the owner or an admin may change permissions")
        merged = {k: v for k, v in doc.items() if k not in fixed and k != "password"}
        merged.update({k: v for k, v in patch.items() if v is not None})
        for key in [k for k, v in patch.items() if v is None]:
            merged.pop(key, None)
        check_document(merged)
        self._check(name, merged)
        update: dict = {"$set": {**{k: v for k, v in patch.items() if v is not None}}}
        unset = {k: "" for k, v in patch.items() if v is None}
        if name == "user" and "password" in patch:
            from isomer_data.services.auth.users import hash_password

            update["$set"]["password"] = await hash_password(patch["password"])
            self.platform.users.forget_cached()
        update["$set"]["modified"] = datetime.now(UTC)
        if unset:
            update["$unset"] = unset
        async with contextlib.AsyncExitStack() as stack:
            if self._synced(name):
                seq = await stack.enter_async_context(sync.areserve(self.platform.adb, 1))
                update["$set"][sync.FIELD] = seq
            new = await self.collection(name).find_one_and_update(
                {"uuid": object_id}, update, return_document=ReturnDocument.AFTER
            )
        if name == "user" and self.platform.identity is not None:
            self.platform.identity.forget(new.get("_id"))
            self.platform.users.forget_cached()
        self._emit("objectchange", name, new)
        return self.public(name, new)

    async def delete(self, user, name: str, object_id: str) -> dict:
        self._schema(name)
        doc = await self._find(name, object_id)
        if not self.can(user, "delete", name, doc):
            raise DomainError("forbidden", f"you may not delete this {name}")
        if name == "user":
            await self.platform.users.delete(doc["username"])
            if self.platform.identity is not None:
                self.platform.identity.forget(doc["_id"])
        else:
            if self._synced(name):
                await sync.awrite_tombstone(
                    self.platform.adb, self.collection(name).name, doc["_id"]
                )
            await self.collection(name).delete_one({"uuid": object_id})
        self._emit("objectdeletion", name, doc)
        return {"uuid": object_id, "deleted": True}
