"""Puts the schema registry and the object manager on the platform; wires pushes to the hub."""

from __future__ import annotations

from pymongo import ASCENDING

from isomer_data.services.objects.manager import ObjectManager
from isomer_data.services.objects.schemas import SchemaRegistry


def setup(platform, serverapp) -> None:
    platform.schemas = SchemaRegistry()
    platform.objects = ObjectManager(platform, platform.schemas)
    platform.collections.update(
        platform.objects.collection(name).name for name in platform.schemas.object_schemas
    )


async def start(platform) -> None:
    hub = platform.hub
    if hub is not None:
        platform.objects.listeners.append(hub.object_event)
    for name in platform.schemas.object_schemas:
        coll = platform.objects.collection(name)
        await coll.create_index([("uuid", ASCENDING)], name="uuid", sparse=True)
        await coll.create_index([("owner", ASCENDING)], name="owner")
