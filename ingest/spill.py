"""A bounded queue on disk for data the database cannot take right now.

A boat's database can go away (the embedded child crashed, a shore MongoDB is out of
reach) while instruments and vessels keep publishing. What a sink could not store is
written here, one file per batch, and replayed in order when the database answers again,
so an acknowledged publish is a kept publish. The queue is bounded in bytes: when it is
full, the caller must refuse new data rather than acknowledge it.

Files are JSON lines (``["o", time, vessel, path, value, source]`` per observation,
``["s", {sounding fields}]`` per sounding), written to a temporary name and renamed, so a
crash never leaves half a batch under a real name; a file that cannot be read is kept
aside as ``*.bad`` and logged, never retried for ever.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import threading
import time
from pathlib import Path

from isomer_data.ingest.observation import Observation, Sounding

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"


class Spill:
    def __init__(self, folder: str | Path, max_bytes: int):
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._sequence = 0
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(OSError):
            os.chmod(self.folder, 0o700)
        self.used = sum(p.stat().st_size for p in self.files())
        self.spilled = 0  # observations written here since start
        self.replayed = 0
        # Set when a batch did not fit, cleared when a batch leaves: until then there is no
        # room, even if a smaller batch would fit, so a caller stops acknowledging at once.
        self.full = False

    def files(self) -> list[Path]:
        return sorted(self.folder.glob(f"*{SUFFIX}"))

    @property
    def waiting(self) -> bool:
        return self.used > 0

    def has_room(self) -> bool:
        return not self.full and self.used < self.max_bytes

    def append(self, observations: list, soundings: list = ()) -> bool:
        """Keep a batch; False (and nothing written) when it does not fit."""
        lines = [
            json.dumps(["o", o.time, o.vessel, o.path, o.value, o.source], separators=(",", ":"))
            for o in observations
        ]
        lines += [
            json.dumps(["s", dataclasses.asdict(s)], separators=(",", ":")) for s in soundings
        ]
        if not lines:
            return True
        data = ("\n".join(lines) + "\n").encode()
        with self._lock:
            if self.used + len(data) > self.max_bytes:
                self.full = True
                return False
            self._sequence += 1
            name = f"{time.time_ns():020d}-{os.getpid()}-{self._sequence:06d}{SUFFIX}"
            final = self.folder / name
            temporary = self.folder / (name + ".tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, final)
            self.used += len(data)
            self.spilled += len(observations)
        return True

    def read(self, path: Path) -> tuple[list, list] | None:
        """A batch back, or None when the file is unreadable (set aside as ``.bad``)."""
        observations, soundings = [], []
        try:
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    item = json.loads(line)
                    if item[0] == "o":
                        observations.append(Observation(*item[1:6]))
                    else:
                        soundings.append(Sounding(**item[1]))
        except (OSError, ValueError, TypeError, IndexError, KeyError) as exc:
            log.error("spilled batch %s cannot be read (%s); kept aside as .bad", path, exc)
            with contextlib.suppress(OSError):
                self.used -= path.stat().st_size
                path.rename(path.with_suffix(".bad"))
            return None
        return observations, soundings

    def remove(self, path: Path) -> None:
        with self._lock:
            self.full = False
            with contextlib.suppress(OSError):
                self.used -= path.stat().st_size
                path.unlink()
            self.used = max(self.used, 0)
