"""Puts the Signal K access-request desk (``platform.access``) and the applicationData store
(``platform.appdata``) on the platform."""

from __future__ import annotations

from isomer_data.services.signalk.access import AccessRequests
from isomer_data.services.signalk.appdata import ApplicationData
from isomer_data.services.signalk.probes import RESOURCE_TYPES


def setup(platform, serverapp) -> None:
    platform.access = AccessRequests(platform)
    platform.appdata = ApplicationData(platform)
    platform.collections.add(RESOURCE_TYPES)  # created before serving (store/collections.py)
