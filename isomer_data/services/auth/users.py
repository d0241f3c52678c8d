"""Users and their API tokens, in MongoDB.

Passwords are stored as argon2id hashes only. Tokens are random strings shown once; the
database keeps their SHA-256, so a copy of the database does not hand out logins. A token
belongs to a user and is either a person's (a notebook, a script) or a device's (a vessel
or gateway feeding data); revoking it, or deleting its user, ends it at once in this process
and within ``TOKEN_CACHE_SECONDS`` elsewhere.

Browser logins are server-side sessions: a record of kind ``session`` in the same collection,
whose secret travels only inside the signed, HttpOnly login cookie (it is not accepted as an
API token). Logging out deletes it. Sessions and the tokens a password login hands out
(``/isomer/api/login``, Signal K login, hub ``auth/login``) carry a fingerprint of the
password hash they were issued under, so **changing a password ends them all**, whichever
way it is changed (panel, REST, ``isomer db user passwd``). Tokens made on purpose for
scripts and devices (``/isomer/api/tokens``, ``auth/createtoken``, approved access
requests) are not tied to the password: a vessel's logger keeps feeding when the captain
changes her password; they are listed and revoked one by one.

The store is async (the server's event loop must not block on the database); the
``isomer db user`` commands run the same code under ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError, PyMongoError

from isomer_data.core.errors import IsomerError
from isomer_data.core.roles import ROLES

USERS = "users"
TOKENS = "tokens"
TOKEN_PREFIX = "iso_"
TOKEN_CACHE_SECONDS = 10.0
MIN_PASSWORD = 8
SESSION = "session"  # token kind of a browser login; only valid inside the login cookie
SESSION_TTL_SECONDS = 30 * 24 * 3600
MAX_SESSIONS = 50  # per user; the oldest go first

_hasher = PasswordHasher()
# Verifying against this keeps "no such user" as slow as "wrong password" (no user probing).
_DUMMY_HASH = _hasher.hash("not a password of anyone")

PUBLIC_FIELDS = {"password": 0}


async def hash_password(password: str) -> str:
    """argon2 is slow on purpose (tens of ms): off the event loop, or every client waits."""
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_fingerprint(stored_hash: str) -> str:
    """Changes whenever the password is set (argon2 salts every hash): binds logins to it."""
    return hashlib.sha256(("isomer-login:" + (stored_hash or "")).encode()).hexdigest()[:24]


def check_roles(roles) -> list[str]:
    roles = [roles] if isinstance(roles, str) else list(roles)
    for role in roles:
        if role not in ROLES:
            raise IsomerError(70004, repr(role))
    return roles


@functools.cache
def username_rule() -> dict:
    """The user name's JSON Schema, from ``schemas/user.json``: the rule the panel's user form
    (the object manager validates users against that schema) and the command line share."""
    from isomer_data.core.schemas import schema_dir

    schema = json.loads((schema_dir() / "user.json").read_text())
    return schema["properties"]["username"]


def check_username(username: str) -> str:
    from jsonschema import Draft202012Validator

    problems = list(Draft202012Validator(username_rule()).iter_errors(username))
    if problems:
        raise IsomerError(40101, f"{username!r}: {problems[0].message}")
    return username


def check_password(password: str) -> None:
    if not password or len(password) < MIN_PASSWORD:
        raise IsomerError(70005)


class UserStore:
    def __init__(self, db):
        self.db = db
        self.users = db[USERS]
        self.tokens = db[TOKENS]
        self._token_cache: dict[str, tuple[float, dict | None]] = {}
        # Called with a user id when that user, or one of its tokens, goes away here: open
        # websockets re-check their login at once (the hub's socket guard listens).
        self.listeners: list = []

    def _changed(self, user_id: str) -> None:
        for listener in list(self.listeners):
            listener(user_id)

    async def ensure_indexes(self) -> None:
        await self.users.create_index([("username", ASCENDING)], unique=True, name="username")
        await self.tokens.create_index([("user", ASCENDING)], name="user")

    # users -------------------------------------------------------------------------------

    async def create(
        self, username: str, password: str, roles=("crew",), name: str = "", **extra
    ) -> dict:
        if not username:
            raise IsomerError(70003, "username")
        check_password(password)
        user_id = uuid.uuid4().hex
        doc = {
            "_id": user_id,
            "uuid": user_id,
            "username": username,
            "name": name or username,
            "roles": check_roles(roles),
            "password": await hash_password(password),
            "created": datetime.now(UTC),
            "owner": user_id,
            **extra,
        }
        try:
            await self.users.insert_one(doc)
        except DuplicateKeyError:
            raise IsomerError(70001, username) from None
        return {k: v for k, v in doc.items() if k != "password"}

    async def get(self, username: str) -> dict | None:
        return await self.users.find_one({"username": username}, PUBLIC_FIELDS)

    async def get_by_id(self, user_id: str) -> dict | None:
        return await self.users.find_one({"_id": user_id}, PUBLIC_FIELDS)

    async def list(self) -> list[dict]:
        return await self.users.find({}, PUBLIC_FIELDS).sort("username", ASCENDING).to_list()

    async def delete(self, username: str) -> None:
        doc = await self.users.find_one_and_delete({"username": username})
        if doc is None:
            raise IsomerError(70002, username)
        await self.tokens.delete_many({"user": doc["_id"]})
        self._token_cache.clear()
        self._changed(doc["_id"])

    async def set_password(self, username: str, password: str) -> None:
        check_password(password)
        result = await self.users.update_one(
            {"username": username}, {"$set": {"password": await hash_password(password)}}
        )
        if result.matched_count == 0:
            raise IsomerError(70002, username)
        self._token_cache.clear()  # logins made with the old password end here and now

    async def verify(self, username: str, password: str) -> dict | None:
        """The user when the password is right, else None (same cost either way)."""
        doc = await self.users.find_one({"username": username}) if username else None
        stored = doc["password"] if doc and doc.get("password") else _DUMMY_HASH
        if not await asyncio.to_thread(_verify, stored, password or ""):
            return None
        if doc is None or doc.get("disabled"):
            return None
        if _hasher.check_needs_rehash(stored):
            await self.users.update_one(
                {"_id": doc["_id"]}, {"$set": {"password": await hash_password(password)}}
            )
        doc.pop("password", None)
        return doc

    # tokens ------------------------------------------------------------------------------

    async def issue_token(
        self,
        user: dict,
        name: str = "",
        kind: str = "person",
        ttl: float | None = None,
        parent: str | None = None,
        *,
        password_bound: bool = False,
    ) -> tuple[str, dict]:
        """A new token for ``user``: the secret (shown once) and its stored record.

        ``parent``: the id of the token it was made with; revoking that one revokes this.
        ``password_bound`` tokens (those a password login hands out, and sessions) stop
        working when the user's password changes.
        """
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        digest = token_hash(token)
        now = datetime.now(UTC)
        record = {
            "_id": digest,
            "id": digest[:12],
            "user": user["_id"],
            "username": user["username"],
            "name": name or kind,
            "kind": kind,
            "created": now,
            "expires": now + timedelta(seconds=ttl) if ttl else None,
        }
        if parent:
            record["parent"] = parent
        if password_bound or kind == SESSION:
            stored = await self.users.find_one({"_id": user["_id"]}, {"password": 1})
            record["pw"] = password_fingerprint((stored or {}).get("password", ""))
        await self.tokens.insert_one(record)
        return token, record

    async def start_session(self, user: dict, name: str = "") -> str:
        """A browser login for ``user``: the secret for the signed login cookie."""
        await self._prune_sessions(user["_id"])
        secret, _ = await self.issue_token(user, name=name, kind=SESSION, ttl=SESSION_TTL_SECONDS)
        return secret

    async def _prune_sessions(self, user_id: str) -> None:
        now = datetime.now(UTC)
        await self.tokens.delete_many({"user": user_id, "kind": SESSION, "expires": {"$lt": now}})
        live = await (
            self.tokens.find({"user": user_id, "kind": SESSION}, {"_id": 1})
            .sort("created", -1)
            .skip(MAX_SESSIONS - 1)
            .to_list()
        )
        if live:
            await self.tokens.delete_many({"_id": {"$in": [doc["_id"] for doc in live]}})

    async def end_session(self, secret: str) -> bool:
        """Log a browser session out (the cookie's copy, wherever it is, stops working)."""
        result = await self.tokens.delete_one({"_id": token_hash(secret), "kind": SESSION})
        self._token_cache.clear()
        return result.deleted_count == 1

    async def user_for_session(self, secret: str) -> dict | None:
        return await self.user_for_token(secret, session=True)

    async def list_tokens(self, user: dict) -> list[dict]:
        return await self.tokens.find(
            {"user": user["_id"], "kind": {"$ne": SESSION}}, {"_id": 0, "pw": 0}
        ).to_list()

    async def revoke_token(self, user: dict, token_id: str, *, any_user: bool = False) -> bool:
        query = {"id": token_id} if any_user else {"id": token_id, "user": user["_id"]}
        doc = await self.tokens.find_one_and_delete(query)
        parents = [doc["id"]] if doc is not None else []
        while parents:  # tokens made with it end with it, and theirs too
            query = {"parent": {"$in": parents}, "user": doc["user"]}
            children = [t["id"] async for t in self.tokens.find(query, {"id": 1})]
            await self.tokens.delete_many(query)
            parents = children
        self._token_cache.clear()
        if doc is not None:
            self._changed(doc["user"])
        return doc is not None

    async def user_for_token(self, token: str, *, session: bool = False) -> dict | None:
        """The user a token belongs to (with ``token_kind``), cached briefly.

        A session secret is a token only with ``session=True`` (the login cookie), and an
        API token never is a session.
        """
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
            return None
        digest = token_hash(token)
        now = time.monotonic()
        cached = self._token_cache.get(digest)
        if cached and now - cached[0] < TOKEN_CACHE_SECONDS:
            user = cached[1]
        else:
            try:
                user = await self._lookup(digest)
            except PyMongoError:
                if cached:  # the database is away: a token known a moment ago still holds
                    user = cached[1]
                else:
                    raise
            else:
                if len(self._token_cache) > 10_000:
                    self._token_cache.clear()
                self._token_cache[digest] = (now, user)
        if user is None or (user["token_kind"] == SESSION) != session:
            return None
        return dict(user)

    async def _lookup(self, digest: str) -> dict | None:
        record = await self.tokens.find_one({"_id": digest})
        if record is None:
            return None
        expires = record.get("expires")
        if expires is not None and expires <= datetime.now(UTC):
            return None
        user = await self.users.find_one({"_id": record["user"]})
        if user is None or user.get("disabled"):
            return None
        stored = user.pop("password", "")
        if "pw" in record and record["pw"] != password_fingerprint(stored):
            return None  # issued under a password that has since changed
        user["token_kind"] = record["kind"]
        user["token_id"] = record["id"]
        return user

    def forget_cached(self) -> None:
        self._token_cache.clear()
