"""Ingest workers: NMEA 0183, AIS, charts and weather into the platform.

The decoding core is pure (no database, no network): lines in, observations out.

* :class:`Decoder` — one stream, one line at a time (live feeds), never raises on bad input.
* :func:`decode_lines` / :func:`decode_file` — a whole log through a :class:`Decoder`.
* :func:`decode_batch` — the same result for a whole file as columns, several times faster.
* :class:`SoundingPairer` — depths paired with the nearest position fix, for bathymetry.
* :class:`IngestReport` — what was accepted and what was refused, by reason.

Names are imported lazily so ``import ingest`` stays cheap for code that needs only one.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Observation": "isomer_data.ingest.observation",
    "Sounding": "isomer_data.ingest.observation",
    "Decoder": "isomer_data.ingest.decode",
    "decode_lines": "isomer_data.ingest.decode",
    "decode_file": "isomer_data.ingest.decode",
    "decode_batch": "isomer_data.ingest.fastpath",
    "ObservationColumns": "isomer_data.ingest.fastpath",
    "SoundingPairer": "isomer_data.ingest.soundings",
    "IngestReport": "isomer_data.ingest.report",
    "open_log": "isomer_data.ingest.framing",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ingest' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
