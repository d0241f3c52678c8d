"""``isomer export``: what is stored, in files anyone can check.

Sub-commands are modules in ``EXPORT_COMMANDS``, each with ``register_export(subparsers)``,
so products (bathymetry grids, tracks) add themselves without touching this file's logic.
"""

from __future__ import annotations

import csv
import importlib
import json
import math
import sys

from isomer_data.cli.options import add_config_options, config_from_args
from isomer_data.cli.outputs import check_writable, output_format, writing
from isomer_data.cli.times import parse_time
from isomer_data.core.errors import IsomerError
from isomer_data.ingest.clock import TIME_SOURCES

EXPORT_COMMANDS = [
    "isomer_data.cli.export",
    "isomer_data.cli.export_bathymetry",
    "isomer_data.cli.export_csb",
]


def register(subparsers) -> None:
    parser = subparsers.add_parser("export", help="export stored data to files")
    export = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    for name in EXPORT_COMMANDS:
        importlib.import_module(name).register_export(export)


OBSERVATION_FORMATS = ("jsonl", "csv", "parquet")
SOUNDING_FORMATS = ("csv", "geojson", "gpkg")
TRACK_FORMATS = ("gpkg", "geojson")
ALL = "(default: all)"


def add_selection(parser, what: str, paths: bool = False) -> None:
    """The flags that choose which stored data an export takes."""
    if paths:
        parser.add_argument(
            "--path", action="append", help=f"Signal K path, * wildcards (repeatable) {ALL}"
        )
    parser.add_argument(
        "--vessel",
        action="append",
        help=f"vessel context: self or urn:mrn:imo:mmsi:NNN (repeatable) {ALL}",
    )
    parser.add_argument(
        "--start", help=f"only {what} from this ISO 8601 time, UTC if no zone {ALL}"
    )
    parser.add_argument("--end", help=f"only {what} up to this ISO 8601 time, UTC if no zone {ALL}")


def add_output(parser, formats: tuple[str, ...], default: str) -> None:
    parser.add_argument(
        "--format",
        choices=formats,
        help=f"output format (default: from the suffix of -o, else {default})",
    )
    parser.add_argument(
        "-o", "--output", required=True, help="output file, - for standard output (required)"
    )


def register_export(export) -> None:
    obs = export.add_parser("observations", help="observations, one a line (JSONL, CSV, Parquet)")
    add_selection(obs, "observations", paths=True)
    obs.add_argument(
        "--time-source",
        action="append",
        choices=TIME_SOURCES,
        help=f"only values dated by this rule, e.g. gps (repeatable) {ALL}",
    )
    add_output(obs, OBSERVATION_FORMATS, "jsonl")
    add_config_options(obs)
    obs.set_defaults(func=export_observations)

    snd = export.add_parser("soundings", help="depth soundings (CSV, GeoJSON, GeoPackage)")
    snd.add_argument("--bbox", help=f"W,S,E,N in degrees {ALL}")
    add_selection(snd, "soundings")
    add_output(snd, SOUNDING_FORMATS, "csv")
    add_config_options(snd)
    snd.set_defaults(func=export_soundings)

    trk = export.add_parser("tracks", help="tracks per vessel and UTC day (GeoJSON or GeoPackage)")
    add_selection(trk, "positions")
    add_output(trk, TRACK_FORMATS, "gpkg")
    add_config_options(trk)
    trk.set_defaults(func=export_tracks)


def selection(args) -> tuple[float | None, float | None]:
    """``--start``/``--end`` as POSIX seconds, checked (70101) and in order (70105)."""
    start, end = parse_time(args.start, "--start"), parse_time(args.end, "--end")
    if start is not None and end is not None and start > end:
        raise IsomerError(70105, f"--start {args.start} is after --end {args.end}")
    return start, end


def prepare_output(args, formats: tuple[str, ...], default: str) -> str:
    """The format to write, with the output place checked before any query runs."""
    fmt = output_format(args.output, args.format, formats, default)
    if fmt == "parquet" and args.output == "-":
        raise IsomerError(70104, "-o - with parquet: Parquet needs a file")
    check_writable(args.output)
    return fmt


def nothing_found(what: str, args) -> IsomerError:
    criteria = [
        f"{flag} {value}"
        for flag, value in (
            ("--bbox", getattr(args, "bbox", None)),
            ("--path", getattr(args, "path", None)),
            ("--vessel", args.vessel),
            ("--start", args.start),
            ("--end", args.end),
            ("--time-source", getattr(args, "time_source", None)),
        )
        if value
    ]
    return IsomerError(70106, f"no {what}" + (f" for {' '.join(criteria)}" if criteria else ""))


def iso(ts) -> str:
    """ISO 8601 UTC with a Z and no more digits than the time has."""
    text = ts.isoformat().replace("+00:00", "Z")
    if "." in text:
        head, frac = text[:-1].split(".")
        frac = frac.rstrip("0")
        text = f"{head}.{frac}Z" if frac else f"{head}Z"
    return text


def _value(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def progress(iterable, total: int, desc: str):
    """A progress bar on an interactive terminal; silent in scripts, pipes and CI."""
    if not sys.stderr.isatty() or total < 10_000:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="obs", file=sys.stderr)


def _open(path: str):
    return sys.stdout if path == "-" else open(path, "w", newline="")  # noqa: SIM115


def export_observations(args) -> int:
    start, end = selection(args)
    fmt = prepare_output(args, OBSERVATION_FORMATS, "jsonl")
    # After the checks: a mistyped flag is answered without importing pandas and pymongo.
    from isomer_data.database import open_database
    from isomer_data.store.observations import query_observations

    with open_database(config_from_args(args)) as database:
        frame = query_observations(
            database.db,
            paths=args.path,
            vessels=args.vessel,
            start=start,
            end=end,
            time_source=args.time_source,
        )
    if frame.empty:
        raise nothing_found("observations", args)
    if fmt == "parquet":
        from isomer_data.export.tabular import observations_to_parquet

        with writing(args.output):
            observations_to_parquet(frame, args.output)
        print(f"{len(frame)} observations written to {args.output}", file=sys.stderr)
        return 0
    with writing(args.output):
        _write_observations(frame, args.output, fmt)
    print(f"{len(frame)} observations written to {args.output}", file=sys.stderr)
    return 0


def _write_observations(frame, output: str, fmt: str) -> None:
    out = _open(output)
    try:
        rows = progress(
            zip(frame["time"], frame["vessel"], frame["path"], frame["value"], strict=True),
            len(frame),
            f"export {output}",
        )
        if fmt == "jsonl":
            for t, vessel, path, value in rows:
                row = {"time": iso(t), "vessel": vessel, "path": path, "value": _value(value)}
                out.write(json.dumps(row) + "\n")
        else:
            writer = csv.writer(out)
            writer.writerow(["time", "vessel", "path", "value"])
            for t, vessel, path, value in rows:
                value = _value(value)
                text = json.dumps(value) if isinstance(value, dict | list) else value
                writer.writerow([iso(t), vessel, path, "" if text is None else text])
    finally:
        if out is not sys.stdout:
            out.close()


def export_soundings(args) -> int:
    from isomer_data.cli.export_bathymetry import parse_bbox
    from isomer_data.database import open_database
    from isomer_data.store.soundings import query_soundings

    bbox = list(parse_bbox(args.bbox)) if args.bbox else None
    start, end = selection(args)
    fmt = prepare_output(args, SOUNDING_FORMATS, "csv")
    with open_database(config_from_args(args)) as database:
        frame = query_soundings(database.db, bbox=bbox, start=start, end=end, vessels=args.vessel)
    if frame.empty:
        raise nothing_found("soundings", args)
    if fmt != "csv":
        from isomer_data.export.vector import to_geojson, to_geopackage

        with writing(args.output):
            (to_geojson if fmt == "geojson" else to_geopackage)(frame, args.output)
        print(f"{len(frame)} soundings written to {args.output}", file=sys.stderr)
        return 0
    with writing(args.output):
        _write_soundings(frame, args.output)
    print(f"{len(frame)} soundings written to {args.output}", file=sys.stderr)
    return 0


def _write_soundings(frame, output: str) -> None:
    out = _open(output)
    try:
        writer = csv.writer(out)
        writer.writerow(
            ["time", "longitude", "latitude", "depth", "depth_below_transducer", "vessel"]
        )
        for row in frame.itertuples(index=False):
            depth = row.depth_below_surface
            if depth != depth:  # unknown surface offset: the transducer depth is all we have
                depth = row.depth_below_transducer
            writer.writerow(
                [
                    iso(row.time),
                    repr(row.longitude),
                    repr(row.latitude),
                    repr(float(depth)),
                    repr(float(row.depth_below_transducer)),
                    row.vessel,
                ]
            )
    finally:
        if out is not sys.stdout:
            out.close()


def export_tracks(args) -> int:
    from isomer_data.database import open_database
    from isomer_data.export.vector import to_geojson, to_geopackage
    from isomer_data.store.observations import query_observations
    from isomer_data.tracks import tracks_from_positions

    start, end = selection(args)
    fmt = prepare_output(args, TRACK_FORMATS, "gpkg")
    if args.output == "-":
        raise IsomerError(70104, "-o -: tracks are written to a file")
    with open_database(config_from_args(args)) as database:
        positions = query_observations(
            database.db, "navigation.position", vessels=args.vessel, start=start, end=end
        )
    if positions.empty:
        raise nothing_found("positions", args)
    tracks = tracks_from_positions(positions)
    for column in ("start", "end"):
        tracks[column] = tracks[column].map(iso)
    with writing(args.output):
        if fmt == "geojson":
            to_geojson(tracks, args.output)
        else:
            to_geopackage(tracks, args.output, layer="tracks")
    print(f"{len(tracks)} tracks written to {args.output}", file=sys.stderr)
    return 0
