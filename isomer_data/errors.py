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
                40401,
                "The embedded database refused the platform's credentials",
                "Another program changed the database's users: stop every isomer process of this "
                "instance, delete <instance>/embedded-db.secret and launch again (the platform then "
                "sets a new login); the database log is named in the message.",
            ),
            ErrorSpec(
                50101,
                "No such instance",
                "List the instances with: isomer instance list (or create one with: isomer "
                "instance create NAME); check --home / ISOMER_HOME.",
            ),
            ErrorSpec(
                50102,
                "That instance already exists",
                "Choose another name, or look at the existing one with: isomer instance info NAME",
            ),
            ErrorSpec(
                50103,
                "The instance is in use",
                "Its platform (or a command using its embedded database) runs, as the message "
                "says: stop it first, then try again.",
            ),
            ErrorSpec(
                50104,
                "Not confirmed",
                "Nothing was changed. Answer the question on a terminal, or pass --yes when you "
                "are sure (scripts have no terminal to ask on).",
            ),
            ErrorSpec(
                50110,
                "Unknown configuration key",
                "List the keys with: isomer config show (instance and home are chosen with "
                "--instance and --home, not stored in the instance's file).",
            ),
            ErrorSpec(
                50111,
                "Invalid configuration value",
                "Give a value of the key's type (integer, true/false, text, comma-separated list) "
                "within its allowed range, as the message says; see docs/configuration.md.",
            ),
            ErrorSpec(
                50113,
                "The instance's configuration file is invalid",
                "Correct or remove the key named in the message (isomer config unset KEY), or fix "
                "the JSON of the file named in the message.",
            ),
            ErrorSpec(
                50120,
                "The backup file cannot be read",
                "Check the path; a backup is a .isomer-backup.zip written by isomer backup create "
                "(list them with: isomer backup list).",
            ),
            ErrorSpec(
                50121,
                "The backup is damaged or was altered",
                "A checksum or the manifest does not match: do not restore it; use another backup "
                "(isomer backup list) and check the medium it was stored on.",
            ),
            ErrorSpec(
                50122,
                "The backup was written by a newer version",
                "Restore it with the Isomer Data version named in the message or a newer one.",
            ),
            ErrorSpec(
                50123,
                "The target database is not empty",
                "Restore into a new instance (the default, or --instance NEW), or pass --force to "
                "replace every collection of the target database with the backup's.",
            ),
            ErrorSpec(
                50124,
                "The backup cannot be written",
                "Choose another -o FILE (an existing file is never overwritten) and check the "
                "folder is writable and the disk has room.",
            ),
            ErrorSpec(
                50400,
                "The shore refused the vessel's token",
                "Issue the boat a token of a user with the vessel role on the shore (isomer db user …) and pass it with --token / sync_token; a revoked or crew/scientist token cannot submit batches.",
            ),
            ErrorSpec(
                50401,
                "The shore cannot be reached",
                "Check --to / sync_to (http(s)://HOST:PORT of the shore's isomer launch) and the link; the sender retries with backoff and resumes where the shore last acknowledged.",
            ),
            ErrorSpec(
                50402,
                "A sync batch needs its name and codec",
                "Send the batch's SHA-256 in X-Isomer-Sync-Batch (64 hex digits) and zlib or zstd in X-Isomer-Sync-Codec, with a Content-Length.",
            ),
            ErrorSpec(
                50403,
                "The sync batch is malformed",
                "The batch does not decompress, is not BSON, or its after/to/items are not the documented shape (docs/sync.md); it was not applied.",
            ),
            ErrorSpec(
                50404,
                "The sync batch is too large",
                "Batches are limited to 4 MiB on the wire, 32 MiB decompressed and 5000 items; the sender cuts smaller batches (sync batch limits).",
            ),
            ErrorSpec(
                50405,
                "The sync batch does not match its name",
                "The batch changed on the way (or was cut wrongly); the sender sends it again.",
            ),
            ErrorSpec(
                50406,
                "Unknown sync batch format",
                "Update the boat's or the shore's Isomer Data so both speak the same batch format.",
            ),
            ErrorSpec(
                50407,
                "Unknown sync codec",
                "Send zlib (always understood) or zstd (when the shore has the zstandard package).",
            ),
            ErrorSpec(
                50408,
                "This collection does not sync",
                "Only observations, tracks, soundings, vessels, logbook and waypoints travel; the item was refused and counted, the rest of its batch kept.",
            ),
            ErrorSpec(
                50409,
                "A synced document needs a usable _id",
                "An _id is a string of at most 512 characters, an integer or an ObjectId; the item was refused and counted.",
            ),
            ErrorSpec(
                50410,
                "A synced document has a field name MongoDB would misread",
                "Field names may not be empty, begin with $, contain a dot or NUL, or nest deeper than 16 levels; the item was refused and counted.",
            ),
            ErrorSpec(
                50411,
                "The sync batch starts past what the shore holds",
                "The shore answers with the position it holds; the sender goes back there and sends from it (this happens after the boat's database was restored from an older backup).",
            ),
            ErrorSpec(
                50412,
                "The sync window or bandwidth setting is invalid",
                "sync_window is HH:MM-HH:MM in UTC (e.g. 22:00-06:00); sync_bandwidth is bytes per second, 0 for no cap.",
            ),
            ErrorSpec(
                50413,
                "Another batch of this vessel is being applied",
                "One batch per vessel at a time: the sender waits and sends it again (it does "
                "so by itself, with backoff).",
            ),
            ErrorSpec(
                50414,
                "The shore's database refused a synced document",
                "Usually a geometry its 2dsphere index cannot take; the item was refused and "
                "counted, the rest of its batch kept. Fix the document on the boat (writing it "
                "again sends it again).",
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
