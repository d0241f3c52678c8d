"""Idle memory of the platform (server + database child) beside a bare ``jupyter server``.

Boats run this on small computers, so the cost the platform adds over Jupyter itself is
the figure that matters; both are started the same way, as subprocesses on loopback.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import psutil

from bench.results import Result
from isomer_data.database.embedded import free_port

SETTLE_SECONDS = 5.0


def _tree_rss(pid: int) -> float:
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += child.memory_info().rss
    return total / 2**20


def _measure(command: list[str], url: str, env: dict, settle: float) -> float:
    proc = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{command[0:3]} exited with {proc.returncode}")
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError as exc:
                if getattr(exc, "code", None):  # an HTTP error still means it answers
                    break
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        time.sleep(settle)
        return _tree_rss(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)


def run(quick: bool = False) -> list[Result]:
    settle = 1.0 if quick else SETTLE_SECONDS
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ISOMER_HOME": tmp, "JUPYTER_RUNTIME_DIR": tmp}
        env.pop("ISOMER_DB", None)
        port = free_port()
        platform = _measure(
            [sys.executable, "-m", "isomer_data", "launch", "--port", str(port), "--no-sample"],
            f"http://127.0.0.1:{port}/isomer/api/status",
            env,
            settle,
        )
        port = free_port()
        bare_cmd = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={tmp}",
        ]
        if os.geteuid() == 0:
            bare_cmd.append("--allow-root")
        bare = _measure(bare_cmd, f"http://127.0.0.1:{port}/api", env, settle)
    return [
        Result(
            "idle RSS: platform (server + database child)",
            "MiB",
            platform,
            baseline=bare,
            baseline_name="bare jupyter server",
            higher_is_better=False,
            notes="ratio = bare / platform",
        )
    ]
