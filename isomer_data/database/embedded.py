"""The embedded MongoDB-wire server (SecantusDB) as a child process.

SecantusDB is GPL-2.0-only, so it is never imported: it runs as ``secantusd-py`` and we
speak the MongoDB wire protocol to it, exactly as to a real MongoDB. The child must never
outlive the platform: it is stopped by the context manager, by ``atexit``, and — should
the platform be killed outright — by the kernel through ``PR_SET_PDEATHSIG``.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from isomer_data.errors import IsomerError

log = logging.getLogger(__name__)

RUNTIME_FILE = "embedded-db.json"
READY_TIMEOUT = 60.0


def _server_command() -> str:
    beside = Path(sys.executable).with_name("secantusd-py")
    if beside.exists():
        return str(beside)
    found = shutil.which("secantusd-py")
    if not found:
        raise IsomerError(50024, "secantusd-py was not found beside Python or on PATH")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the child before exec: ask Linux to SIGTERM it when the platform dies."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0) but is gone for our purposes.
    with contextlib.suppress(OSError):
        status = Path(f"/proc/{pid}/status").read_text()
        if "\nState:\tZ" in status:
            return False
    return True


def read_runtime(storage_path: Path) -> dict | None:
    """The record a running embedded server leaves beside its data, or None if stale."""
    path = Path(storage_path).parent / RUNTIME_FILE
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if pid_alive(int(info.get("pid", 0))):
        return info
    log.warning(
        "removing stale embedded database record %s (pid %s is gone)", path, info.get("pid")
    )
    with contextlib.suppress(OSError):
        path.unlink()
    return None


class EmbeddedMongo:
    """Run SecantusDB on loopback for as long as the ``with`` block lasts.

    ``with EmbeddedMongo(path) as db: MongoClient(db.url)``. Data in ``storage_path``
    survives restarts. Failures to start raise :class:`IsomerError` with a numbered code:
    port in use (50021), data folder in use (50022), crashed (50023), not ready (50025).
    """

    def __init__(
        self,
        storage_path: str | Path,
        *,
        port: int = 0,
        cache_size: str = "128M",
        log_path: str | Path | None = None,
        ready_timeout: float = READY_TIMEOUT,
    ):
        self.storage_path = Path(storage_path)
        self.requested_port = port
        self.port = port
        self.cache_size = cache_size
        self.log_path = Path(log_path) if log_path else self.storage_path.parent / "db.log"
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen | None = None
        self._log_file = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    @property
    def runtime_path(self) -> Path:
        return self.storage_path.parent / RUNTIME_FILE

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> EmbeddedMongo:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        running = read_runtime(self.storage_path)
        if running:
            raise IsomerError(
                50022,
                f"{self.storage_path} is served by process {running['pid']} at {running['url']}",
            )
        command = _server_command()
        self.storage_path.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.port = self.requested_port or free_port()
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log_offset = self._log_file.tell()
        self.process = subprocess.Popen(
            [
                command,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--storage-path",
                str(self.storage_path),
                "--cache-size",
                self.cache_size,
                "--log-level",
                "WARNING",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
            # Its own session: a Ctrl-C in the terminal reaches the platform, which then
            # stops the database in order, instead of both racing each other.
            start_new_session=True,
        )
        atexit.register(self.stop)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.runtime_path.write_text(
            json.dumps({"pid": self.process.pid, "port": self.port, "url": self.url})
        )
        log.info("embedded database pid %s listening on %s", self.process.pid, self.url)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self._classify_exit()
            if self._answers():
                # Another program could hold the port and answer too: only a child still
                # running after the handshake is ours.
                if self.process.poll() is None:
                    return
                raise self._classify_exit()
            time.sleep(0.1)
        raise IsomerError(
            50025,
            f"no answer on port {self.port} after {self.ready_timeout:.0f} s; log: {self.log_path}",
        )

    def _answers(self) -> bool:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        client = MongoClient(self.url, serverSelectionTimeoutMS=300, connectTimeoutMS=300)
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    def log_tail(self, lines: int = 15) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(getattr(self, "_log_offset", 0))
                text = fh.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def _classify_exit(self) -> IsomerError:
        tail = self.log_tail()
        if "Address already in use" in tail:
            return IsomerError(50021, f"port {self.port} on 127.0.0.1 is taken")
        if "resource busy" in tail or "WiredTiger.lock" in tail:
            return IsomerError(50022, f"{self.storage_path} is locked by another database process")
        last = tail.splitlines()[-1] if tail else "no output"
        return IsomerError(
            50023, f"exit status {self.process.returncode}: {last}; log: {self.log_path}"
        )

    def check(self) -> None:
        """Raise 50023 if the child has died since it started."""
        if self.process is not None and self.process.poll() is not None:
            raise self._classify_exit()

    # Supervision: restarting a child that died (isomer_data.database.supervisor) --------

    @property
    def crashed(self) -> bool:
        """The child exited without ``stop()`` being asked (``stop()`` forgets the process)."""
        return self.process is not None and self.process.poll() is not None

    def restart(self) -> None:
        """Start the child again after it died, on the same port and data folder.

        The same port keeps every open client (pymongo reconnects by itself) and the
        recorded URL valid. Raises the numbered :class:`IsomerError` of :meth:`start` when
        it cannot come back (the caller decides whether to try again).
        """
        dead, self.process = self.process, None
        if dead is not None:
            log.error(
                "embedded database pid %s exited with status %s; restarting it. Log tail:\n%s",
                dead.pid,
                dead.poll(),
                self.log_tail(),
            )
            with contextlib.suppress(OSError, ValueError):
                if json.loads(self.runtime_path.read_text()).get("pid") == dead.pid:
                    self.runtime_path.unlink()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        requested, self.requested_port = self.requested_port, self.port or self.requested_port
        try:
            self.start()
        finally:
            self.requested_port = requested

    def stop(self, timeout: float = 15.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("embedded database did not stop in %.0f s; killing it", timeout)
                process.kill()
                process.wait()
        if process is not None:
            with contextlib.suppress(OSError):
                info = json.loads(self.runtime_path.read_text())
                if info.get("pid") == process.pid:
                    self.runtime_path.unlink()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
