"""Puts the live state on the platform: ``platform.live``."""

from __future__ import annotations

import asyncio

from isomer_data.services.live.state import LiveState


def setup(platform, serverapp) -> None:
    platform.live = LiveState()


async def start(platform) -> None:
    platform.live.bind_loop(asyncio.get_running_loop())
