"""Blue/green upgrades of an instance, switched only after the new version proved itself.

Layout, in the instance folder::

    envs/blue/  envs/green/     two virtual environments; the idle one takes the next version
    envs/current -> ...         the environment that runs the instance (a systemd unit runs
                                envs/current/bin/isomer launch)
    envs/state.json             which is current, which previous, and the data snapshot
    envs/upgrade.lock           one upgrade or rollback at a time (flock)
    upgrade/                    the rehearsal: a copy of the data the candidate runs against
    snapshots/<time>-<env>/db   the data as the previous environment left it (for rollback)

Before the first upgrade the instance runs from the installation that runs ``isomer
upgrade`` (recorded as the environment ``external``).

``upgrade``: install into the idle environment (offline, ``pip --no-index``), check its
``isomer`` starts, take a backup, restore it into ``upgrade/`` and run the new version's
migrations there, launch the new version on a spare loopback port against that copy and
check it (status healthy, database open, a self-test that publishes a value on the hub,
receives it back and queries it from the database). Only then: stop the running platform,
copy its data to a snapshot, migrate the live data with the new version, point ``current``
at it and, if the platform ran, start it again from there and check it answers healthy;
if that fails the snapshot, the pointer and the old platform are put back (50307).
A platform restarted by the upgrade runs detached, its output in ``logs/platform.log``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import site
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from isomer_data.core.errors import IsomerError

COLORS = ("blue", "green")
EXTERNAL = "external"
STATE_FILE = "state.json"
STAGING = "upgrade"
SNAPSHOTS = "snapshots"
INSTALL_TIMEOUT = 600
START_TIMEOUT = 180.0
STOP_TIMEOUT = 60.0
SELFTEST_TIMEOUT = 60.0
SELFTEST_VESSEL = "isomer-selftest"
SELFTEST_PATH = "environment.isomerSelfTest"

Log = Callable[[str], None]


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S")


def _tail(text: str, lines: int = 8) -> str:
    kept = [line for line in (text or "").strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])[-1500:]


def _file_tail(path: Path, lines: int = 8) -> str:
    try:
        return _tail(path.read_text(errors="replace"), lines)
    except OSError:
        return ""


class Environments:
    """The blue/green environments of one instance and the record of which runs it."""

    def __init__(self, instance_dir: Path):
        self.instance_dir = Path(instance_dir)
        self.root = self.instance_dir / "envs"

    @property
    def state_path(self) -> Path:
        return self.root / STATE_FILE

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    def prefix(self, name: str, state: dict | None = None) -> Path:
        if name in COLORS:
            return self.root / name
        state = state or self.state()
        return Path(state["envs"][EXTERNAL]["prefix"])

    def state(self) -> dict:
        """The recorded state; before any upgrade, the installation running this code."""
        try:
            text = self.state_path.read_text()
        except FileNotFoundError:
            return {
                "current": EXTERNAL,
                "previous": None,
                "snapshot": None,
                "envs": {EXTERNAL: {"prefix": sys.prefix, "version": _own_version()}},
            }
        except OSError as exc:
            raise IsomerError(50313, f"{self.state_path}: {exc.strerror}") from None
        try:
            state = json.loads(text)
        except ValueError:
            raise IsomerError(50313, f"{self.state_path} is not JSON") from None
        names = (EXTERNAL, *COLORS)
        if not (
            isinstance(state, dict)
            and state.get("current") in names
            and state.get("previous") in (*names, None)
            and isinstance(state.get("envs"), dict)
            and state["current"] in state["envs"]
            and all(
                name in names and isinstance(v, dict) and isinstance(v.get("prefix"), str)
                for name, v in state["envs"].items()
            )
            and (state.get("snapshot") is None or isinstance(state["snapshot"], str))
        ):
            raise IsomerError(50313, f"{self.state_path} does not describe the environments")
        return state

    def save(self, state: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = self.state_path.with_name(STATE_FILE + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(state, out, indent=2)
        os.replace(partial, self.state_path)
        self.point_current(self.prefix(state["current"], state))

    def point_current(self, prefix: Path) -> None:
        """Repoint ``envs/current`` atomically (a new link renamed over the old one)."""
        link = self.current_link
        partial = link.with_name("current.partial")
        partial.unlink(missing_ok=True)
        partial.symlink_to(prefix)
        os.replace(partial, link)

    def idle(self, state: dict) -> str:
        """The environment the next version goes into: never the current one, and not the
        previous one while there is another (so a rollback target survives)."""
        free = [c for c in COLORS if c != state["current"]]
        spare = [c for c in free if c != state.get("previous")]
        return (spare or free)[0]

    def claim_idle(self, state: dict) -> tuple[str, dict]:
        """The idle environment and the state once it is about to be replaced: if it was
        the previous one (the third upgrade replaces the oldest), there is no rollback
        target any more, and the record says so before anything is installed over it."""
        idle = self.idle(state)
        if idle == state.get("previous") or idle in state["envs"]:
            state = {
                **state,
                "previous": None if idle == state.get("previous") else state.get("previous"),
                "snapshot": None if idle == state.get("previous") else state.get("snapshot"),
                "envs": {k: v for k, v in state["envs"].items() if k != idle},
            }
            if self.state_path.exists():
                self.save(state)
        return idle, state

    @contextlib.contextmanager
    def locked(self):
        """One upgrade or rollback of the instance at a time (50305 otherwise)."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.root / "upgrade.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            os.close(fd)
            raise IsomerError(50305, f"process {holder or '?'} holds {path}") from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _own_version() -> str:
    from isomer_data import __version__

    return __version__


def installed_version(prefix: Path) -> str | None:
    """The isomer-data version installed in an environment, read from its metadata (works
    for a build whose code does not import); None if it is only seen through the shared
    dependency path, from another environment."""
    python = Path(prefix) / "bin" / "python"
    if not python.exists():
        return None
    result = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, sys; d = m.distribution('isomer-data'); "
            "print(d.version if str(d.locate_file('')).startswith(sys.prefix) else '')",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=_child_env(),
        stdin=subprocess.DEVNULL,
        cwd="/",  # a source checkout in the working folder would answer for it
    )
    return result.stdout.strip() or None if result.returncode == 0 else None


def _child_env(**extra: str) -> dict:
    """The environment for processes of another installation: no ISOMER_* settings (the
    command passes what it means explicitly) and no Python path of this one."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ISOMER_", "JUPYTER_TOKEN")) and k not in ("PYTHONPATH", "PYTHONHOME")
    }
    env.update(extra)
    return env


def _dependency_paths(exclude: Path) -> list[str]:
    """Where this installation finds its third-party packages: the new environment shares
    them (a wheelhouse can still bring newer ones), so nothing needs a network. Nothing
    under ``exclude`` (the instance's ``envs/``): an environment replaced by a later
    upgrade must not be what another one depends on."""
    paths: list[str] = []
    for folder in site.getsitepackages():
        candidates = [folder]
        shared = Path(folder) / "isomer-deps.pth"
        if shared.is_file():
            candidates += shared.read_text().split()
        for path in candidates:
            if path not in paths and not Path(path).resolve().is_relative_to(exclude.resolve()):
                paths.append(path)
    return paths


def _purelib(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=_child_env(),
        cwd="/",
    )
    return Path(out.stdout.strip())


def install(prefix: Path, target: str, wheelhouse: Path | None, log: Log) -> str:
    """Make a fresh environment at ``prefix`` and install ``target`` (a wheel file, or a
    version found in ``wheelhouse``) offline; returns the version installed."""
    if prefix.exists():
        shutil.rmtree(prefix)
    log(f"installing {target} into {prefix}")
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(prefix)],
            check=True,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
        python = prefix / "bin" / "python"
        purelib = _purelib(python)
        (purelib / "isomer-deps.pth").write_text("\n".join(_dependency_paths(prefix.parent)) + "\n")
        # The embedded database is a program of this installation: the new one finds it
        # beside its Python, as an installation with the [embedded] extra would.
        database = Path(sys.executable).with_name("secantusd-py")
        database = database if database.exists() else shutil.which("secantusd-py")
        if database:
            (prefix / "bin" / "secantusd-py").symlink_to(Path(database).resolve())
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        raise IsomerError(50300, f"creating {prefix}: {_tail(detail)}") from None
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index"]
    # --ignore-installed: the isomer-data seen through the shared path is another
    # environment's, never "already satisfied" (and never uninstalled: it is outside).
    command += ["--no-deps", "--ignore-installed", "-q", "--disable-pip-version-check"]
    if wheelhouse is not None:
        command += ["--find-links", str(wheelhouse)]
    command.append(target)
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise IsomerError(50300, f"pip took more than {INSTALL_TIMEOUT} s") from None
    if result.returncode != 0:
        raise IsomerError(50300, _tail(result.stderr or result.stdout))
    version = installed_version(prefix)
    if not version:
        raise IsomerError(50300, f"{target} did not install isomer-data into {prefix}")
    return version


def resolve_target(to: str | None, wheelhouse: Path | None) -> str:
    """What pip installs: a wheel file, or ``isomer-data==VERSION`` from the wheelhouse."""
    if to and (to.endswith(".whl") or os.sep in to):
        path = Path(to).expanduser()
        if not path.is_file():
            raise IsomerError(50304, f"{path} is not a file")
        return str(path.resolve())
    if wheelhouse is None or not wheelhouse.is_dir():
        raise IsomerError(50304, f"no wheel file given and no wheelhouse folder ({wheelhouse})")
    if to:
        if not all(c.isalnum() or c in ".+-!" for c in to):
            raise IsomerError(50304, f"{to!r} is neither a wheel file nor a version")
        return f"isomer-data=={to}"
    return "isomer-data"


def _run_isomer(prefix: Path, args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(prefix / "bin" / "isomer"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_child_env(),
        stdin=subprocess.DEVNULL,
        cwd="/",
    )


def check_starts(prefix: Path) -> None:
    try:
        result = _run_isomer(prefix, ["--version"], timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise IsomerError(50301, str(exc)) from None
    if result.returncode != 0:
        raise IsomerError(50301, _tail(result.stderr or result.stdout, 3))


def migrate_with(prefix: Path, home: Path, instance: str, code: int) -> str:
    """Run ``isomer migrate`` of the environment at ``prefix`` on an instance."""
    try:
        result = _run_isomer(prefix, ["migrate", "--home", str(home), "--instance", instance])
    except (OSError, subprocess.SubprocessError) as exc:
        raise IsomerError(code, str(exc)) from None
    if result.returncode != 0:
        raise IsomerError(code, _tail(result.stderr or result.stdout, 4))
    return result.stdout


# --- a platform process ----------------------------------------------------------------


def start_platform(
    prefix: Path, home: Path, instance: str, log_path: Path, extra: list[str], token: str = ""
) -> subprocess.Popen:
    """``isomer launch`` of an environment, detached (its own session), output to a file."""
    log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = _child_env(JUPYTER_TOKEN=token) if token else _child_env()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "ab") as sink:
        return subprocess.Popen(
            [
                str(prefix / "bin" / "isomer"),
                "launch",
                "--home",
                str(home),
                "--instance",
                instance,
                *extra,
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd="/",
        )


def stop_process(pid: int, timeout: float = STOP_TIMEOUT) -> bool:
    """SIGTERM, then wait for it to end; True when it did."""
    from isomer_data.database.embedded import pid_alive

    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
        if not pid_alive(pid):
            return True
        time.sleep(0.2)
    return False


def stop_popen(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_healthy(base: str, proc: subprocess.Popen | None, timeout: float, log_path: Path) -> dict:
    """The status of a starting platform once it answers; raises ValueError saying why not."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ValueError(f"it exited with status {proc.returncode}: {_file_tail(log_path, 4)}")
        try:
            with urllib.request.urlopen(f"{base}/isomer/api/status", timeout=5) as reply:
                status = json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            try:
                status = json.loads(exc.read())
            except ValueError:
                status = {"healthy": False, "problem": f"HTTP {exc.code}"}
        except (OSError, ValueError):
            time.sleep(0.5)
            continue
        if status.get("healthy") is True:
            return status
        raise ValueError(f"its status is unhealthy: {status.get('problem') or status}")
    raise ValueError(f"it did not answer within {timeout:.0f} s")


def self_test(base: str, token: str, timeout: float = SELFTEST_TIMEOUT) -> None:
    """Ingest → hub → query through the platform's own interfaces; ValueError if not."""
    import asyncio

    asyncio.run(_self_test(base, token, timeout))


async def _self_test(base: str, token: str, timeout: float) -> None:
    import asyncio
    import io

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    value = float(secrets.randbelow(10**9)) / 1000
    context = f"vessels.{SELFTEST_VESSEL}"
    headers = {"Authorization": f"token {token}"}
    deadline = time.monotonic() + timeout

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ValueError("the self-test did not finish in time")
        return remaining

    try:
        ws = await asyncio.wait_for(
            websocket_connect(
                HTTPRequest(base.replace("http", "ws", 1) + "/isomer/ws", headers=headers)
            ),
            left(),
        )
    except Exception as exc:  # OSError, TimeoutError, tornado's own errors
        raise ValueError(f"hub: cannot connect ({type(exc).__name__}: {exc})") from None
    try:

        async def call(component: str, action: str, data: dict, ident: int) -> dict:
            ws.write_message(
                json.dumps({"component": component, "action": action, "data": data, "id": ident})
            )
            while True:
                text = await asyncio.wait_for(ws.read_message(), left())
                if text is None:
                    raise ValueError("hub: the connection closed")
                message = json.loads(text)
                if message.get("id") == ident:
                    if "error" in message:
                        raise ValueError(f"hub: {component}/{action}: {message['error']}")
                    return message

        await call(
            "live",
            "subscribe",
            {"context": context, "paths": [SELFTEST_PATH], "policy": "instant"},
            1,
        )
        delta = {
            "context": context,
            "updates": [
                {
                    "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                    "values": [{"path": SELFTEST_PATH, "value": value}],
                }
            ],
        }
        reply = await call("live", "publish", delta, 2)
        if reply.get("data", {}).get("accepted") != 1:
            raise ValueError(f"ingest: the hub did not accept the value: {reply}")
        while True:
            try:
                text = await asyncio.wait_for(ws.read_message(), left())
            except TimeoutError:
                raise ValueError(
                    "ingest: the value the hub took was not pushed back in time"
                ) from None
            if text is None:
                raise ValueError("hub: the connection closed before the value came back")
            message = json.loads(text)
            if message.get("action") != "delta":
                continue
            values = [
                v.get("value")
                for update in message.get("data", {}).get("updates", [])
                for v in update.get("values", [])
            ]
            if value in values:
                break
    finally:
        ws.close()

    import pyarrow.parquet as pq

    url = f"{base}/isomer/api/data/observations?path={SELFTEST_PATH}&vessel={SELFTEST_VESSEL}"
    while True:
        try:
            body = await asyncio.to_thread(_fetch, url, headers)
        except OSError as exc:
            raise ValueError(f"query: {exc}") from None
        numbers = pq.read_table(io.BytesIO(body)).column("number").to_pylist()
        if value in numbers:
            return
        if time.monotonic() + 1 > deadline:
            raise ValueError("query: the value sent through the hub was not stored")
        await asyncio.sleep(1)


def _fetch(url: str, headers: dict) -> bytes:
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        return r.read()


# --- the upgrade -----------------------------------------------------------------------


def _require_embedded(config) -> None:
    if config.db_url:
        raise IsomerError(50308, f"instance {config.instance!r} uses {config.database_name!r}")


def _spare_port() -> int:
    from isomer_data.database.embedded import free_port

    return free_port()


def rehearse(config, prefix: Path, version: str, log: Log) -> Path:
    """Backup, copy, migrate and health-check ``prefix`` against the copy. Returns the
    backup written. Raises 50302/50303 leaving the live instance as it was."""
    from traitlets.config import Config

    from isomer_data import backups
    from isomer_data.config import IsomerConfig, write_config_file
    from isomer_data.database import open_database

    output = config.backup_dir / (
        f"{config.instance}-{_stamp()}-pre-upgrade-{version}{backups.SUFFIX}"
    )
    config.backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open_database(config) as database:
        backups.create_backup(config, database.db, output)
    log(f"backup written: {output}")

    staging_home = config.instance_dir / STAGING
    if staging_home.exists():
        shutil.rmtree(staging_home)
    values = backups.backup_config_values(output)
    port = _spare_port()
    # The copy must not read the boat's serial ports or replay the sample: the running
    # platform still owns them. It listens on loopback only.
    values.update(sources=[], sample=False, backup_interval=0, port=port, host="127.0.0.1")
    values.pop("db_port", None)
    staged = IsomerConfig(
        config=Config({"IsomerConfig": {"instance": config.instance, "home": str(staging_home)}}),
        file_values=values,
    )
    staged.instance_dir.mkdir(parents=True, mode=0o700)
    manifest = backups.verify_backup(output)
    with open_database(staged) as database:
        backups.restore_backup(output, database.db, staged.instance_dir, manifest=manifest)
    write_config_file(staged.config_file, values)
    migrated = migrate_with(prefix, staging_home, config.instance, 50302)
    for line in migrated.splitlines():
        log(line)

    token = secrets.token_urlsafe(24)
    log_path = config.log_dir / "upgrade-candidate.log"
    log_path.unlink(missing_ok=True)
    log(f"starting {version} on 127.0.0.1:{port} against the copy (log: {log_path})")
    proc = start_platform(prefix, staging_home, config.instance, log_path, [], token)
    base = f"http://127.0.0.1:{port}"
    try:
        status = wait_healthy(base, proc, START_TIMEOUT, log_path)
        if status.get("version") != version:
            raise ValueError(f"it reports version {status.get('version')}, not {version}")
        self_test(base, token)
    except ValueError as exc:
        raise IsomerError(50303, f"{exc} (log: {log_path})") from None
    finally:
        stop_popen(proc)
    log("health check passed: status healthy, database open, ingest → hub → query")
    return output


def _stop_running(config, log: Log) -> dict | None:
    """Stop the instance's platform if it runs; returns what ran (None: nothing)."""
    from isomer_data.cli.instance_lock import running_platform
    from isomer_data.instances import in_use

    running = running_platform(config.instance_dir)
    if running:
        log(f"stopping the platform (process {running['pid']}, {running['url']})")
        if not running.get("pid") or not stop_process(int(running["pid"]), STOP_TIMEOUT):
            raise IsomerError(50309, f"process {running.get('pid')} is still running")
        deadline = time.monotonic() + STOP_TIMEOUT
        while running_platform(config.instance_dir) and time.monotonic() < deadline:
            time.sleep(0.2)
    user = in_use(config)
    if user:
        raise IsomerError(50309, user)
    return running


def _restart(config, prefix: Path, log: Log) -> subprocess.Popen:
    """Start the instance's platform from ``prefix`` (its own configuration) and wait for
    it to answer healthy on the instance's port; ValueError otherwise."""
    log_path = config.log_dir / "platform.log"
    proc = start_platform(prefix, Path(config.home), config.instance, log_path, [])
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::", "") else config.host
    try:
        wait_healthy(f"http://{host}:{config.port}", proc, START_TIMEOUT, log_path)
    except ValueError:
        stop_popen(proc)
        raise
    log(f"platform running from {prefix} (process {proc.pid}, log: {log_path})")
    return proc


def _snapshot_dir(config, name: str) -> Path:
    root = config.instance_dir / SNAPSHOTS
    root.mkdir(exist_ok=True, mode=0o700)
    return root / f"{_stamp()}-{name}"


def _copy_tree(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copytree(src, dst, symlinks=True)


def upgrade(config, to: str | None, wheelhouse: Path | None, log: Log = print) -> dict:
    """Upgrade ``config``'s instance; see the module's docstring. Returns the new state."""
    from isomer_data.instances import exists

    if not exists(config):
        raise IsomerError(50101, f"{config.instance} (in {config.home})")
    _require_embedded(config)
    target = resolve_target(to, wheelhouse)
    envs = Environments(config.instance_dir)
    with envs.locked():
        idle, state = envs.claim_idle(envs.state())
        prefix = envs.prefix(idle)
        version = install(prefix, target, wheelhouse, log)
        check_starts(prefix)
        log(f"installed isomer-data {version} into {idle}; rehearsing on a copy of the data")
        staging = config.instance_dir / STAGING
        try:
            rehearse(config, prefix, version, log)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return _switch(config, envs, state, idle, version, log)


def _switch(config, envs: Environments, state: dict, new: str, version: str, log: Log) -> dict:
    old = state["current"]
    old_prefix = envs.prefix(old, state)
    running = _stop_running(config, log)
    snapshot = config.instance_dir / SNAPSHOTS / f"{_stamp()}-{old}"
    try:
        snapshot = _snapshot_dir(config, old)
        if config.db_dir.exists():
            _copy_tree(config.db_dir, snapshot / "db")
        else:
            snapshot.mkdir(parents=True, mode=0o700)
    except OSError as exc:  # a full disk, most likely: the old version goes back to work
        shutil.rmtree(snapshot, ignore_errors=True)
        if running:
            with contextlib.suppress(ValueError):
                _restart(config, old_prefix, log)
        raise IsomerError(50314, f"{snapshot}: {exc.strerror or exc}") from None
    log(f"data snapshot of {old}: {snapshot}")
    new_prefix = envs.prefix(new)
    try:
        migrate_with(new_prefix, Path(config.home), config.instance, 50310)
        new_state = {
            "current": new,
            "previous": old,
            "snapshot": str(snapshot.relative_to(config.instance_dir)),
            "envs": {
                **{k: v for k, v in state["envs"].items() if k != new},
                new: {"prefix": str(new_prefix), "version": version, "installed": _stamp()},
            },
        }
        envs.save(new_state)
        if running:
            _restart(config, new_prefix, log)
    except (IsomerError, ValueError, OSError) as exc:
        log(f"switching failed ({exc}); putting {old} back")
        _put_back(config, envs, state, snapshot, old_prefix, bool(running), log)
        raise IsomerError(50307, str(exc).splitlines()[0]) from None
    _prune_snapshots(config, keep=snapshot)
    log(f"switched instance {config.instance!r} to isomer-data {version} ({new})")
    return new_state


def _put_back(config, envs, state, snapshot: Path, prefix: Path, restart: bool, log: Log):
    with contextlib.suppress(IsomerError):
        _stop_running(config, log)
    if (snapshot / "db").exists():
        shutil.rmtree(config.db_dir, ignore_errors=True)
        _copy_tree(snapshot / "db", config.db_dir)
    if envs.state_path.exists():
        envs.save(state)
    shutil.rmtree(snapshot, ignore_errors=True)  # the data is back where it was
    if restart:
        with contextlib.suppress(ValueError):
            _restart(config, prefix, log)


def _prune_snapshots(config, keep: Path) -> None:
    """Only the snapshot the state names is kept: one rollback, not a history (backups
    are the history)."""
    root = config.instance_dir / SNAPSHOTS
    for child in root.iterdir():
        if child != keep and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)


def rollback(config, log: Log = print) -> dict:
    """Return to the previous environment and its data snapshot. The data the newer version
    had becomes the snapshot, so a second rollback returns to it."""
    from isomer_data.instances import exists

    if not exists(config):
        raise IsomerError(50101, f"{config.instance} (in {config.home})")
    _require_embedded(config)
    envs = Environments(config.instance_dir)
    with envs.locked():
        state = envs.state()
        previous = state.get("previous")
        snapshot = config.instance_dir / (state.get("snapshot") or "")
        if not previous or not state.get("snapshot") or not (snapshot / "db").is_dir():
            raise IsomerError(50306, f"no previous environment with a data snapshot in {envs.root}")
        prefix = envs.prefix(previous, state)
        if not (prefix / "bin" / "isomer").exists():
            raise IsomerError(50306, f"the previous environment {prefix} is gone")
        current = state["current"]
        running = _stop_running(config, log)
        kept = _snapshot_dir(config, current)
        kept.mkdir(parents=True, mode=0o700)
        if config.db_dir.exists():
            os.replace(config.db_dir, kept / "db")
        os.replace(snapshot / "db", config.db_dir)
        shutil.rmtree(snapshot, ignore_errors=True)
        new_state = {
            **state,
            "current": previous,
            "previous": current,
            "snapshot": str(kept.relative_to(config.instance_dir)),
        }
        envs.save(new_state)
        log(f"rolled back to {previous} ({state['envs'][previous].get('version')}) and its data")
        if running:
            try:
                _restart(config, prefix, log)
            except ValueError as exc:
                raise IsomerError(50307, f"after the rollback: {exc}") from None
        return new_state


def status(config) -> dict:
    """Both environments, which runs the instance, the snapshot and the running platform."""
    from isomer_data.instances import state as platform_state

    envs = Environments(config.instance_dir)
    state = envs.state()
    rows = []
    for name in (*COLORS, EXTERNAL):
        if name == EXTERNAL and name not in state["envs"]:
            continue
        prefix = envs.prefix(name, state)
        rows.append(
            {
                "name": name,
                "prefix": str(prefix),
                "installed": bool(prefix and (prefix / "bin" / "python").exists()),
                "version": installed_version(prefix) if prefix else None,
                "role": "current"
                if state["current"] == name
                else "previous"
                if state.get("previous") == name
                else "idle",
            }
        )
    return {
        "instance": config.instance,
        "environments": rows,
        "current_link": str(envs.current_link),
        "snapshot": state.get("snapshot"),
        "platform": platform_state(config),
    }
