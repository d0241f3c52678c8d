"""``isomer ingest SOURCE``: logs, charts, rasters and live feeds into the database."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from isomer_data.cli.options import add_config_options, config_from_args


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="ingest a log file, chart, raster or live source",
        description="Ingest NMEA 0183/AIS logs (plain, gzip, timestamped, TAG blocks, Signal K "
        "multiplexed), S-57 charts, GeoTIFF/BAG/GRIB rasters, MBTiles/PMTiles chart packs, or "
        "a live source "
        "(serial:///dev/ttyUSB0?baud=4800, tcp://HOST:PORT, udp://0.0.0.0:10110).",
    )
    parser.add_argument("source", help="file path or source URL")
    parser.add_argument(
        "--vessel",
        default="self",
        help="context of own-vessel data: self or urn:mrn:imo:mmsi:NNN",
    )
    parser.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="logs: the UTC date the log starts on, for times of day before its first date "
        "(default: a date later in the file, else the file's modification time as its end, "
        "else now)",
    )
    parser.add_argument(
        "--start",
        metavar="ISO-8601",
        help="logs: the instant the log starts (UTC if no zone); wins over --date "
        "(default: as for --date)",
    )
    parser.add_argument(
        "--replay",
        choices=("fast", "realtime"),
        default="fast",
        help="files: as fast as possible (default) or paced by the log's own times",
    )
    parser.add_argument(
        "--resume",
        action=argparse_bool(),
        default=True,
        help="continue a file ingest from its checkpoint (default) or rewrite all of it",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=int(os.environ.get("ISOMER_INGEST_BATCH", "50000")),
        help="observations per durable batch [ISOMER_INGEST_BATCH]",
    )
    add_config_options(parser)
    parser.set_defaults(func=run)


def argparse_bool():
    import argparse

    return argparse.BooleanOptionalAction


def run(args) -> int:
    from isomer_data.cli.times import parse_date, parse_time
    from isomer_data.core.errors import IsomerError
    from isomer_data.database import open_database

    args.start = parse_time(args.start, "--start")
    args.date = parse_date(args.date, "--date")
    live = "://" in args.source and not args.source.startswith("file://")
    if (live or args.replay == "realtime") and (args.start is not None or args.date is not None):
        raise IsomerError(60102, args.source if live else "--replay realtime")
    if args.batch_size < 1 or args.batch_size > 10_000_000:
        raise IsomerError(70105, f"--batch-size {args.batch_size}: 1 to 10000000")
    config = config_from_args(args)
    path = Path(args.source)
    with open_database(config) as database:
        db = database.db
        if live:
            return _live(db, args)
        if args.source.startswith("file://"):
            path = Path(args.source[len("file://") :].split("?", 1)[0])
        if not path.exists():
            raise IsomerError(60001, f"{path} does not exist")
        if not path.is_file():
            raise IsomerError(60001, f"{path} is not a file")
        from isomer_data.ingest.charts import ingest_file, is_chart_or_raster

        if is_chart_or_raster(path):
            summary = ingest_file(db, path)
            print(_chart_summary(summary))
            return 0
        if args.replay == "realtime":
            return _live(db, args, url=f"file://{path.resolve()}?replay=realtime")
        return _file(db, path, args)


def _file(db, path: Path, args) -> int:
    from isomer_data.ingest.pipeline import ingest_log

    progress = None
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=0, unit="batch", desc=path.name, file=sys.stderr)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

    result = ingest_log(
        db,
        path,
        vessel=args.vessel,
        resume=args.resume,
        batch_size=args.batch_size,
        on_batch=progress,
        date=args.date,
        start=args.start,
    )
    if bar is not None:
        bar.close()
    print(result.summary())
    if result.already_done:
        previous = result.extra["previous"].get("report") or {}
        print(f"  (previous run: {previous.get('observations', '?')} observations)")
        recognised = previous.get("accepted") or previous.get("unmapped") or not previous
        lines = previous.get("lines", "?")
    else:
        report = result.report
        print(report.format())
        recognised = report.accepted or report.unmapped
        lines = report.lines
    if not recognised:
        from isomer_data.core.errors import IsomerError

        raise IsomerError(60101, f"{path}: {lines} lines, no NMEA 0183 or AIS sentence among them")
    return 0


def _chart_summary(summary: dict) -> str:
    if summary.get("kind") == "chart":
        layers = ", ".join(f"{k} {v}" for k, v in sorted(summary.get("layers", {}).items()))
        return f"chart {summary.get('name')}: {summary.get('features')} features ({layers})"
    if summary.get("kind") == "tiles":
        return (
            f"chart pack {summary.get('name')} registered ({summary.get('driver')}, "
            f"{summary.get('format')} tiles, zoom {summary.get('minzoom')}-"
            f"{summary.get('maxzoom')})"
        )
    return (
        f"raster {summary.get('name')} registered ({summary.get('driver')}; "
        f"variables {', '.join(map(str, summary.get('variables', [])))})"
    )


def _live(db, args, url: str | None = None) -> int:
    import asyncio

    from isomer_data.ingest.worker import IngestWorker, StoreSink

    sink = StoreSink(db)
    worker = IngestWorker(url or args.source, vessel=args.vessel, sinks=[sink], once=True)
    try:
        asyncio.run(worker.run())
    except KeyboardInterrupt:
        pass
    finally:
        sink.flush()
    print(f"{worker.url}: {sink.stored} observations, {sink.soundings} soundings stored")
    print(worker.report.format())
    from isomer_data.store.reports import save_report

    save_report(
        db, worker.url, worker.report.to_dict(), kind="live", stored_observations=sink.stored
    )
    return 0
