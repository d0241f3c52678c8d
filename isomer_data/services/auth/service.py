"""Puts the user store on the platform (``platform.users``) and checks who guards the door."""

from __future__ import annotations

import logging

from isomer_data.services.auth import pages
from isomer_data.services.auth.identity import IsomerIdentityProvider
from isomer_data.services.auth.users import UserStore

log = logging.getLogger(__name__)


def setup(platform, serverapp) -> None:
    platform.users = UserStore(platform.adb)
    platform.identity = serverapp.identity_provider
    pages.install(serverapp)
    if not isinstance(serverapp.identity_provider, IsomerIdentityProvider):
        log.warning(
            "the server's identity provider is %s, not Isomer's: platform users and roles "
            "are ignored; start the platform with `isomer launch`",
            type(serverapp.identity_provider).__name__,
        )


async def start(platform) -> None:
    await platform.users.ensure_indexes()
