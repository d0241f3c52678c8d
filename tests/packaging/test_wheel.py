"""The wheel, installed (not editable) into an empty virtual environment, runs the platform.

The build runs without build isolation and the install without an index: tests never reach
past loopback. The new environment sees the test environment's third-party packages through
a plain path entry (so nothing is downloaded) but not its editable ``isomer_data`` finder:
everything of ours comes from the wheel.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from isomer_data.database.embedded import free_port

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            ".",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(dist),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = dist.glob("isomer_data-*.whl")
    return found


def test_only_isomer_data_lands_at_the_top_of_site_packages(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"isomer_data", wheel.name.split("-py3")[0].replace(".whl", "") + ".dist-info"}
    for shipped in (
        "isomer_data/ingest/decode.py",
        "isomer_data/ingest/n2k/decoder.py",
        "isomer_data/schemas/user.json",
        "isomer_data/kernels/isomer-data/kernel.json",
        "isomer_data/services/panels/web/index.html",
        "isomer_data/services/panels/web/panels.js",
        "isomer_data/services/panels/web/modules/instruments.js",
        "isomer_data/services/panels/npm/package.json",
        "isomer_data/services/webapps/npm/package-lock.json",
        "isomer_data/services/signalk/unitpreferences/nautical-metric.json",
        "isomer_data/core/modules.py",
        "isomer_data/samples/voyage.nmea",
        "isomer_data/samples/second-wind.nmea",
        "isomer_data/samples/vessels.json",
        "isomer_data/notebooks/01-explore-voyage.ipynb",
        "isomer_data/notebooks/03-compare-sounders.ipynb",
    ):
        assert shipped in names, shipped
    assert not any(name.startswith(("bench/", "tests/", "ingest/")) for name in names)
    assert not any("node_modules" in name for name in names)


def _status(port: int, proc, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/isomer/api/status", timeout=2
            ) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the installed platform did not answer")


def _get(url: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def test_installed_wheel_runs_with_schemas_panels_and_signalk(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Third-party packages from the test environment, as a plain path: its .pth files (our
    # editable install among them) are not processed.
    Path(purelib, "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    where = subprocess.run(
        [
            python,
            "-c",
            "import isomer_data, isomer_data.ingest as i; print(isomer_data.__file__, i.__file__)",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert str(ROOT) not in where and purelib in where

    port, token = free_port(), "wheel-test-token-0123456789"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISOMER_")}
    env.update(ISOMER_HOME=str(tmp_path / "home"), JUPYTER_TOKEN=token)
    # The embedded database is a program of its own (secantusd-py), found on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.Popen(
        [venv / "bin" / "isomer", "launch", "--port", str(port), "--no-sample"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = _status(port, proc)
        assert status["healthy"] is True
        base = f"http://127.0.0.1:{port}"
        code, body = _get(f"{base}/isomer/api/schemas/user", token)
        assert code == 200 and json.loads(body)["schema"]["x-isomer"]
        code, body = _get(f"{base}/isomer/static/panels.js", token)
        assert code == 200 and (b"export" in body or b"function" in body)
        # the crew panels are modules: listed (once started), their scripts from the wheel
        for _ in range(120):
            try:
                code, body = _get(f"{base}/isomer/api/modules/panels", token)
                break
            except urllib.error.HTTPError as exc:  # 503 while the modules start
                assert exc.code == 503 and exc.headers["Retry-After"] == "1"
                time.sleep(0.5)
        panels = {p["id"]: p for p in json.loads(body)["panels"]}
        assert code == 200 and {"instruments", "map", "logbook", "users", "modules"} <= set(panels)
        code, body = _get(f"{base}/isomer/m/instruments/static/instruments.js", token)
        assert code == 200 and b"export function mount" in body
        code, body = _get(f"{base}/signalk", token)
        assert code == 200 and "v1" in json.loads(body)["endpoints"]
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
