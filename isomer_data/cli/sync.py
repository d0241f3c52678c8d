"""``isomer sync``: push this boat's data to a shore platform; ``isomer sync status``."""

from __future__ import annotations

import json
import sys

from isomer_data.cli.options import DATA_OPTIONS, add_config_options, config_from_args


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="send this boat's data to a shore platform (store-and-forward)",
        description="Push every change the shore lacks, in batches, until caught up; resumes "
        "where the shore last acknowledged. `isomer sync status` shows what is pending.",
    )
    parser.add_argument("action", nargs="?", choices=("push", "status"), default="push")
    parser.add_argument(
        "--to",
        help="the shore platform, http(s)://HOST:PORT [ISOMER_SYNC_TO] (default: the sync_to setting)",
    )
    parser.add_argument(
        "--token",
        help="the vessel's API token on the shore [ISOMER_SYNC_TOKEN; the variable keeps it "
        "out of the process list] (default: the sync_token setting)",
    )
    parser.add_argument(
        "--batch-bytes",
        type=int,
        default=None,
        help="largest batch before compression, bytes (default 1 MiB; smaller on links that "
        "drop often: batches shrink by themselves after failures)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_config_options(parser, (*DATA_OPTIONS, "sync_bandwidth", "sync_window"))
    parser.set_defaults(func=run)


def run(args) -> int:
    from isomer_data.core.errors import IsomerError
    from isomer_data.database import open_database

    config = config_from_args(args)
    url = args.to or config.sync_to
    token = args.token or config.sync_token
    with open_database(config) as database:
        if args.action == "status":
            return _status(database.db, url, args.json)
        if not url or not token:
            raise IsomerError(50401, "give the shore with --to URL and the token with --token")
        return _push(database.db, url, token, config, args)


def _push(db, url, token, config, args) -> int:
    from isomer_data.services.sync.sender import BATCH_BYTES, Sender

    bar = None
    progress = None
    sender = Sender(
        db,
        url,
        token,
        bandwidth=config.sync_bandwidth,
        window=config.sync_window,
        batch_bytes=args.batch_bytes or BATCH_BYTES,
    )
    if sys.stderr.isatty():
        from tqdm import tqdm

        total = sum(sender.pending().values())
        bar = tqdm(total=total, unit="doc", desc="sync", file=sys.stderr)

        def progress(summary, pending) -> None:
            bar.total = summary.items + sum(pending.values())
            bar.n = summary.items
            bar.refresh()

    sender.progress = progress
    try:
        summary = sender.run()
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        print(json.dumps(summary.as_dict()))
    else:
        print(
            f"synced to {url}: {summary.items} changes in {summary.batches} batches, "
            f"{summary.bytes_sent} bytes, {summary.retries} retries, "
            f"{summary.rejected} refused by the shore; position {summary.position} "
            f"({summary.seconds:.1f} s)"
        )
        for problem in summary.problems:
            print(
                f"  refused #{problem.get('seq')}: {problem.get('error')} {problem.get('message')}"
            )
    return 0


def _status(db, url, as_json: bool) -> int:
    from isomer_data.store import sync as seq_store

    counter = db[seq_store.STATE].find_one({"_id": seq_store.COUNTER_ID}) or {}
    senders = list(db[seq_store.STATE].find({"_id": {"$regex": "^sender:"}}))
    if url:
        senders = [s for s in senders if s.get("url") == url.rstrip("/")] or [
            {"url": url.rstrip("/"), "acked": 0}
        ]
    out = {
        "sequence": int(counter.get("seq", 0)),
        "writing": len(counter.get("pending", [])),
        "shores": [],
    }
    for state in senders or [{"url": "(none yet)", "acked": 0}]:
        acked = int(state.get("acked", 0))
        query = {seq_store.FIELD: {"$gt": acked}}
        pending = {name: db[name].count_documents(query) for name in seq_store.SYNCED}
        pending["deletions"] = db[seq_store.TOMBSTONES].count_documents(query)
        last = state.get("at")
        out["shores"].append(
            {
                "url": state.get("url"),
                "acknowledged": acked,
                "last_acknowledged": last.isoformat() if last else None,
                "pending": pending,
            }
        )
    if as_json:
        print(json.dumps(out))
        return 0
    print(f"sequence {out['sequence']} ({out['writing']} writes in progress)")
    for shore in out["shores"]:
        total = sum(shore["pending"].values())
        print(
            f"{shore['url']}: acknowledged up to {shore['acknowledged']}, {total} changes pending"
        )
        for name, count in shore["pending"].items():
            if count:
                print(f"  {name:>13}: {count}")
    return 0
