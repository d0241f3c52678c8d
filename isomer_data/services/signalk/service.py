"""Puts the Signal K access-request desk on the platform (``platform.access``)."""

from __future__ import annotations

from isomer_data.services.signalk.access import AccessRequests


def setup(platform, serverapp) -> None:
    platform.access = AccessRequests(platform)
