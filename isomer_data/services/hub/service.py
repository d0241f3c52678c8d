"""Puts the hub on the platform (``platform.hub``) and loads every service's events.

The hub's socket guard (``platform.guard``) watches every websocket, the Signal K stream's
too: it hears of user and token changes and re-checks open sockets on a timer.
"""

from __future__ import annotations

from isomer_data.services.hub.hub import Hub


def setup(platform, serverapp) -> None:
    platform.hub = Hub(platform)
    platform.guard = platform.hub.guard


async def start(platform) -> None:
    users = platform.users
    if users is not None and hasattr(users, "listeners"):
        users.listeners.append(platform.guard.user_changed)
    platform.guard.start()
    platform.on_close(platform.guard.stop)
