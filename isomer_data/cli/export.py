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


def register_export(export) -> None:
    obs = export.add_parser("observations", help="observations, one a line (JSONL or CSV)")
    obs.add_argument("--path", action="append", help="Signal K path, * wildcards (repeatable)")
    obs.add_argument("--vessel", action="append", help="vessel context (repeatable)")
    obs.add_argument("--start", help="ISO 8601 time (UTC if no zone)")
    obs.add_argument("--end", help="ISO 8601 time (UTC if no zone)")
    obs.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl")
    obs.add_argument("-o", "--output", required=True, help="output file, - for stdout")
    add_config_options(obs)
    obs.set_defaults(func=export_observations)

    snd = export.add_parser("soundings", help="depth soundings as CSV")
    snd.add_argument("--bbox", help="W,S,E,N in degrees")
    snd.add_argument("--vessel", action="append")
    snd.add_argument("--start")
    snd.add_argument("--end")
    snd.add_argument("--format", choices=("csv", "geojson", "gpkg"), default="csv")
    snd.add_argument("-o", "--output", required=True)
    add_config_options(snd)
    snd.set_defaults(func=export_soundings)

    trk = export.add_parser("tracks", help="tracks per vessel and UTC day (GeoJSON or GeoPackage)")
    trk.add_argument("--vessel", action="append")
    trk.add_argument("--start")
    trk.add_argument("--end")
    trk.add_argument("--format", choices=("geojson", "gpkg"), default="gpkg")
    trk.add_argument("-o", "--output", required=True)
    add_config_options(trk)
    trk.set_defaults(func=export_tracks)


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
    from isomer_data.database import open_database
    from isomer_data.store.observations import query_observations

    with open_database(config_from_args(args)) as database:
        frame = query_observations(
            database.db, paths=args.path, vessels=args.vessel, start=args.start, end=args.end
        )
    if args.format == "parquet":
        from isomer_data.export.tabular import observations_to_parquet

        observations_to_parquet(frame, args.output)
        print(f"{len(frame)} observations written to {args.output}", file=sys.stderr)
        return 0
    out = _open(args.output)
    try:
        rows = progress(
            zip(frame["time"], frame["vessel"], frame["path"], frame["value"], strict=True),
            len(frame),
            f"export {args.output}",
        )
        if args.format == "jsonl":
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
    print(f"{len(frame)} observations written to {args.output}", file=sys.stderr)
    return 0


def export_soundings(args) -> int:
    from isomer_data.database import open_database
    from isomer_data.store.soundings import query_soundings

    bbox = [float(x) for x in args.bbox.split(",")] if args.bbox else None
    with open_database(config_from_args(args)) as database:
        frame = query_soundings(
            database.db, bbox=bbox, start=args.start, end=args.end, vessels=args.vessel
        )
    if args.format != "csv":
        from isomer_data.export.vector import to_geojson, to_geopackage

        (to_geojson if args.format == "geojson" else to_geopackage)(frame, args.output)
        print(f"{len(frame)} soundings written to {args.output}", file=sys.stderr)
        return 0
    out = _open(args.output)
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
    print(f"{len(frame)} soundings written to {args.output}", file=sys.stderr)
    return 0


def export_tracks(args) -> int:
    from isomer_data.database import open_database
    from isomer_data.export.vector import to_geojson, to_geopackage
    from isomer_data.store.observations import query_observations
    from isomer_data.tracks import tracks_from_positions

    with open_database(config_from_args(args)) as database:
        positions = query_observations(
            database.db, "navigation.position", vessels=args.vessel, start=args.start, end=args.end
        )
    tracks = tracks_from_positions(positions)
    for column in ("start", "end"):
        tracks[column] = tracks[column].map(iso)
    if args.format == "geojson":
        to_geojson(tracks, args.output)
    else:
        to_geopackage(tracks, args.output, layer="tracks")
    print(f"{len(tracks)} tracks written to {args.output}", file=sys.stderr)
    return 0
