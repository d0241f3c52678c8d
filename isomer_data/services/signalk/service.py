"""Puts the Signal K parts on the platform: the access-request desk (``platform.access``),
the applicationData store (``platform.appdata``), the v2 resources over the object manager
(``platform.resources``), the course (``platform.course``), notifications with alarm states
(``platform.notifications``) and the PUT request registry (``platform.puts``)."""

from __future__ import annotations

from isomer_data.services.signalk.access import AccessRequests
from isomer_data.services.signalk.appdata import ApplicationData
from isomer_data.services.signalk.course import COLLECTION, Course
from isomer_data.services.signalk.notifications import Notifications
from isomer_data.services.signalk.probes import RESOURCE_TYPES
from isomer_data.services.signalk.puts import PutRequests
from isomer_data.services.signalk.resources import SignalKResources


def setup(platform, serverapp) -> None:
    platform.access = AccessRequests(platform)
    platform.appdata = ApplicationData(platform)
    platform.resources = SignalKResources(platform)
    platform.course = Course(platform)
    platform.notifications = Notifications(platform)
    platform.puts = PutRequests(platform)
    # created before serving (store/collections.py)
    platform.collections.add(RESOURCE_TYPES)
    platform.collections.add(COLLECTION)
    if platform.live is not None:
        platform.live.filters.append(platform.notifications.filter)
    # Signal K v1: PUT {"method": [...]} on a notification silences or acknowledges it.
    platform.puts.register("notifications.*", platform.notifications.put_method)


async def start(platform) -> None:
    if platform.objects is not None:
        platform.objects.listeners.append(platform.resources.object_event)
    if platform.live is not None:
        await platform.course.start()
        platform.on_close(platform.course.stop)
