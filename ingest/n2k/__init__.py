"""NMEA 2000 into the platform: logs (canboat plain text, Actisense N2K ASCII, Yacht
Devices RAW, candump), SocketCAN through python-can and gateways over TCP/UDP, decoded by
canboat's PGN database (the ``nmea2000`` package) into the Signal K paths of Signal K's
reference mapping (``@signalk/n2k-signalk``).

* :class:`Decoder` — one stream, one line or CAN frame at a time, never raises.
* :func:`decode_batch` — a whole log as the columns the file pipeline stores.
* :func:`sniff` — whether (and in which format) a log is NMEA 2000.
* :data:`MAPPING` — the PGN → Signal K path table.

Names are imported lazily, like :mod:`isomer_data.ingest`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Decoder": "isomer_data.ingest.n2k.decoder",
    "FastPackets": "isomer_data.ingest.n2k.decoder",
    "decode_lines": "isomer_data.ingest.n2k.decoder",
    "decode_batch": "isomer_data.ingest.n2k.decoder",
    "sniff": "isomer_data.ingest.n2k.formats",
    "MAPPING": "isomer_data.ingest.n2k.mapping",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'isomer_data.ingest.n2k' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
