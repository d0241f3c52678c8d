"""Where the object schemas live: shared by the schema registry and the user-name rule."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

# The built-in schemas ship inside the package (``isomer_data.schemas``, from ``schemas/``).
SCHEMA_DIR = Path(str(files("isomer_data.schemas")))


def schema_dir() -> Path:
    """The schemas folder: ``ISOMER_SCHEMAS`` if set (development), else the built-in one."""
    return Path(os.environ.get("ISOMER_SCHEMAS", SCHEMA_DIR))
