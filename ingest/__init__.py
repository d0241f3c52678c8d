"""Ingest workers: NMEA 0183, AIS, charts and weather into the platform.

The decoding core is pure (no database, no network): lines in, observations out.

* :class:`Decoder` — one stream, one line at a time (live feeds), never raises on bad input.
* :func:`decode_lines` / :func:`decode_file` — a whole log through a :class:`Decoder`.
* :func:`decode_batch` — the same result for a whole file as columns, several times faster.
* :class:`SoundingPairer` — depths paired with the nearest position fix, for bathymetry.
* :class:`IngestReport` — what was accepted and what was refused, by reason.

Names are imported lazily so ``import isomer_data.ingest`` stays cheap for code that needs only one.

The decoder interface
---------------------
NMEA 0183 (with AIS) is the first protocol; others (NMEA 2000 first) arrive as their own
subpackage, ``isomer_data.ingest.<protocol>``, next to this one and offering the same two
entry points, so sources, the worker, the CLI and storage need no change:

* a per-line (per-frame) decoder class, one per stream, constructed as
  ``Decoder(vessel=SELF, source=<label>, report=None)``; ``feed(frame, received=None)``
  takes one raw frame (``str`` or ``bytes``) and the POSIX time it arrived, and returns a
  list of :class:`Observation` — Signal K path, SI value, time, vessel context and source
  label — possibly empty. It never raises on bad input: every frame is counted in
  ``decoder.report`` (an :class:`IngestReport`): ``lines``, ``accepted[type]``,
  ``unmapped[type]``, ``rejected[reason]`` with the first examples, and ``observations``.
* ``decode_batch(frames, vessel, source, report) -> ObservationColumns``: a whole log as
  columns, giving exactly the observations and report the per-frame decoder gives (a
  protocol may start with a batch function that loops over its per-frame decoder).

Inside, a protocol keeps the shape of this one: a table with one row per message type,
mapping its fields to Signal K paths through extractors that each have a per-frame
``__call__`` and a column-wise ``columns()`` (:mod:`isomer_data.ingest.normalize`),
impossible values refused through the shared :data:`~isomer_data.ingest.normalize.LIMITS`
with the reason codes of :mod:`isomer_data.ingest.report`, and a test holding both
evaluations to the same observations and report on generated input
(``tests/ingest/test_evaluations.py``).
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
