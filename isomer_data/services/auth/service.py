"""Puts the user store on the platform (``platform.users``) and checks who guards the door."""

from __future__ import annotations

import logging

from isomer_data.services.auth import logscrub, pages
from isomer_data.services.auth.identity import IsomerIdentityProvider
from isomer_data.services.auth.users import TOKENS, USERS, UserStore

log = logging.getLogger(__name__)


def setup(platform, serverapp) -> None:
    platform.users = UserStore(platform.adb)
    platform.collections.update((USERS, TOKENS))
    platform.identity = serverapp.identity_provider
    pages.install(serverapp)
    # Jupyter's access log already hides ?token= (any parameter naming "token", "auth",
    # "key"…); a password put in a URL by mistake is hidden too.
    settings = serverapp.web_app.settings
    settings["extra_log_scrub_param_keys"] = [
        *settings.get("extra_log_scrub_param_keys", []),
        "password",
        "secret",
    ]
    logscrub.install(serverapp)
    if isinstance(serverapp.identity_provider, IsomerIdentityProvider):
        serverapp.identity_provider.user_store = platform.users
    else:
        log.warning(
            "the server's identity provider is %s, not Isomer's: platform users and roles "
            "are ignored; start the platform with `isomer launch`",
            type(serverapp.identity_provider).__name__,
        )


async def start(platform) -> None:
    await platform.users.ensure_indexes()
