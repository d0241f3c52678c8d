"""``isomer backup create|list|verify|restore``: archives of everything an instance owns.

The logic is in :mod:`isomer_data.backups`; this module resolves instances, takes the
instance lock for a restore, and draws a progress bar on a terminal.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import UTC, datetime
from pathlib import Path

from isomer_data.cli.options import DATA_OPTIONS, add_config_options, config_from_args
from isomer_data.core.errors import IsomerError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "backup",
        help="back up, verify and restore an instance",
        description="One archive holds every collection of the instance's database (as "
        "BSON), its configuration file and its data files, with a manifest of checksums.",
    )
    actions = parser.add_subparsers(dest="backup_action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="write a backup of the instance")
    create.add_argument(
        "-o", "--output", help="archive to write (default: the instance's backups folder)"
    )
    add_config_options(create)
    create.set_defaults(func=run_create)

    listing = actions.add_parser("list", help="the backups in the instance's backups folder")
    add_config_options(listing, ("instance", "home"))
    listing.set_defaults(func=run_list)

    verify = actions.add_parser("verify", help="check a backup's manifest and checksums")
    verify.add_argument("file")
    verify.set_defaults(func=run_verify)

    restore = actions.add_parser(
        "restore",
        help="restore a backup into a new instance (or --instance NAME)",
        description="Restore into a new instance named <original>-restored-<time> unless "
        "--instance names one; refused while the target runs, and into a non-empty database "
        "unless --force.",
    )
    restore.add_argument("file")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace the target database's collections if it is not empty",
    )
    add_config_options(restore, DATA_OPTIONS)
    restore.set_defaults(func=run_restore)


@contextlib.contextmanager
def progress_bar(total: int, desc: str):
    """A tqdm bar on a terminal; nothing in scripts and logs."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="doc", desc=desc, file=sys.stderr) as bar:
        yield bar.update


def run_create(args) -> int:
    from isomer_data.backups import count_documents, create_backup, default_output
    from isomer_data.database import open_database

    config = config_from_args(args)
    if not config.instance_dir.is_dir() and not config.db_url:
        raise IsomerError(50101, f"{config.instance} (in {config.home})")
    output = Path(args.output) if args.output else default_output(config)
    with open_database(config) as database:
        db = database.db
        with progress_bar(count_documents(db), "backup") as progress:
            manifest = create_backup(config, db, output, progress=progress)
    documents = sum(entry["count"] for entry in manifest["collections"])
    print(
        f"backup of instance {config.instance!r} written to {output}\n"
        f"  {len(manifest['collections'])} collections, {documents} documents, "
        f"{len(manifest['files'])} files, {output.stat().st_size} bytes"
    )
    return 0


def run_list(args) -> int:
    from isomer_data.backups import list_backups, read_manifest

    config = config_from_args(args)
    paths = list_backups(config.backup_dir)
    if not paths:
        print(f"no backups in {config.backup_dir}")
        return 0
    print(f"{'file':<64} {'created':<28} {'kind':<9} {'documents':>10} {'bytes':>12}")
    for path in paths:
        try:
            manifest = read_manifest(path)
        except IsomerError as exc:
            print(f"{path.name:<64} (unreadable: error {exc.code})")
            continue
        documents = sum(entry.get("count", 0) for entry in manifest["collections"])
        print(
            f"{path.name:<64} {manifest.get('created', '?'):<28} {manifest.get('kind', '?'):<9} "
            f"{documents:>10} {path.stat().st_size:>12}"
        )
    return 0


def run_verify(args) -> int:
    from isomer_data.backups import read_manifest, verify_backup

    path = Path(args.file)
    total = sum(e["count"] for e in read_manifest(path)["collections"])
    with progress_bar(total, "verify") as progress:
        manifest = verify_backup(path, progress=progress)
    print(
        f"{path}: OK (instance {manifest['instance']!r}, created {manifest['created']}, "
        f"Isomer Data {manifest['platform_version']}, schema {manifest['schema_version']}; "
        f"{len(manifest['members'])} members, checksums match)"
    )
    for entry in manifest["collections"]:
        print(f"  {entry['name']:<28} {entry['count']:>10} documents")
    return 0


def run_restore(args) -> int:
    from traitlets.config import Config

    from isomer_data.backups import backup_config_values, restore_backup, verify_backup
    from isomer_data.cli.config import check_values
    from isomer_data.cli.instance_lock import InstanceLock
    from isomer_data.config import IsomerConfig, write_config_file
    from isomer_data.database import open_database
    from isomer_data.instances import in_use

    path = Path(args.file)
    manifest = verify_backup(path)
    values = backup_config_values(path)
    if args.db_url:
        values["db_url"] = args.db_url  # the restored instance keeps using that database
    try:
        check_values(values)
    except IsomerError as exc:
        raise IsomerError(50121, f"{path}: its configuration: {exc.detail}") from None
    target = args.instance
    if not target:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = f"{manifest['instance']}-restored-{stamp}"
    section = {"instance": target}
    for name in ("home", "db_url", "db_port", "db_cache_size"):
        if getattr(args, name, None) is not None:
            section[name] = getattr(args, name)
    config = IsomerConfig(config=Config({"IsomerConfig": section}), file_values=values)
    created = not config.instance_dir.exists()
    user = "" if created else in_use(config)
    if user:
        raise IsomerError(50103, f"{config.instance}: {user}")
    lock = InstanceLock(config.instance_dir)
    try:
        lock.acquire()
    except IsomerError as exc:
        raise IsomerError(50103, f"{config.instance}: {exc.detail}") from None
    done = False
    try:
        with open_database(config) as database:
            total = sum(entry["count"] for entry in manifest["collections"])
            with progress_bar(total, "restore") as progress:
                counts = restore_backup(
                    path,
                    database.db,
                    config.instance_dir,
                    manifest=manifest,
                    force=args.force,
                    progress=progress,
                )
        write_config_file(config.config_file, values)
        done = True
    finally:
        lock.release()
        if created and not done:
            import shutil

            shutil.rmtree(config.instance_dir, ignore_errors=True)
    print(
        f"restored {path.name} into instance {config.instance!r} "
        f"(database {config.database_name!r}): {len(counts)} collections, "
        f"{sum(counts.values())} documents"
    )
    print(f"  run it with: isomer launch --instance {config.instance}")
    return 0
