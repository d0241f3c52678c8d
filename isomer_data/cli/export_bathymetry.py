"""``isomer export bathymetry``: the crowdsourced depth map as NetCDF, GeoTIFF or COG."""

from __future__ import annotations

import sys

from isomer_data.cli.options import add_config_options, config_from_args
from isomer_data.errors import IsomerError

FORMATS = ("netcdf", "geotiff", "cog")


def register_export(export) -> None:
    parser = export.add_parser(
        "bathymetry",
        help="grid the soundings into a depth map",
        description="Grid stored soundings (transducer offsets applied, outliers rejected) "
        "and write the depth map. CRS EPSG:4326, depth positive down.",
    )
    parser.add_argument(
        "--bbox",
        required=True,
        help="W,S,E,N in degrees (write --bbox=-1.3,... when W is negative)",
    )
    parser.add_argument("--resolution", type=float, required=True, help="cell size, degrees")
    parser.add_argument("--format", choices=FORMATS, default="netcdf")
    parser.add_argument("--start", help="only soundings from this time (ISO 8601)")
    parser.add_argument("--end", help="only soundings up to this time (ISO 8601)")
    parser.add_argument("--vessel", action="append", help="only these vessels (repeatable)")
    parser.add_argument("-o", "--output", required=True)
    add_config_options(parser)
    parser.set_defaults(func=run)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(x) for x in text.split(","))
    except ValueError as exc:
        raise IsomerError(50030, f"--bbox {text!r}: expected W,S,E,N numbers") from exc
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise IsomerError(50030, f"--bbox {text!r}: need W < E and S < N within ±180/±90")
    return west, south, east, north


def run(args) -> int:
    from isomer_data.bathymetry import grid_soundings
    from isomer_data.database import open_database
    from isomer_data.export import to_geotiff, to_netcdf
    from isomer_data.store.soundings import query_soundings
    from isomer_data.store.vessels import vessel_offsets

    bbox = parse_bbox(args.bbox)
    if args.resolution <= 0:
        raise IsomerError(50030, "--resolution must be positive")
    with open_database(config_from_args(args)) as database:
        soundings = query_soundings(
            database.db, bbox=bbox, start=args.start, end=args.end, vessels=args.vessel
        )
        vessels = vessel_offsets(database.db)
    ds = grid_soundings(soundings, bbox, args.resolution, vessels=vessels)
    if args.format == "netcdf":
        to_netcdf(ds, args.output)
    else:
        to_geotiff(ds, args.output, cog=args.format == "cog")
    cells = int((ds["count"] > 0).sum())
    print(
        f"{len(soundings)} soundings → {cells} cells of {ds.sizes['lon']}×{ds.sizes['lat']} "
        f"({ds.attrs['soundings_rejected_outliers']} outliers rejected) → {args.output}",
        file=sys.stderr,
    )
    return 0
