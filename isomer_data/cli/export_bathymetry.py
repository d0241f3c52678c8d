"""``isomer export bathymetry``: the crowdsourced depth map as NetCDF, GeoTIFF or COG."""

from __future__ import annotations

import sys

from isomer_data.cli.options import add_config_options, config_from_args
from isomer_data.core.errors import IsomerError

FORMATS = ("netcdf", "geotiff", "cog")
# Finer than 1e-6° (≈ 0.1 m) is below any sounder's footprint; coarser than 1° is no map.
MIN_RESOLUTION, MAX_RESOLUTION = 1e-6, 1.0


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
        help="W,S,E,N in degrees (write --bbox=-1.3,... when W is negative) (required)",
    )
    parser.add_argument(
        "--resolution",
        type=float,
        required=True,
        help=f"cell size in degrees, {MIN_RESOLUTION:g} to {MAX_RESOLUTION:g} (required)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: from the suffix of -o, .tif is geotiff, else netcdf)",
    )
    parser.add_argument(
        "--start", help="only soundings from this ISO 8601 time, UTC if no zone (default: all)"
    )
    parser.add_argument(
        "--end", help="only soundings up to this ISO 8601 time, UTC if no zone (default: all)"
    )
    parser.add_argument(
        "--vessel", action="append", help="only these vessels (repeatable) (default: all)"
    )
    parser.add_argument(
        "--apply-bias",
        action="store_true",
        help="remove each vessel's estimated vertical bias before gridding (default: the "
        "biases are only reported)",
    )
    parser.add_argument(
        "--dask-scheduler",
        help="grid on this Dask scheduler (tcp://HOST:8786) (default: the dask_scheduler "
        "setting; none: in this process)",
    )
    parser.add_argument("-o", "--output", required=True, help="output file (required)")
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


def check_resolution(bbox: tuple[float, float, float, float], resolution: float) -> None:
    """Bound the cell size and the number of cells before any memory is taken."""
    if not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:  # also refuses NaN
        raise IsomerError(
            70105, f"--resolution {resolution:g}: {MIN_RESOLUTION:g} to {MAX_RESOLUTION:g} degrees"
        )
    from isomer_data.bathymetry.grid import MAX_CELLS, GridSpec

    cells = GridSpec(*bbox, resolution).size
    if cells > MAX_CELLS:
        raise IsomerError(
            70107,
            f"--resolution {resolution:g} over --bbox asks for {cells:,} cells; "
            f"the limit is {MAX_CELLS:,}",
        )


def run(args) -> int:
    from isomer_data.bathymetry import grid_soundings
    from isomer_data.cli.export import selection
    from isomer_data.cli.outputs import check_writable, output_format, writing
    from isomer_data.database import open_database
    from isomer_data.export import to_geotiff, to_netcdf
    from isomer_data.store.soundings import query_soundings
    from isomer_data.store.vessels import vessel_offsets

    bbox = parse_bbox(args.bbox)
    check_resolution(bbox, args.resolution)
    start, end = selection(args)
    if args.output == "-":
        raise IsomerError(70104, "-o -: depth maps are written to a file")
    fmt = output_format(args.output, args.format, FORMATS, "netcdf")
    check_writable(args.output)
    config = config_from_args(args)
    with open_database(config) as database:
        soundings = query_soundings(
            database.db, bbox=bbox, start=start, end=end, vessels=args.vessel
        )
        vessels = vessel_offsets(database.db)
    if soundings.empty:
        from isomer_data.cli.export import nothing_found

        raise nothing_found("soundings", args)
    scheduler = args.dask_scheduler or config.dask_scheduler
    options = {"vessels": vessels, "apply_bias": args.apply_bias}
    if scheduler:
        from isomer_data.bathymetry.distributed import grid_soundings_dask

        ds = grid_soundings_dask(soundings, bbox, args.resolution, scheduler=scheduler, **options)
    else:
        ds = grid_soundings(soundings, bbox, args.resolution, **options)
    with writing(args.output):
        if fmt == "netcdf":
            to_netcdf(ds, args.output)
        else:
            to_geotiff(ds, args.output, cog=fmt == "cog")
    cells = int((ds["count"] > 0).sum())
    print(
        f"{len(soundings)} soundings → {cells} cells of {ds.sizes['lon']}×{ds.sizes['lat']} "
        f"({ds.attrs['soundings_rejected_outliers']} outliers rejected) → {args.output}",
        file=sys.stderr,
    )
    print_vessel_table(ds)
    return 0


def print_vessel_table(ds) -> None:
    """Each vessel's bias and contribution, as the file holds them."""
    from isomer_data.bathymetry import vessel_table

    table = vessel_table(ds)
    applied = "applied" if ds.attrs.get("vessel_bias_applied") == "yes" else "not applied"
    print(f"vessel bias ({applied}; {ds.attrs['vessel_bias_reference']}):", file=sys.stderr)
    for vessel, row in table.iterrows():
        bias = (
            "unknown (too few shared cells)"
            if row["bias"] != row["bias"]
            else f"{row['bias']:+.3f} ± {row['uncertainty']:.3f} m over {row['bias_cells']} cells"
        )
        print(
            f"  {vessel}: {bias}; {row['soundings']} soundings in {row['cells']} cells",
            file=sys.stderr,
        )
