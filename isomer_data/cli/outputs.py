"""Output files of ``isomer export``: the format from the suffix, and a writable place.

Checked before any query runs, so a typo costs nothing and says what to do: the suffix
chooses the format when ``--format`` is absent (``-o track.gpkg`` writes GeoPackage), a
suffix that names another format than ``--format`` is an error, and a missing folder or a
read-only place is a numbered error instead of an ``OSError`` traceback after the work.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from isomer_data.core.errors import IsomerError

# Every format an export writes and the suffixes that name it.
SUFFIXES = {
    "jsonl": (".jsonl", ".ndjson", ".json"),
    "csv": (".csv",),
    "parquet": (".parquet", ".pq"),
    "netcdf": (".nc", ".nc4", ".netcdf"),
    "geotiff": (".tif", ".tiff"),
    "cog": (".tif", ".tiff"),
    "geojson": (".geojson",),
    "gpkg": (".gpkg",),
}
KNOWN = {suffix for suffixes in SUFFIXES.values() for suffix in suffixes}


def output_format(path: str, given: str | None, formats: tuple[str, ...], default: str) -> str:
    """The format to write ``path`` in.

    Parameters
    ----------
    path : the ``-o`` argument (``-`` is standard output)
    given : the ``--format`` argument, or None
    formats : what this command writes, its default first among equals
    default : the format when neither ``--format`` nor a known suffix says

    Raises
    ------
    IsomerError
        70104 when the suffix names a format other than ``--format``, or one this command
        cannot write.
    """
    suffix = "" if path == "-" else Path(path).suffix.lower()
    if suffix not in KNOWN:
        return given or default
    named = [f for f in formats if suffix in SUFFIXES[f]]
    if given is not None:
        if given in named:
            return given
        raise IsomerError(70104, f"-o {path} with --format {given}")
    if not named:
        raise IsomerError(70104, f"-o {path}: this export writes {', '.join(formats)}")
    return default if default in named else named[0]


def check_writable(path: str) -> None:
    """Fail early, with 70103, when ``path`` cannot be created or replaced."""
    if path == "-":
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise IsomerError(70103, f"{path}: the folder {folder} does not exist")
    if target.is_dir():
        raise IsomerError(70103, f"{path} is a folder")
    if target.exists() and not os.access(target, os.W_OK):
        raise IsomerError(70103, f"{path}: no permission to replace it")
    if not target.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise IsomerError(70103, f"{path}: no permission to write in {folder}")


@contextmanager
def writing(path: str):
    """Turn an ``OSError`` while writing ``path`` (disk full, permissions) into 70103."""
    try:
        yield
    except OSError as exc:
        raise IsomerError(70103, f"{path}: {exc.strerror or exc}") from None
