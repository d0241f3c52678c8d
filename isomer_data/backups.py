"""Backups of an instance: one zip archive that restores exactly.

An archive (``<instance>-<UTC time>[-scheduled].isomer-backup.zip``) holds:

- ``collections/NNNN.bson``: every collection of the instance's database as a stream of
  BSON documents (each is length-prefixed by BSON itself, the ``mongodump`` layout).
  Documents are read and written as raw BSON (``RawBSONDocument``), never decoded, so
  every type (datetimes, binary, int64, decimal128, key order) comes back byte for byte;
- ``files/...``: the instance's files that are data (its configuration file, the notebooks
  workspace, anything else in the instance folder but the database's own files, logs,
  backups and the running platform's records);
- ``manifest.json`` (written last): format and schema version, platform version, instance,
  time, per collection its name, document count, indexes and options, and the SHA-256 of
  every member.

It works through pymongo alone, so the embedded database and a real MongoDB alike (no
``mongodump``). A backup of a running platform is taken collection by collection, not as
one point-in-time snapshot.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from bson import json_util
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from isomer_data import __version__
from isomer_data.core.errors import IsomerError

FORMAT = "isomer-data-backup"
SCHEMA_VERSION = 1
SUFFIX = ".isomer-backup.zip"
MANIFEST = "manifest.json"
CONFIG_MEMBER = "files/isomer_config.json"
# Not data: the database's own files (dumped through pymongo instead), logs, backups, and
# what a running platform or embedded database writes about itself.
NOT_DATA = {"db", "logs", "backups", "platform.lock", "platform.json", "embedded-db.json"}
# Upgrades' environments, rehearsal copy and data snapshots (isomer_data.upgrades).
NOT_DATA |= {"envs", "upgrade", "snapshots"}
MAX_DOCUMENT = 17 * 1024 * 1024  # BSON's 16 MiB limit plus headroom; larger means corrupt
MAX_MANIFEST = 64 * 1024 * 1024
BATCH_DOCUMENTS = 1000
BATCH_BYTES = 8 * 1024 * 1024
RAW = CodecOptions(document_class=RawBSONDocument)
CHUNK = 1024 * 1024

Progress = Callable[[int], None]


def backup_name(instance: str, when: datetime, scheduled: bool = False) -> str:
    stamp = when.strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"
    return f"{instance}-{stamp}{'-scheduled' if scheduled else ''}{SUFFIX}"


def _canonical(value) -> object:
    """BSON values (index keys, options) as JSON that comes back with the same types."""
    return json.loads(json_util.dumps(value, json_options=json_util.CANONICAL_JSON_OPTIONS))


def _from_canonical(value) -> object:
    return json_util.loads(json.dumps(value), json_options=json_util.CANONICAL_JSON_OPTIONS)


def instance_files(instance_dir: Path) -> list[str]:
    """Relative POSIX paths of the instance's data files (regular files, no symlinks)."""
    found: list[str] = []
    if not instance_dir.is_dir():
        return found
    for root, dirs, files in os.walk(instance_dir):
        rel_root = Path(root).relative_to(instance_dir)
        if rel_root == Path("."):
            dirs[:] = [d for d in dirs if d not in NOT_DATA]
        dirs[:] = sorted(d for d in dirs if not (Path(root) / d).is_symlink())
        for name in sorted(files):
            path = Path(root) / name
            rel = (rel_root / name).as_posix()
            if rel in NOT_DATA or rel.endswith((".tmp", ".partial")) or path.is_symlink():
                continue
            if not path.is_file():
                continue
            found.append(rel)
    return found


def count_documents(db) -> int:
    return sum(
        db[name].estimated_document_count()
        for name in db.list_collection_names()
        if not name.startswith("system.")
    )


def create_backup(
    config,
    db,
    output: Path,
    *,
    scheduled: bool = False,
    progress: Progress | None = None,
) -> dict:
    """Write the backup of ``config``'s instance, whose database is ``db`` (pymongo), to
    ``output`` (never overwritten: 50124). Returns the manifest."""
    output = Path(output)
    if output.exists():
        raise IsomerError(50124, f"{output} exists")
    partial = output.with_name(output.name + ".partial")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise IsomerError(50124, f"{output}: {exc.strerror}") from None
    manifest: dict = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "platform_version": __version__,
        "instance": config.instance,
        "database": db.name,
        "created": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "kind": "scheduled" if scheduled else "manual",
        "collections": [],
        "files": {},
        "members": {},
    }
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            names = sorted(n for n in db.list_collection_names() if not n.startswith("system."))
            for number, name in enumerate(names):
                manifest["collections"].append(
                    _dump_collection(zf, db, name, f"collections/{number:04d}.bson", progress)
                )
            for entry in manifest["collections"]:
                manifest["members"][entry["member"]] = entry.pop("sha256")
            for rel in instance_files(config.instance_dir):
                path = config.instance_dir / rel
                digest = hashlib.sha256()
                member = f"files/{rel}"
                with open(path, "rb") as src, zf.open(member, "w", force_zip64=True) as dst:
                    while chunk := src.read(CHUNK):
                        digest.update(chunk)
                        dst.write(chunk)
                manifest["files"][rel] = {"mode": path.stat().st_mode & 0o755}
                manifest["members"][member] = digest.hexdigest()
            zf.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise IsomerError(50124, f"{output}: {exc.strerror or exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _dump_collection(zf, db, name: str, member: str, progress: Progress | None) -> dict:
    collection = db.get_collection(name, codec_options=RAW)
    info = next(iter(db.list_collections(filter={"name": name})), {}) or {}
    indexes = []
    for spec in collection.list_indexes():
        spec = dict(spec)
        spec.pop("ns", None)
        spec.pop("v", None)
        indexes.append(_canonical(spec))
    digest = hashlib.sha256()
    count = size = 0
    with zf.open(member, "w", force_zip64=True) as out:
        for doc in collection.find({}, batch_size=BATCH_DOCUMENTS):
            data = doc.raw
            out.write(data)
            digest.update(data)
            count += 1
            size += len(data)
            if progress is not None:
                progress(1)
    return {
        "name": name,
        "member": member,
        "count": count,
        "bytes": size,
        "sha256": digest.hexdigest(),
        "indexes": indexes,
        "options": _canonical(dict(info.get("options", {}))),
    }


# --- reading ---------------------------------------------------------------------------


def _open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise IsomerError(50120, f"{path} does not exist") from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise IsomerError(50120, f"{path}: {exc}") from None


def _safe_rel(rel: str) -> bool:
    parts = PurePosixPath(rel).parts
    return (
        bool(parts)
        and not PurePosixPath(rel).is_absolute()
        and ".." not in parts
        and "\\" not in rel
        and "\0" not in rel
        and parts[0] not in NOT_DATA
    )


def _valid_collection_name(name) -> bool:
    return (
        isinstance(name, str)
        and 0 < len(name) <= 200
        and "$" not in name
        and "\0" not in name
        and not name.startswith("system.")
    )


def read_manifest(path: Path) -> dict:
    """The manifest of a backup, checked for shape and version (50120/50121/50122)."""
    with _open(path) as zf:
        return _manifest(zf, path)


def _manifest(zf: zipfile.ZipFile, path: Path) -> dict:
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise IsomerError(50121, f"{path}: no {MANIFEST}") from None
    if info.file_size > MAX_MANIFEST:
        raise IsomerError(50121, f"{path}: {MANIFEST} is too large")
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except (ValueError, zipfile.BadZipFile, OSError) as exc:
        raise IsomerError(50121, f"{path}: {MANIFEST} unreadable ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IsomerError(50121, f"{path}: not an Isomer Data backup manifest")
    version = manifest.get("schema_version")
    if not isinstance(version, int):
        raise IsomerError(50121, f"{path}: no schema version")
    if version > SCHEMA_VERSION:
        raise IsomerError(
            50122,
            f"{path}: schema {version} from Isomer Data {manifest.get('platform_version')}; "
            f"this version reads schema {SCHEMA_VERSION}",
        )
    instance = manifest.get("instance")
    if not (
        isinstance(instance, str)
        and 0 < len(instance) <= 100
        and all(c.isalnum() or c in "-_" for c in instance)
    ):
        raise IsomerError(50121, f"{path}: bad instance name {str(instance)[:40]!r}")
    members = manifest.get("members")
    collections = manifest.get("collections")
    files = manifest.get("files")
    if not (
        isinstance(members, dict) and isinstance(collections, list) and isinstance(files, dict)
    ):
        raise IsomerError(50121, f"{path}: manifest lacks members, collections or files")
    for entry in collections:
        if not (
            isinstance(entry, dict)
            and _valid_collection_name(entry.get("name"))
            and entry.get("member") in members
            and re.fullmatch(r"collections/\d{4}\.bson", str(entry.get("member")))
            and isinstance(entry.get("count"), int)
        ):
            raise IsomerError(50121, f"{path}: bad collection entry {str(entry)[:120]}")
    for rel in files:
        if not _safe_rel(rel) or f"files/{rel}" not in members:
            raise IsomerError(50121, f"{path}: unsafe or unlisted file {rel!r}")
    listed = set(members) | {MANIFEST}
    present = set(zf.namelist())
    if present != listed:
        extra = sorted(present - listed)[:3]
        missing = sorted(listed - present)[:3]
        raise IsomerError(50121, f"{path}: members differ (extra {extra}, missing {missing})")
    return manifest


def _documents(stream, path: Path, member: str):
    """Raw BSON documents of a collection member, framing checked (50121)."""
    while True:
        head = stream.read(4)
        if not head:
            return
        if len(head) < 4:
            raise IsomerError(50121, f"{path}: {member} ends inside a document")
        length = int.from_bytes(head, "little", signed=True)
        if length < 5 or length > MAX_DOCUMENT:
            raise IsomerError(50121, f"{path}: {member} has a document of length {length}")
        body = stream.read(length - 4)
        if len(body) != length - 4 or body[-1:] != b"\0":
            raise IsomerError(50121, f"{path}: {member} has a truncated document")
        yield head + body


def verify_backup(path: Path, progress: Progress | None = None) -> dict:
    """Check the manifest, every member's SHA-256 and every collection's document count;
    return the manifest. A damaged or altered archive raises 50121."""
    path = Path(path)
    with _open(path) as zf:
        manifest = _manifest(zf, path)
        counts = {e["member"]: e["count"] for e in manifest["collections"]}
        for member, expected in manifest["members"].items():
            digest = hashlib.sha256()
            try:
                with zf.open(member) as stream:
                    if member in counts:
                        n = 0
                        for doc in _documents(stream, path, member):
                            digest.update(doc)
                            n += 1
                            if progress is not None:
                                progress(1)
                        if n != counts[member]:
                            raise IsomerError(
                                50121, f"{path}: {member} holds {n} documents, not {counts[member]}"
                            )
                    else:
                        while chunk := stream.read(CHUNK):
                            digest.update(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise IsomerError(50121, f"{path}: {member}: {exc}") from None
            if digest.hexdigest() != expected:
                raise IsomerError(50121, f"{path}: checksum of {member} does not match")
    return manifest


def backup_config_values(path: Path) -> dict:
    """The instance configuration stored in a backup (empty if it had none)."""
    from isomer_data.config import IsomerConfig

    with _open(path) as zf:
        try:
            data = json.loads(zf.read(CONFIG_MEMBER))
        except KeyError:
            return {}
        except ValueError:
            raise IsomerError(50121, f"{path}: {CONFIG_MEMBER} is not JSON") from None
    section = data.get("IsomerConfig", {}) if isinstance(data, dict) else None
    known = IsomerConfig.class_traits(config=True)
    if not isinstance(section, dict) or not all(
        k in known and k not in ("instance", "home") for k in section
    ):
        raise IsomerError(50121, f"{path}: {CONFIG_MEMBER} holds unknown settings")
    return section


def user_collections(db) -> list[str]:
    return [n for n in db.list_collection_names() if not n.startswith("system.")]


def restore_backup(
    path: Path,
    db,
    instance_dir: Path,
    *,
    manifest: dict,
    force: bool = False,
    progress: Progress | None = None,
) -> dict:
    """Restore a verified backup into ``db`` and ``instance_dir`` (the configuration file is
    written by the caller, which checks it first). A non-empty database is refused (50123)
    unless ``force``, which drops its collections first. Returns per-collection counts."""
    path = Path(path)
    existing = user_collections(db)
    if existing and not force:
        raise IsomerError(
            50123, f"database {db.name!r} holds {len(existing)} collections: {existing[:5]}"
        )
    for name in existing:
        db.drop_collection(name)
    restored: dict[str, int] = {}
    with _open(path) as zf:
        for entry in manifest["collections"]:
            restored[entry["name"]] = _restore_collection(zf, db, entry, path, progress)
        _restore_files(zf, manifest, Path(instance_dir))
    return restored


def _restore_collection(zf, db, entry: dict, path: Path, progress: Progress | None) -> int:
    name = entry["name"]
    options = _from_canonical(entry.get("options") or {})
    if name not in db.list_collection_names():
        db.create_collection(name, **options)
    collection = db.get_collection(name, codec_options=RAW)
    batch: list[RawBSONDocument] = []
    size = count = 0
    with zf.open(entry["member"]) as stream:
        for data in _documents(stream, path, entry["member"]):
            batch.append(RawBSONDocument(data))
            size += len(data)
            count += 1
            if len(batch) >= BATCH_DOCUMENTS or size >= BATCH_BYTES:
                collection.insert_many(batch, ordered=True, bypass_document_validation=True)
                if progress is not None:
                    progress(len(batch))
                batch, size = [], 0
    if batch:
        collection.insert_many(batch, ordered=True, bypass_document_validation=True)
        if progress is not None:
            progress(len(batch))
    for spec in entry.get("indexes", []):
        spec = _from_canonical(spec)
        if spec.get("name") == "_id_":
            continue
        keys = list(spec.pop("key").items())
        collection.create_index(keys, **spec)
    return count


def _restore_files(zf, manifest: dict, instance_dir: Path) -> None:
    root = instance_dir.resolve()
    for rel, meta in manifest["files"].items():
        if rel == "isomer_config.json":
            continue  # written by the caller after its own checks
        dest = instance_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.parent.resolve().is_relative_to(root):
            raise IsomerError(50121, f"file {rel!r} would land outside the instance")
        mode = int(meta.get("mode", 0o600)) & 0o755 if isinstance(meta, dict) else 0o600
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode or 0o600)
        with os.fdopen(fd, "wb") as out, zf.open(f"files/{rel}") as src:
            while chunk := src.read(CHUNK):
                out.write(chunk)


def list_backups(backup_dir: Path) -> list[Path]:
    if not backup_dir.is_dir():
        return []
    return sorted(p for p in backup_dir.iterdir() if p.name.endswith(SUFFIX) and p.is_file())


def prune_scheduled(backup_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` scheduled backups; manual ones are never touched."""
    scheduled = [p for p in list_backups(backup_dir) if p.name.endswith("-scheduled" + SUFFIX)]
    doomed = scheduled[: max(0, len(scheduled) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def default_output(config, scheduled: bool = False) -> Path:
    config.backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return config.backup_dir / backup_name(config.instance, datetime.now(UTC), scheduled)
