"""The numbered error table: the one place where error codes live.

Codes follow the original Isomer tool (``50020: No database is available``) so that people
who search for a number find the same meaning. Exit statuses above 255 are truncated by the
OS, so commands print the numbered code in the message and exit with a small status.
``python -m isomer_data.core.errors`` prints the table as Markdown for ``docs/errors/``.
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
                40230,
                "Invalid applicationData address",
                "Address it as /signalk/v1/applicationData/{user|global}/APPID/VERSION[/PATH]: "
                "APPID letters, digits, '.', '_', '-' (under 30), VERSION like 1.0.0.",
            ),
            ErrorSpec(
                40231,
                "applicationData too large",
                "A document holds at most 512 KiB of JSON nested at most 32 levels, and each user "
                "(and the global scope) at most 100 documents: store less, or drop old versions.",
            ),
            ErrorSpec(
                40232,
                "The JSON Patch cannot be applied",
                "Send an array of RFC 6902 operations whose paths exist (test, replace, remove "
                "need the value there); nothing was changed.",
            ),
            ErrorSpec(
                40233,
                "applicationData may not be written with this login",
                "Global applicationData is written by admins; a user's own by crew, scientists "
                "and admins (Signal K readwrite). Vessel logins read only.",
            ),
            ErrorSpec(
                40240,
                "A Signal K resource is not valid",
                "Send the resource as Signal K's resources API describes it: a waypoint is "
                "{name, description, type, feature: a GeoJSON Point}; routes, regions and notes "
                "follow schemas/route.json, region.json and note.json.",
            ),
            ErrorSpec(
                40241,
                "A resource query parameter is not valid",
                "limit is a number ≥ 1, bbox [west, south, east, north] in degrees, position "
                "[longitude, latitude] together with distance (100 m or more), radius "
                "'longitude,latitude,metres'.",
            ),
            ErrorSpec(
                40242,
                "The href does not name a resource of this server",
                "Use /resources/TYPE/ID of an existing route or waypoint you may read (as "
                "listed by /signalk/v2/api/resources/TYPE).",
            ),
            ErrorSpec(
                40243,
                "A resource id is not a UUID v4",
                "Name new resources with a UUID v4 (8-4-4-4-12 hex digits), or POST them and "
                "let the server choose the id.",
            ),
            ErrorSpec(
                40244,
                "The boat's position is not known",
                "Setting a course needs the boat's own position (navigation.position): wait "
                "for a GPS fix, or check the position source.",
            ),
            ErrorSpec(
                40245,
                "A course value is not valid",
                "A destination is {href} of a waypoint or {position: {latitude, longitude}}; "
                "arrivalCircle is 0 to 100,000 m; targetArrivalTime an ISO 8601 time or null.",
            ),
            ErrorSpec(
                40246,
                "There is no route to follow",
                "Activate a route ({href: /resources/routes/ID}) with at least one point before "
                "stepping along it; set a destination before restarting the course.",
            ),
            ErrorSpec(
                40247,
                "The notification cannot take this action",
                "Check the notification's id (GET /signalk/v2/api/notifications) and its status "
                "(canSilence, canAcknowledge, canClear): emergencies are not silenced, what a "
                "source raised only it clears.",
            ),
            ErrorSpec(
                40248,
                "A notification is not valid",
                "state is one of normal, nominal, alert, warn, alarm, emergency; message text "
                "of at most 1000 characters; path dot-separated names.",
            ),
            ErrorSpec(
                40249,
                "A PUT request is not valid",
                'PUT {"value": …} to /signalk/v1/api/vessels/self/PATH, or send {context, '
                "requestId?, put: {path, value}} on the stream; requestIds are 1–64 letters, "
                "digits, _ or -, not in use.",
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
                70311,
                "Not every current value was sent when the subscription started",
                "A subscription starts with at most ws_cached_values current values (and half "
                "of the client's queue, ws_queue and ws_queue_bytes), the own vessel's first; "
                "the others arrive when they next change. Subscribe to fewer paths or vessels, "
                "or raise ws_cached_values.",
            ),
            ErrorSpec(
                70321,
                "Values under resources.* cannot be published",
                "Routes, waypoints, notes and regions are objects with their own permissions: "
                "create and change them through /signalk/v2/api/resources or objects/put. A "
                "delta's other values are kept.",
            ),
            ErrorSpec(
                70322,
                "The live state holds as many vessels as it may",
                "At most live_max_contexts vessels (contexts) are held; values of a new one are "
                "refused, the known ones keep updating. Raise live_max_contexts if a real fleet "
                "needs more.",
            ),
            ErrorSpec(
                70323,
                "This vessel has as many paths as it may",
                "At most live_max_paths paths per vessel are held; new path names are refused, "
                "the known ones keep updating. Check the publisher for paths it invents (an id "
                "or a time in the name), or raise live_max_paths.",
            ),
            ErrorSpec(
                70324,
                "The live state holds as many values as it may",
                "At most live_max_values values (paths of all vessels together) are held; new "
                "ones are refused, the known ones keep updating. Raise live_max_values.",
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
                50300,
                "The new version could not be installed",
                "The installer's last lines are in the message: give a wheel file (--to PATH) or a "
                "folder of wheels (--wheelhouse) that holds the version and its dependencies; "
                "nothing was switched and the running version is untouched.",
            ),
            ErrorSpec(
                50301,
                "The new version does not start",
                "The installed build fails before it runs (an import error or a missing "
                "dependency, shown in the message); the running version is untouched. Use "
                "another build.",
            ),
            ErrorSpec(
                50302,
                "The new version's data migrations failed on the copy",
                "The step and its error are in the message; the live data and the running version "
                "are untouched. Report it with the message; use another build.",
            ),
            ErrorSpec(
                50303,
                "The new version failed its health check",
                "It did not become healthy, or its self-test (ingest, hub, query) failed on the "
                "copy of the data, as the message says (its log is named there); the running "
                "version is untouched.",
            ),
            ErrorSpec(
                50304,
                "No version to upgrade to",
                "Give --to with a wheel file, or --to VERSION with --wheelhouse FOLDER holding "
                "that version's wheel (upgrades are offline: nothing is downloaded).",
            ),
            ErrorSpec(
                50305,
                "Another upgrade or rollback of this instance is in progress",
                "Wait for it to finish (the process is named in the message) and try again.",
            ),
            ErrorSpec(
                50306,
                "There is nothing to roll back to",
                "A rollback returns to the environment and data snapshot of the last upgrade; "
                "see isomer upgrade --status. Restore an older backup with isomer backup restore.",
            ),
            ErrorSpec(
                50307,
                "The switched platform did not come up; the previous version was put back",
                "The new version passed on the copy but not on the live data, as the message "
                "says; the previous environment, its data and (if it ran) the platform were "
                "restored. Keep the message and the log it names.",
            ),
            ErrorSpec(
                50308,
                "Blue/green upgrades need the embedded database",
                "For an instance on a MongoDB server, take a backup (isomer backup create), stop "
                "the platform, install the new version and launch it; see docs/upgrades.md.",
            ),
            ErrorSpec(
                50309,
                "The running platform did not stop",
                "Nothing was switched. Stop it yourself (systemctl stop, or Ctrl-C where it runs) "
                "and run the command again.",
            ),
            ErrorSpec(
                50310,
                "A data migration step failed",
                "The database stays at the last step that ran (isomer migrate --status); restore "
                "the backup taken before the upgrade if the data must go back.",
            ),
            ErrorSpec(
                50311,
                "The migration steps are not numbered 1, 2, 3...",
                "This build is broken: each step in isomer_data/migrations is mNNNN_name.py with "
                "consecutive numbers. Use another build.",
            ),
            ErrorSpec(
                50312,
                "The database was migrated by a newer version",
                "Run the newer version (isomer upgrade) or return to its snapshot with isomer "
                "rollback; an older version must not write data it does not understand.",
            ),
            ErrorSpec(
                50313,
                "The upgrade state of the instance is damaged",
                "The file named in the message is not what isomer upgrade wrote: check it, or "
                "move it away to start over from the installation that runs the command.",
            ),
            ErrorSpec(
                50314,
                "The data snapshot for the upgrade could not be written",
                "Nothing was switched and the old version was started again. Free disk space "
                "(the snapshot is a copy of the database folder; isomer system check shows the "
                "free space) and upgrade again.",
            ),
            ErrorSpec(
                50330,
                "The systemd unit cannot be installed here",
                "Not permitted to write to /etc/systemd/system (run as root), or systemd is absent; "
                "the unit was written where the message says: copy it there yourself.",
            ),
            ErrorSpec(
                50331,
                "The TLS files cannot be written",
                "Check the folder named in the message is writable; existing server files are kept "
                "unless --force (the certificate authority is always kept).",
            ),
            ErrorSpec(
                50332,
                "The cryptography package is not installed",
                "Install it into the platform's environment (pip install cryptography); it makes "
                "the local certificate authority and the server certificate.",
            ),
            ErrorSpec(
                50333,
                "Invalid TLS host name or address",
                "Give --name as a host name (letters, digits, -, .) or an IP address the tablets "
                "use to reach the boat's computer.",
            ),
            ErrorSpec(
                50340,
                "Little free disk space",
                "Free space where the instance keeps its data (old backups, logs, datasets), or "
                "move the instance to a larger disk; the database stops writing when it is full.",
            ),
            ErrorSpec(
                50341,
                "The clock is not set",
                "The computer's clock is before this version was built: set it (date -s, or a GPS "
                "time source such as gpsd with chrony) or every observation gets a wrong time.",
            ),
            ErrorSpec(
                50342,
                "The clock is not synchronised",
                "The kernel reports no time synchronisation: run chrony or systemd-timesyncd, with "
                "GPS as a source offshore (gpsd + chrony refclock).",
            ),
            ErrorSpec(
                50343,
                "A serial device cannot be read by the service user",
                "Add the user to the device's group (usually dialout: usermod -aG dialout USER), or "
                "fix the device's permissions with a udev rule; check the device exists.",
            ),
            ErrorSpec(
                50344,
                "The platform's port is in use by another program",
                "Stop that program or choose another port: isomer config set port N.",
            ),
            ErrorSpec(
                50345,
                "The instance folder's permissions are unsafe or wrong",
                "The folder holds the database login and every user's data: chown it to the "
                "service user and chmod 700 it, as the message says.",
            ),
            ErrorSpec(
                50346,
                "The service user does not exist",
                "Create it (useradd --system --groups dialout isomer) or give another --user.",
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
                50620,
                "A packed array in a synced document is malformed",
                "Format 2 batches carry float lists as binary of subtype 0x80, a whole number of "
                "8-byte floats; this one is not. The item was refused and counted, the rest of "
                "its batch kept: the boat's sender is not this platform's (or is damaged).",
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
                60201,
                "The NMEA 2000 source URL is not valid",
                "Name the CAN interface or the gateway's address: can://can0 (SocketCAN), "
                "can://virtual/CHANNEL (python-can's virtual bus), ydraw+tcp://HOST:PORT, "
                "actisense+udp://HOST:PORT (formats ydraw, actisense, canboat, candump over "
                "tcp or udp).",
            ),
            ErrorSpec(
                50030,
                "Invalid configuration",
                "Correct the option or ISOMER_* environment variable named in the message.",
            ),
            ErrorSpec(
                50740,
                "The chart pack could not be read",
                "isomer ingest takes MBTiles (SQLite with tiles and metadata tables) and "
                "PMTiles version 3 files: the file is neither, or is corrupt or truncated. "
                "Fetch it again; nothing was registered.",
            ),
            ErrorSpec(
                50741,
                "The chart pack's tile format is not supported",
                "Chart packs hold png, jpg, webp, avif or pbf (vector) tiles, named in the "
                "MBTiles metadata 'format' or the PMTiles header: convert the pack or set it.",
            ),
            ErrorSpec(
                50742,
                "The world basemap could not be built",
                "It is made from the npm package world-atlas at setup: run scripts/install "
                "again (it needs npm), then restart the platform.",
            ),
            ErrorSpec(
                50744,
                "The tile is outside the map's grid",
                "Tiles are z/x/y with z from 0 to 24 and x, y from 0 to 2**z - 1 (web "
                "mercator, y from the north).",
            ),
            ErrorSpec(
                50745,
                "No such chart",
                "List the charts with GET /signalk/v2/api/resources/charts; add one with "
                "isomer ingest FILE (S-57, GeoTIFF, MBTiles, PMTiles).",
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
                40101,
                "Not a valid user name",
                "User names are 1 to 64 letters (A-Z, a-z), digits and . _ @ - (the same rule as "
                "the user form in the panels, from schemas/user.json).",
            ),
            ErrorSpec(
                40102,
                "The password was given twice",
                "Give it one way only: --password-stdin, the ISOMER_PASSWORD variable, or the "
                "prompt on a terminal.",
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
                50700,
                "The npm package is not a Signal K web app",
                "Web apps are npm packages with the keyword signalk-webapp or "
                "signalk-embeddable-webapp and a public/ folder (npm view NAME keywords); it was "
                "not kept. Python modules are installed with: isomer module install",
            ),
            ErrorSpec(
                50701,
                "npm could not install or remove the web app",
                "Check the name and version (isomer module add-webapp "
                "@signalk/freeboard-sk@2.24.2) and the connection to the npm registry, or give a "
                ".tgz made by npm pack; npm's last message is shown.",
            ),
            ErrorSpec(
                50702,
                "npm is not installed",
                "Install Node.js with npm (apt-get install npm): it is needed to add web apps, "
                "never to run them.",
            ),
            ErrorSpec(
                50703,
                "No such web app added to this instance",
                "See them with: isomer module list. The platform's own web apps (Freeboard-SK, "
                "the instrument panel) are not removed but disabled: isomer module disable NAME",
            ),
            ErrorSpec(
                50704,
                "Not an npm package name",
                "Give NAME or NAME@VERSION as npm does (@signalk/freeboard-sk@2.24.2), or the "
                "path of a .tgz file.",
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


class DomainError(Exception):
    """A request that cannot be carried out, in words the caller can act on.

    Raised by managers and services (objects, users, live data, access requests); each
    transport translates it: the hub replies ``{"error": {code, message, details?}}`` to
    that client only, REST answers ``HTTP_STATUS[code]`` with the same JSON. ``code`` is a
    short machine word (``forbidden``, ``invalid``…), ``message`` is for people and starts
    with the numbered code of :data:`ERRORS` where there is one.
    """

    def __init__(self, code: str, message: str, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def to_json(self) -> dict:
        out = {"code": self.code, "message": self.message}
        if self.details is not None:
            out["details"] = self.details
        return out


# The HTTP status each domain error code gets over REST (anything else: 400).
HTTP_STATUS = {
    "bad_request": 400,
    "bad_json": 400,
    "invalid": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown": 404,
    "unknown_schema": 404,
    "conflict": 409,
    "exists": 409,
    "too_large": 413,
    "throttled": 429,
    "flood": 429,
    "internal": 500,
    "database_unavailable": 503,
}


def database_error(exc: Exception) -> DomainError:
    """The database went away, or refused the request: say which, with the numbered error.

    Only a database that does not answer is ``database_unavailable`` (50020). A request
    the server answered with a refusal (a filter value of the wrong type, say) is the
    caller's to fix: ``invalid``, so nobody waits for a database that is in fact there.
    """
    from pymongo.errors import ExecutionTimeout, OperationFailure, WTimeoutError

    if isinstance(exc, OperationFailure) and not isinstance(exc, ExecutionTimeout | WTimeoutError):
        reason = str(getattr(exc, "details", None) and exc.details.get("errmsg") or exc)
        return DomainError("invalid", f"the database refused this request: {reason[:200]}")
    return DomainError(
        "database_unavailable",
        f"50020: the database did not answer ({type(exc).__name__}); nothing was changed, "
        "try again in a moment",
    )


def markdown_table() -> str:
    lines = [
        "# Error codes",
        "",
        "Generated from `isomer_data/core/errors.py` by `python -m isomer_data.core.errors`; "
        "do not edit by hand.",
        "",
        "| code | meaning | remedy |",
        "|---:|---|---|",
    ]
    lines += [f"| {s.code} | {s.title} | {s.remedy} |" for s in ERRORS.values()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown_table())
