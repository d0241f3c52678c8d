"""The discovery metadata (ACDD-1.3) every file the platform writes shares.

Kept free of heavy imports (like units.py for the variables): the client and the depth
map both build their attributes here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from isomer_data import __version__

CONVENTIONS = "CF-1.8, ACDD-1.3"
# The standard-name table the names we write were checked against, and the one the IOOS
# compliance-checker ships: checking a file never needs to download another table.
STANDARD_NAME_VOCABULARY = "CF Standard Name Table v93"
LICENSE = "ODbL-1.0"
ACKNOWLEDGEMENT = (
    "Data contributed by the crews of the vessels that logged it, collected and processed "
    "with Isomer Data (open source)."
)


def common_attributes(what: str) -> dict:
    """Global attributes of a new file: identity, provenance, licence, who made it.

    ``what`` completes the history line (``"gridded"``, ``"exported"``).
    """
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Conventions": CONVENTIONS,
        "id": str(uuid.uuid4()),
        "naming_authority": "org.isomer-data",
        "history": f"{now} {what} by isomer_data {__version__}",
        "date_created": now,
        "creator_name": "Isomer Data",
        "creator_type": "institution",
        "creator_url": "https://github.com/isomeric/isomer-data",
        "institution": "Isomer Data contributors",
        "project": "Isomer Data",
        "publisher_name": "Isomer Data",
        "publisher_type": "institution",
        "publisher_url": "https://github.com/isomeric/isomer-data",
        "license": LICENSE,
        "standard_name_vocabulary": STANDARD_NAME_VOCABULARY,
        "acknowledgement": ACKNOWLEDGEMENT,
    }
