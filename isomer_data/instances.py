"""Instances: one data folder, one database and one configuration file per platform.

An instance is ``<home>/instances/<name>/``: its configuration (``isomer_config.json``),
the embedded database's files (``db/``), logs, the notebooks workspace and its backups.
Whether it runs is told by the platform's flock (:mod:`isomer_data.cli.instance_lock`)
and, for a command that started the embedded database for itself, by that database's
runtime record.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from traitlets.config import Config

from isomer_data.config import IsomerConfig, read_config_file, write_config_file
from isomer_data.core.errors import IsomerError


def instance_config(name: str, home: str | None = None, **values) -> IsomerConfig:
    """The configuration of instance ``name`` as every command resolves it."""
    section = {"instance": name, **values}
    if home:
        section["home"] = home
    return IsomerConfig(config=Config({"IsomerConfig": section}))


def instances_root(home: str) -> Path:
    return Path(home) / "instances"


def instance_names(home: str) -> list[str]:
    root = instances_root(home)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink())


def exists(config: IsomerConfig) -> bool:
    return config.instance_dir.is_dir()


def in_use(config: IsomerConfig) -> str:
    """Who uses the instance (empty: nobody): its platform, or an embedded database a
    command started for itself."""
    from isomer_data.cli.instance_lock import running_platform
    from isomer_data.database.embedded import read_runtime

    platform = running_platform(config.instance_dir)
    if platform:
        return f"platform process {platform['pid']} serves it at {platform['url']}"
    database = read_runtime(config.db_dir)
    if database:
        return f"process {database['pid']} runs its embedded database at {database['url']}"
    return ""


def state(config: IsomerConfig) -> dict:
    from isomer_data.cli.instance_lock import running_platform

    platform = running_platform(config.instance_dir)
    if platform:
        return {"state": "running", "pid": platform["pid"], "url": platform["url"]}
    return {"state": "stopped"}


def folder_size(path: Path) -> int:
    total = 0
    if path.is_dir():
        for item in path.rglob("*"):
            if item.is_file() and not item.is_symlink():
                total += item.stat().st_size
    return total


def info(config: IsomerConfig) -> dict:
    described = config.describe()
    described.update(state(config))
    described["config_file"] = str(config.config_file)
    described["data_size"] = folder_size(config.db_dir)
    backups = sorted(config.backup_dir.glob("*.isomer-backup.zip"))
    described["backups"] = len(backups)
    return described


def create(config: IsomerConfig, values: dict) -> None:
    """Make the instance folder and its configuration file with ``values``."""
    if exists(config):
        raise IsomerError(50102, f"{config.instance} ({config.instance_dir})")
    config.instance_dir.mkdir(parents=True, mode=0o700)
    write_config_file(config.config_file, values)


def remove(config: IsomerConfig) -> None:
    """Delete the instance folder (and with it the embedded database), refusing while it
    is in use. The instance lock is held during removal so no launch starts meanwhile."""
    from isomer_data.cli.instance_lock import InstanceLock

    if not exists(config):
        raise IsomerError(50101, config.instance)
    user = in_use(config)
    if user:
        raise IsomerError(50103, f"{config.instance}: {user}")
    lock = InstanceLock(config.instance_dir)
    try:
        lock.acquire()
    except IsomerError as exc:
        raise IsomerError(50103, f"{config.instance}: {exc.detail}") from None
    try:
        # Everything but the lock file first: a launch racing us waits on the lock.
        for child in config.instance_dir.iterdir():
            if child.name == "platform.lock":
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    finally:
        lock.release()
    shutil.rmtree(config.instance_dir, ignore_errors=True)


def file_values(config: IsomerConfig) -> dict:
    return read_config_file(config.config_file)
