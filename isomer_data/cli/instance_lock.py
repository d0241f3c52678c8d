"""One running platform per instance.

A second ``isomer launch`` of the same instance would attach to the first one's embedded
database and replay its sources a second time into the same collections (a track with
jumps, every observation twice). The running platform holds an exclusive ``flock`` on
``platform.lock`` in the instance folder for as long as it lives (the kernel releases it
when the process dies, however it dies) and describes itself in ``platform.json``.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from isomer_data.core.errors import IsomerError

LOCK_FILE = "platform.lock"
INFO_FILE = "platform.json"


class InstanceLock:
    def __init__(self, instance_dir: Path):
        self.instance_dir = Path(instance_dir)
        self._fd: int | None = None

    @property
    def info_path(self) -> Path:
        return self.instance_dir / INFO_FILE

    def acquire(self) -> None:
        """Take the instance or raise 50026 naming the process that holds it."""
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.instance_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise IsomerError(50026, self._holder()) from None
        self._fd = fd

    def _holder(self) -> str:
        try:
            info = json.loads(self.info_path.read_text())
        except (OSError, ValueError):
            return f"instance folder {self.instance_dir} is held by another process"
        return f"process {info.get('pid')} serves it at {info.get('url')}"

    def describe(self, url: str) -> None:
        """Say who runs the instance and where (owner-readable only)."""
        fd = os.open(self.info_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"pid": os.getpid(), "url": url}, out)

    def release(self) -> None:
        if self._fd is None:
            return
        self.info_path.unlink(missing_ok=True)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def running_platform(instance_dir: Path) -> dict | None:
    """``{"pid", "url"}`` of the platform running the instance, or None; changes nothing.

    The flock is the truth (``platform.json`` may be stale after a crash): if it can be
    taken, nobody runs the instance, and it is given back at once.
    """
    path = Path(instance_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            info = json.loads((Path(instance_dir) / INFO_FILE).read_text())
        except (OSError, ValueError):
            info = {}
        return {"pid": info.get("pid"), "url": info.get("url")}
    finally:
        os.close(fd)  # closing releases a lock we may have taken
    return None
