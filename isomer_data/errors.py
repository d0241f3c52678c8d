"""The numbered error table: the one place where error codes live.

Codes follow the original Isomer tool (``50020: No database is available``) so that people
who search for a number find the same meaning. Exit statuses above 255 are truncated by the
OS, so commands print the numbered code in the message and exit with a small status.
``python -m isomer_data.errors`` prints the table as Markdown for ``docs/errors/``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorSpec:
    code: int
    title: str
    remedy: str
    exit_status: int = 2


ERRORS: dict[int, ErrorSpec] = {
    spec.code: spec
    for spec in sorted(
        [
            ErrorSpec(
                50020,
                "No database is available",
                "Start MongoDB or correct the URL given with --db / ISOMER_DB; leave both unset "
                "to run the embedded database.",
            ),
            ErrorSpec(
                50021,
                "The embedded database could not bind its port",
                "Another program uses that port: choose another with --db-port / ISOMER_DB_PORT "
                "or leave it unset so a free port is picked.",
            ),
            ErrorSpec(
                50022,
                "The embedded database's data folder is in use",
                "Another platform or command of the same instance holds it: stop that process, "
                "point this command at it with --db, or use another --instance.",
            ),
            ErrorSpec(
                50023,
                "The embedded database stopped unexpectedly",
                "Read the database log named in the message; check free disk space and memory, "
                "then launch again (the data folder is reopened intact).",
            ),
            ErrorSpec(
                50024,
                "The embedded database is not installed",
                "Install it with: pip install 'isomer-data[embedded]' (it provides secantusd-py).",
            ),
            ErrorSpec(
                50025,
                "The embedded database did not become ready in time",
                "The machine may be overloaded or the disk slow: read the database log named in "
                "the message and launch again.",
            ),
            ErrorSpec(
                50040,
                "The platform cannot be reached",
                "Check the URL given to isomer_data.connect() (http://HOST:PORT of a running "
                "isomer launch) and the network; the platform's /isomer/api/status must answer.",
            ),
            ErrorSpec(
                60001,
                "The ingest source cannot be opened",
                "Check the file path or source URL (serial:///dev/ttyUSB0?baud=4800, "
                "tcp://HOST:PORT, udp://HOST:PORT, file://PATH).",
            ),
            ErrorSpec(
                50030,
                "Invalid configuration",
                "Correct the option or ISOMER_* environment variable named in the message.",
            ),
            ErrorSpec(
                61001,
                "Not a chart or raster file",
                "isomer ingest takes S-57 cells (.000), GeoTIFF, BAG and GRIB files here: check the "
                "path and the file's type (NMEA logs go through the log ingest).",
            ),
            ErrorSpec(
                61002,
                "The S-57 chart cell could not be read",
                "The cell is corrupt, truncated or not S-57: fetch it again from its producer. "
                "Nothing was stored and the previous edition, if any, is unchanged.",
            ),
            ErrorSpec(
                61003,
                "The raster file could not be read",
                "The GeoTIFF, BAG or GRIB file is corrupt or truncated: fetch it again. Nothing was "
                "registered.",
            ),
            ErrorSpec(
                61004,
                "No such dataset in the catalog",
                "Use a name or id shown by isomer_data.catalog.list_datasets(db), or ingest the file "
                "first with: isomer ingest PATH",
            ),
            ErrorSpec(
                61005,
                "A registered dataset's file is missing",
                "The file was moved or deleted after it was registered: ingest it again from where "
                "it is now (the catalog keeps paths, not copies).",
            ),
            ErrorSpec(
                61006,
                "This dataset is a chart, not a grid",
                "Charts are vector layers: read them with isomer_data.catalog.chart_layer(db, LAYER).",
            ),
            ErrorSpec(
                60101,
                "Nothing in the file was recognised",
                "isomer ingest reads NMEA 0183 and AIS logs (plain or gzip; timestamped, TAG block "
                "or Signal K multiplexed lines), S-57 charts and GeoTIFF/BAG/GRIB rasters: check "
                "that the path names such a file. The report printed above shows what was refused.",
            ),
            ErrorSpec(
                60102,
                "--date and --start apply to log files only",
                "Live sources are dated by the time each line arrives; leave --date/--start out.",
            ),
            ErrorSpec(
                70101,
                "Not a time",
                "Write an ISO 8601 time such as 2024-05-01T14:30:00Z or 2024-05-01 (UTC when no "
                "zone is given); words such as 'yesterday' are not read.",
            ),
            ErrorSpec(
                70102,
                "Not a date",
                "Write the date as YYYY-MM-DD, e.g. 2024-05-01 (UTC).",
            ),
            ErrorSpec(
                70103,
                "The output file cannot be written",
                "Create the folder first or choose a path you may write to (-o PATH).",
            ),
            ErrorSpec(
                70104,
                "The output file's suffix does not match --format",
                "Name the file with the format's suffix (.jsonl, .csv, .parquet, .nc, .tif, "
                ".geojson, .gpkg) or leave --format out: the suffix then chooses the format.",
            ),
            ErrorSpec(
                70105,
                "A number is out of range",
                "Use a value within the range named in the message.",
            ),
            ErrorSpec(
                70106,
                "No data in the selection",
                "Nothing stored matches the bounding box, time range, paths, vessels or time "
                "sources given: "
                "widen them, or ingest data first (isomer ingest LOG).",
            ),
            ErrorSpec(
                70107,
                "The grid would be too large",
                "Choose a coarser --resolution or a smaller --bbox; the message says how many "
                "cells were asked for and the limit.",
            ),
            ErrorSpec(
                70108,
                "Unexpected internal error",
                "This is a bug, not something you did: run the command again with -v to see "
                "the details, and report them with the command line.",
                exit_status=3,
            ),
            ErrorSpec(
                70001,
                "That user already exists",
                "Choose another --username, or change the existing user with: isomer db user "
                "passwd --username NAME",
            ),
            ErrorSpec(
                70002,
                "No such user",
                "List the users with: isomer db user list",
            ),
            ErrorSpec(
                70003,
                "A required user detail is missing",
                "Give it as an option (--username, --password); without a terminal nothing can be "
                "asked interactively.",
            ),
            ErrorSpec(
                70004,
                "Unknown role",
                "Roles are admin, crew, scientist and vessel.",
            ),
            ErrorSpec(
                70005,
                "The password is too short",
                "Use at least 8 characters.",
            ),
        ],
        key=lambda spec: spec.code,
    )
}


class IsomerError(Exception):
    """An error a user can act on: a number, what happened, and what to do about it."""

    def __init__(self, code: int, detail: str = ""):
        self.spec = ERRORS[code]
        self.code = code
        self.detail = detail
        super().__init__(str(self))

    @property
    def exit_status(self) -> int:
        return self.spec.exit_status

    def __str__(self) -> str:
        text = f"{self.code}: {self.spec.title}"
        if self.detail:
            text += f" ({self.detail})"
        return f"{text}\n  Remedy: {self.spec.remedy}"


def markdown_table() -> str:
    lines = [
        "# Error codes",
        "",
        "Generated from `isomer_data/errors.py` by `python -m isomer_data.errors`; "
        "do not edit by hand.",
        "",
        "| code | meaning | remedy |",
        "|---:|---|---|",
    ]
    lines += [f"| {s.code} | {s.title} | {s.remedy} |" for s in ERRORS.values()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown_table())
