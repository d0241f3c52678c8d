"""Small generated data sets shipped with the package, for tests, docs and first runs."""

from pathlib import Path

SAMPLES = Path(__file__).parent
VOYAGE_NMEA = SAMPLES / "voyage.nmea"
