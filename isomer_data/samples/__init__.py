"""Small generated data sets shipped with the package, for tests, docs and first runs.

``voyage.nmea`` is the own vessel's log, ``second-wind.nmea`` a second vessel on the same
track (see :mod:`isomer_data.samples.voyage`), ``vessels.json`` the metadata only the
platform knows about them (the second vessel's transducer depth).
"""

from __future__ import annotations

import json
from pathlib import Path

SAMPLES = Path(__file__).parent
VOYAGE_NMEA = SAMPLES / "voyage.nmea"
SECOND_VESSEL_NMEA = SAMPLES / "second-wind.nmea"
VESSELS_JSON = SAMPLES / "vessels.json"
SECOND_VESSEL = "urn:mrn:imo:mmsi:235000077"


def load_sample(db) -> dict[str, int]:
    """Store the whole sample (both vessels' logs at their own times, and their metadata).

    Returns observations stored per vessel. Safe to run twice: the ingest resumes from its
    checkpoints instead of storing the logs again.
    """
    from isomer_data.ingest.pipeline import ingest_log
    from isomer_data.store.vessels import set_vessel

    for vessel, fields in json.loads(VESSELS_JSON.read_text()).items():
        set_vessel(db, vessel, **fields)
    stored = {}
    for vessel, path in (("self", VOYAGE_NMEA), (SECOND_VESSEL, SECOND_VESSEL_NMEA)):
        stored[vessel] = ingest_log(db, path, vessel=vessel).observations
    return stored
