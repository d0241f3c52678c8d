"""Hub events of the AIS targets: anyone aboard may read the list; admins configure it."""

from __future__ import annotations

import sys

from isomer_data.core.events import DomainError, event
from isomer_data.core.roles import CREW, SCIENTIST, VESSEL, VIEWER


@event("ais", "targets", roles={CREW, SCIENTIST, VESSEL, VIEWER})
async def targets(client, data):
    """AIS targets most dangerous first: distance, bearing, CPA, TCPA, notification state."""
    if data not in (None, {}):
        raise DomainError("bad_request", "expected {}")
    watch = sys.modules["isomer_ais_targets"].WATCH
    if watch is None:
        raise DomainError("unavailable", "the AIS target watch is not running")
    return watch.listing()
