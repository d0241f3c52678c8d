"""Object manager and schema manager events, as the original Isomer's clients sent them.

``data`` names the schema (``{"schema": "logbookentry", …}``); the object manager checks the
per-object permissions, these events only who may call them at all.
"""

from __future__ import annotations

from isomer_data.core.events import EVERYONE, PEOPLE, DomainError, event


def _args(data) -> dict:
    if not isinstance(data, dict):
        raise DomainError("bad_request", 'expected {"schema": …, …}')
    return data


@event("objects", "get", roles=EVERYONE)
async def get(client, data):
    """One object by ``{schema, uuid}``."""
    d = _args(data)
    return await client.platform.objects.get(client.user, d.get("schema"), d.get("uuid"))


@event("objects", "getlist", roles=EVERYONE)
async def getlist(client, data):
    """``{schema, filter?, sort?, skip?, limit?}`` → ``{items, total, skip, limit}``."""
    d = _args(data)
    return await client.platform.objects.getlist(
        client.user,
        d.get("schema"),
        filter=d.get("filter"),
        sort=d.get("sort"),
        skip=d.get("skip", 0),
        limit=d.get("limit", 100),
    )


@event("objects", "search", roles=EVERYONE)
async def search(client, data):
    """Case-insensitive text search over the schema's searchable fields: ``{schema, text}``."""
    d = _args(data)
    return await client.platform.objects.search(
        client.user, d.get("schema"), d.get("text"), d.get("limit", 50)
    )


@event("objects", "put", roles=PEOPLE)
async def put(client, data):
    """Create ``{schema, object}``; validated, owned by the caller."""
    d = _args(data)
    return await client.platform.objects.put(client.user, d.get("schema"), d.get("object"))


@event("objects", "change", roles=PEOPLE)
async def change(client, data):
    """Partial update ``{schema, uuid, change}``; a null value removes the field."""
    d = _args(data)
    return await client.platform.objects.change(
        client.user, d.get("schema"), d.get("uuid"), d.get("change")
    )


@event("objects", "delete", roles=PEOPLE)
async def delete(client, data):
    """Delete ``{schema, uuid}``."""
    d = _args(data)
    return await client.platform.objects.delete(client.user, d.get("schema"), d.get("uuid"))


@event("objects", "subscribe", roles=EVERYONE)
async def subscribe(client, data):
    """Be pushed creations, changes and deletions of ``{schema, uuid?}`` you may read."""
    d = _args(data)
    client.platform.objects._schema(d.get("schema"))
    key = (d["schema"], d.get("uuid") or "*")
    client.object_subscriptions.add(key)
    return {"subscribed": list(key)}


@event("objects", "unsubscribe", roles=EVERYONE)
async def unsubscribe(client, data):
    """Stop pushes for ``{schema, uuid?}``."""
    d = _args(data)
    key = (d.get("schema"), d.get("uuid") or "*")
    client.object_subscriptions.discard(key)
    return {"unsubscribed": list(key)}


@event("schemas", "all", roles=EVERYONE)
async def all_schemas(client, data):
    """Every object schema with its form hints."""
    registry = client.platform.schemas
    return {name: registry.describe(name) for name in registry.object_schemas}


@event("schemas", "get", roles=EVERYONE)
async def get_schema(client, data):
    """One schema with its form hints: ``{schema}``."""
    d = _args(data)
    registry = client.platform.schemas
    if d.get("schema") not in registry.schemas:
        raise DomainError("unknown_schema", f"no schema {d.get('schema')!r}")
    return registry.describe(d["schema"])
