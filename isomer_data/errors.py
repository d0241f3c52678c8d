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
                40201,
                "The message is not valid JSON",
                "Send one JSON document (RFC 8259); NaN and Infinity are not JSON, write null "
                "or leave the field out.",
            ),
            ErrorSpec(
                40202,
                "The JSON is nested too deeply",
                "Messages and request bodies may nest at most 64 levels of arrays and objects.",
            ),
            ErrorSpec(
                40203,
                "The request body is too large",
                "REST bodies for objects are limited to 1 MiB; hub messages to ws_max_message.",
            ),
            ErrorSpec(
                40210,
                "A field name contains '.' or begins with '$'",
                "Name fields as the schema does; to change a nested field send the whole "
                "nested object, to remove a field send it with null.",
            ),
            ErrorSpec(
                40211,
                "A number is not finite",
                "NaN and Infinity cannot be stored; send a number (or leave the field out).",
            ),
            ErrorSpec(
                40212,
                "The object is too large",
                "Objects are limited to 256 KiB of JSON; keep large data in files or the "
                "data store and refer to it.",
            ),
            ErrorSpec(
                40213,
                "The object is nested too deeply",
                "Objects may nest at most 16 levels of arrays and objects.",
            ),
            ErrorSpec(
                40214,
                "An integer is out of range",
                "Integers in objects must fit in 64 bits (|n| < 2**63).",
            ),
            ErrorSpec(
                40220,
                "Only an admin may set this field",
                "Ask an admin: roles, disabled, user names, passwords and permissions of users "
                "are theirs to change.",
            ),
            ErrorSpec(
                40221,
                "This field is set by the server",
                "Leave it out: uuid, owner, created, modified (and fields marked readOnly in "
                "the schema) are the server's.",
            ),
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
                50026,
                "This instance is already running",
                "One platform runs per instance: use the running one (its URL is in the "
                "message), stop it first, or launch another instance with --instance NAME.",
            ),
            ErrorSpec(
                70201,
                "The selection holds soundings of several vessels",
                "A CSB file describes one vessel: choose it with --vessel (the message lists them).",
            ),
            ErrorSpec(
                70202,
                "No soundings to export",
                "Widen --bbox, --start/--end or --vessel, or ingest a log with depths first "
                "(isomer ingest FILE).",
            ),
            ErrorSpec(
                70203,
                "The output file cannot be written",
                "Check that the folder exists and that you may write there, and the free disk "
                "space.",
            ),
            ErrorSpec(
                70204,
                "The output format is unclear",
                "Name the file with the format's suffix (.json, .geojson, .csv) or give --format, "
                "and do not give a --format that contradicts the suffix.",
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
                70001,
                "That user already exists",
                "Choose another --username, or change the existing user with: isomer db user "
                "passwd --username NAME",
            ),
            ErrorSpec(
                50200,
                "No such module",
                "List the installed modules with: isomer module list",
            ),
            ErrorSpec(
                50201,
                "The module configuration is invalid",
                "Each problem names its field; isomer module info NAME lists the fields and "
                "their types.",
            ),
            ErrorSpec(
                50202,
                "The module could not be loaded",
                "Its error says why (a missing dependency, a platform version it does not "
                "support): fix or uninstall it; isomer launch --safe-mode starts without it.",
            ),
            ErrorSpec(
                50203,
                "The module has no command-line verbs",
                "See isomer module info NAME and the module's own documentation.",
            ),
            ErrorSpec(
                50205,
                "This module cannot be disabled",
                "The Modules panel is how modules are turned on again; disable other modules.",
            ),
            ErrorSpec(
                50204,
                "The module could not be installed",
                "pip's last line says why; check the path or name, and that the package "
                "builds (pip install PATH shows everything).",
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
