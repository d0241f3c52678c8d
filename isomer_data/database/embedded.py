"""The embedded MongoDB-wire server (SecantusDB) as a child process.

SecantusDB is GPL-2.0-only, so it is never imported: it runs as ``secantusd-py`` and we
speak the MongoDB wire protocol to it, exactly as to a real MongoDB. The child must never
outlive the platform: it is stopped by the context manager, by ``atexit``, and — should
the platform be killed outright — by the kernel through ``PR_SET_PDEATHSIG``.

It is the platform's alone (see "Credentials and file modes" below): it runs with
``--auth`` and one user whose password only the instance's owner can read, and its files
are readable by the owner only.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote_plus

from isomer_data.config import redact
from isomer_data.core.errors import IsomerError

log = logging.getLogger(__name__)

RUNTIME_FILE = "embedded-db.json"
SECRET_FILE = "embedded-db.secret"
DB_USER = "isomer"
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


def _terminate(process: subprocess.Popen, port: int | None, timeout: float) -> None:
    """SIGTERM the database server and wait for it (``TimeoutExpired`` after ``timeout``).

    SecantusDB's stop closes its listening socket, then waits up to 2 s for its accept
    thread; on Linux a socket closed under a blocked ``accept()`` does not wake it, a new
    connection does. So while it stops, one is opened and closed every 0.1 s: a stop takes
    a tenth of a second instead of two, on every platform stop, restart and upgrade step.
    """
    process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while True:
        try:
            process.wait(min(0.1, max(deadline - time.monotonic(), 0)))
            return
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                raise
        if port:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()


def _die_with_parent() -> None:
    """Runs in the child before exec: ask Linux to SIGTERM it when the platform dies."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _child_setup() -> None:
    """Runs in the child before exec: dies with the platform, creates owner-only files."""
    _die_with_parent()
    os.umask(0o077)


# Credentials and file modes -----------------------------------------------------------------
# Any local user could otherwise connect to the database port and read everything (the
# users' password hashes included), or read the data files directly.


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (0600 from the first byte)."""
    tmp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def secure_tree(folder: Path) -> None:
    """The folder and what is in it to 0700/0600 (data written before this was enforced)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(root, name), 0o700)
        for name in files:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(root, name), 0o600)


def read_credentials(path: Path) -> tuple[str, str] | None:
    try:
        info = json.loads(Path(path).read_text())
        return str(info["username"]), str(info["password"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def credential_url(port: int, credentials: tuple[str, str] | None) -> str:
    if credentials is None:
        return f"mongodb://127.0.0.1:{port}/?directConnection=true"
    user, password = (quote_plus(x) for x in credentials)
    return f"mongodb://{user}:{password}@127.0.0.1:{port}/?directConnection=true&authSource=admin"


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


def _open_private_log(path: Path):
    """The database log, appended to, readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return os.fdopen(fd, "ab")


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
        auth: bool = True,
    ):
        self.storage_path = Path(storage_path)
        self.requested_port = port
        self.port = port
        self.cache_size = cache_size
        self.log_path = Path(log_path) if log_path else self.storage_path.parent / "db.log"
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen | None = None
        self._log_file = None
        self.auth = auth
        self.credentials: tuple[str, str] | None = None

    @property
    def url(self) -> str:
        """The URL every client uses: with the platform's database login."""
        return credential_url(self.port, self.credentials if self.auth else None)

    @property
    def runtime_path(self) -> Path:
        return self.storage_path.parent / RUNTIME_FILE

    @property
    def secret_path(self) -> Path:
        return self.storage_path.parent / SECRET_FILE

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
                f"{self.storage_path} is served by process {running['pid']} at "
                f"{redact(running['url'])}",
            )
        command = _server_command()
        self._secure_files()
        self.port = self.requested_port or free_port()
        self._log_file = _open_private_log(self.log_path)
        self._log_offset = self._log_file.tell()
        atexit.register(self.stop)
        try:
            provisioned = False
            if self.auth:
                self.credentials = read_credentials(self.secret_path)
                if self.credentials is None:
                    self._provision(command)
                    provisioned = True
            self.process = self._spawn(command, self.port, auth=self.auth)
            self._wait_ready()
            if self.auth and not self._check_login(drop_others=provisioned):
                # The secret and the database disagree (a restored or replaced database):
                # set the login again, with the data left as it is.
                self._stop_child()
                self._provision(command)
                self.process = self._spawn(command, self.port, auth=True)
                self._wait_ready()
                if not self._check_login(drop_others=True):
                    raise IsomerError(40401, f"log: {self.log_path}")
        except BaseException:
            self.stop()
            raise
        # 0600: with the login in its URL, this record is the key to the database.
        write_private(
            self.runtime_path,
            json.dumps({"pid": self.process.pid, "port": self.port, "url": self.url}),
        )
        log.info("embedded database pid %s listening on %s", self.process.pid, redact(self.url))

    def _spawn(self, command: str, port: int, *, auth: bool) -> subprocess.Popen:
        return subprocess.Popen(
            [
                command,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--storage-path",
                str(self.storage_path),
                "--cache-size",
                self.cache_size,
                "--log-level",
                "WARNING",
                *(["--auth"] if auth else []),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_child_setup,
            # Its own session: a Ctrl-C in the terminal reaches the platform, which then
            # stops the database in order, instead of both racing each other.
            start_new_session=True,
        )

    # credentials and file modes ------------------------------------------------------------

    def _secure_files(self) -> None:
        """The database folder 0700 and its files 0600; the log folder too."""
        secure_tree(self.storage_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(OSError):
            os.chmod(self.log_path.parent, 0o700)
        for path in (self.runtime_path, self.secret_path, self.log_path):
            with contextlib.suppress(FileNotFoundError):
                os.chmod(path, 0o600)

    def _provision(self, command: str) -> None:
        """Give the database its one user, the platform's, with a new random password.

        SecantusDB takes ``createUser`` only from a server running without ``--auth``: one
        is started on a random loopback port for the time it takes (about two seconds, on
        the first start of an instance only), then stopped. Anyone else who created a user
        in that window loses it when the real server starts (``_check_login``).
        """
        from pymongo import MongoClient
        from pymongo.errors import OperationFailure

        password = secrets.token_urlsafe(32)
        port = free_port()
        self.process = self._spawn(command, port, auth=False)
        saved_port, self.port = self.port, port
        try:
            self._wait_ready()
            client = MongoClient(credential_url(port, None), serverSelectionTimeoutMS=5000)
            try:
                try:
                    client.admin.command("createUser", DB_USER, pwd=password, roles=["root"])
                except OperationFailure as exc:
                    if "already exists" not in str(exc):
                        raise
                    client.admin.command("updateUser", DB_USER, pwd=password, roles=["root"])
            finally:
                client.close()
        finally:
            self._stop_child()
            self.port = saved_port
        write_private(self.secret_path, json.dumps({"username": DB_USER, "password": password}))
        self.credentials = (DB_USER, password)
        log.info("embedded database: created its login (%s)", self.secret_path)

    def _check_login(self, *, drop_others: bool) -> bool:
        """Whether the platform's login works; after provisioning, remove any other user."""
        from pymongo import MongoClient
        from pymongo.errors import OperationFailure

        client = MongoClient(self.url, serverSelectionTimeoutMS=5000)
        try:
            users = list(client.admin["system.users"].find({}, {"credentials": 0}))
            for user in users:
                if drop_others and (user.get("db"), user.get("user")) != ("admin", DB_USER):
                    log.warning(
                        "embedded database: removing user %s@%s, created while the platform "
                        "set its login",
                        user.get("user"),
                        user.get("db"),
                    )
                    client[user["db"]].command("dropUser", user["user"])
            return True
        except OperationFailure as exc:
            if exc.code in (13, 18):  # Unauthorized, AuthenticationFailed
                return False
            raise
        finally:
            client.close()

    def _stop_child(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                _terminate(process, self.port, 15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

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

        # ping needs no login: readiness is not mixed up with the credentials' check.
        client = MongoClient(
            credential_url(self.port, None), serverSelectionTimeoutMS=300, connectTimeoutMS=300
        )
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
            try:
                _terminate(process, self.port, timeout)
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
