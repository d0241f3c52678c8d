"""Puts the hub on the platform (``platform.hub``) and loads every service's events."""

from __future__ import annotations

from isomer_data.services.hub.hub import Hub


def setup(platform, serverapp) -> None:
    platform.hub = Hub(platform)
