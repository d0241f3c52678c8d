"""``isomer export csb``: crowdsourced bathymetry for the IHO DCDB (B-12 GeoJSON or DCDB CSV)."""

from __future__ import annotations

import sys
from pathlib import Path

from isomer_data.cli.export import nothing_found, selection
from isomer_data.cli.export_bathymetry import parse_bbox
from isomer_data.cli.options import add_config_options, config_from_args
from isomer_data.cli.outputs import check_writable, writing
from isomer_data.core.errors import IsomerError

FORMATS = ("geojson", "dcdb-csv")
SUFFIXES = {".json": "geojson", ".geojson": "geojson", ".csv": "dcdb-csv"}


def register_export(export) -> None:
    parser = export.add_parser(
        "csb",
        help="soundings as IHO B-12 crowdsourced bathymetry (CSB GeoJSON or DCDB CSV)",
        description="Write one vessel's soundings in the IHO B-12 convention 'GeoJSON CSB 3.1' "
        "(trusted node and platform metadata, UTC times) or the DCDB's CSV layout. The trusted "
        "node comes from the settings csb_provider_name, csb_provider_email, csb_node_id and "
        "csb_license (isomer config / ISOMER_CSB_*).",
    )
    parser.add_argument(
        "--vessel", help="the vessel to export (default: the only vessel in the selection)"
    )
    parser.add_argument("--bbox", help="W,S,E,N in degrees (default: everywhere)")
    parser.add_argument(
        "--start",
        help="only soundings from this time (ISO 8601, UTC if no zone; default: no limit)",
    )
    parser.add_argument(
        "--end", help="only soundings up to this time (ISO 8601, UTC if no zone; default: no limit)"
    )
    parser.add_argument(
        "--reference",
        choices=("transducer", "waterline"),
        default="transducer",
        help="vertical reference of the depths (default: transducer, the raw reading B-12 "
        "prefers; waterline applies the transducer offsets)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="file layout (default: from the output's suffix, .json/.geojson or .csv)",
    )
    parser.add_argument("-o", "--output", required=True, help="the file to write")
    add_config_options(parser)
    parser.set_defaults(func=run)


def output_format(output: str, given: str | None) -> str:
    from_suffix = SUFFIXES.get(Path(output).suffix.lower())
    if given and from_suffix and given != from_suffix:
        raise IsomerError(70104, f"-o {output} with --format {given}")
    fmt = given or from_suffix
    if fmt is None:
        raise IsomerError(70104, f"-o {output}: name it .json/.geojson or .csv, or give --format")
    return fmt


def _one_vessel(soundings, wanted: str | None) -> str:
    present = sorted(soundings["vessel"].unique())
    if wanted is not None:
        return wanted
    if len(present) > 1:
        raise IsomerError(70201, "choose one with --vessel: " + ", ".join(present))
    return present[0]


def run(args) -> int:
    fmt = output_format(args.output, args.format)
    check_writable(args.output)
    bbox = parse_bbox(args.bbox) if args.bbox else None
    start, end = selection(args)
    # After the checks: a mistyped flag is answered without importing pandas and pymongo.
    from isomer_data.database import open_database
    from isomer_data.export.csb import (
        TrustedNode,
        csb_metadata,
        select_depths,
        unique_vessel_id,
        write_csb_geojson,
        write_dcdb_csv,
    )
    from isomer_data.store.soundings import query_soundings

    config = config_from_args(args)
    node = TrustedNode.from_config(config)
    with open_database(config) as database:
        soundings = query_soundings(
            database.db,
            bbox=bbox,
            start=start,
            end=end,
            vessels=[args.vessel] if args.vessel else None,
        )
        if soundings.empty:
            raise nothing_found("soundings", args)
        vessel = _one_vessel(soundings, args.vessel)
        meta = database.db["vessels"].find_one({"vessel": vessel}, {"_id": 0}) or {}
        unique_id = unique_vessel_id(database.db, vessel, node.node_id)
    depths, left_out = select_depths(soundings, meta, args.reference)
    if depths.empty:
        raise IsomerError(
            70106,
            f"none of {len(soundings)} soundings has a known transducer offset: set the "
            "vessel's transducer_depth or export with --reference transducer",
        )
    with writing(args.output):
        if fmt == "geojson":
            properties = csb_metadata(node, vessel, meta, unique_id, args.reference)
            written = write_csb_geojson(args.output, properties, depths)
        else:
            provider = node.name or "Isomer Data user (set csb_provider_name)"
            written = write_dcdb_csv(
                args.output, depths, unique_id, meta.get("name") or vessel, provider
            )
    print(
        f"{written} soundings of {vessel} ({unique_id}), depth below the {args.reference}"
        + (f", {left_out} left out (no offset or no depth)" if left_out else "")
        + f" → {args.output}",
        file=sys.stderr,
    )
    if node.placeholder:
        print(
            "note: the trusted node is a placeholder; before sending this to the DCDB set "
            "it: isomer config set csb_provider_name NAME and csb_provider_email ADDRESS "
            "(or ISOMER_CSB_PROVIDER_NAME / ISOMER_CSB_PROVIDER_EMAIL)",
            file=sys.stderr,
        )
    return 0
