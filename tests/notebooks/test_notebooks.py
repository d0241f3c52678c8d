"""The example notebooks, run as a newcomer runs them: on a fresh instance.

One platform for the module: ``isomer launch`` in an empty home, so its own embedded
database, its first start (the sample stored, the examples copied into its notebooks
folder) and nothing from the test suite. Each notebook then runs from the copy JupyterLab
shows, in the "Isomer Data (Python 3)" kernel, which finds the platform by itself: the
administrator's way (direct database access, as the launch token's kernels have it), and
for notebook 03 a scientist's (over HTTP with the scientist's own token, as the platform
gives the kernels of a logged-in scientist).
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import pytest
import rasterio
import xarray as xr
from nbclient import NotebookClient

from isomer_data.notebook_examples import RECORD, example_notebooks
from isomer_data.samples import SECOND_VESSEL

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"
START_TIMEOUT = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/isomer/api/status", timeout=5) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as exc:  # 503 while unhealthy: still a status
        return json.loads(exc.read())
    except OSError:
        return None


@contextlib.contextmanager
def fresh_instance(root: Path):
    """A fresh instance, launched as a newcomer launches it; stopped on leaving."""
    home = root / "home"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ISOMER_", "JUPYTER_"))}
    env["ISOMER_HOME"] = str(home)
    log = (home.parent / "launch.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "isomer_data", "launch", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        sample = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, (home.parent / "launch.log").read_text()
            current = status(port)
            sample = (current or {}).get("data", {}).get("sample")
            if sample and sample["state"] != "storing":
                break
            time.sleep(0.5)
        assert sample and sample["state"] == "stored", sample
        instance_dir = home / "instances" / "default"
        yield {
            "env": env,
            "scientist_env": {
                **env,
                "ISOMER_DATA_URL": f"http://127.0.0.1:{port}",
                "ISOMER_DATA_TOKEN": scientist_token(env, port),
            },
            "dir": instance_dir,
            "examples": instance_dir / "notebooks" / "examples",
            "sample": sample,
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def scientist_token(env: dict, port: int) -> str:
    """A scientist created the documented way, logged in through the JSON login."""
    subprocess.run(
        [sys.executable, "-m", "isomer_data", "db", "user", "create-user", "--username",
         "marine", "--role", "scientist", "--password-stdin"],
        input=b"a long enough password\n", env=env, check=True, capture_output=True,
    )  # fmt: skip
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/isomer/api/login",
        data=json.dumps({"username": "marine", "password": "a long enough password"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["token"]


def run(instance, name: str, *, scientist: bool = False) -> tuple[dict, nbformat.NotebookNode]:
    """Execute the instance's copy of a notebook in its folder; the last cell's dict."""
    folder = instance["examples"]
    nb = nbformat.read(folder / name, as_version=4)
    saved = dict(os.environ)
    os.environ.clear()
    # the kernel inherits only what a newcomer's (or a scientist's) kernel has
    os.environ.update(instance["scientist_env" if scientist else "env"])
    # first, before the notebook's own connect(): how the kernel connected at its start
    nb.cells.insert(0, nbformat.v4.new_code_cell("type(isomer).__name__"))
    try:
        NotebookClient(
            nb,
            timeout=180,
            kernel_name="isomer-data",
            resources={"metadata": {"path": str(folder)}},
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    probe = nb.cells.pop(0)
    nb.client = probe["outputs"][0]["data"]["text/plain"]
    last = nb.cells[-1]["outputs"][-1]
    return ast.literal_eval(last["data"]["text/plain"]), nb


def images(nb) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def check_first_start(instance):
    assert instance["sample"]["observations"] > 10_000
    shipped = example_notebooks()
    assert sorted(p.name for p in instance["examples"].iterdir()) == sorted(shipped)
    for name, content in shipped.items():
        assert (instance["examples"] / name).read_bytes() == content
    record = json.loads((instance["dir"] / RECORD).read_text())
    assert sorted(record["copied"]) == sorted(shipped)


def check_explore_voyage(instance):
    summary, nb = run(instance, "01-explore-voyage.ipynb")
    assert nb.client == "'Client'"  # direct database access, as the administrator
    # the sample: own vessel, its companion and two AIS targets; 6 kn over 14 minutes
    assert summary["vessels"] >= 4
    assert summary["median_sog_kn"] == pytest.approx(6.0, abs=0.1)
    assert summary["own_distance_nm"] >= 1.3
    assert images(nb) == 2  # the tracks and the time series


def check_depth_map(instance):
    summary, nb = run(instance, "02-depth-map.ipynb")
    assert summary["soundings"] >= 1680  # both vessels' 840 (and the live replay's)
    assert summary["cells_checked"] > 10 and summary["cells_differing"] == 0
    folder = instance["examples"]
    with rasterio.open(folder / "depth.tif") as src:
        assert src.crs.to_epsg() == 4326 and src.units == ("m",)
        band = src.read(1)
    depth = xr.open_dataset(folder / "depth.nc").depth.values
    np.testing.assert_array_equal(band, depth)
    assert images(nb) == 1


def check_compare_sounders(instance):
    summary, nb = run(instance, "03-compare-sounders.ipynb", scientist=True)
    assert nb.client == "'RemoteClient'"  # over HTTP, as the scientist
    assert set(summary["vessels"]) == {"self", SECOND_VESSEL}
    assert summary["cells_compared"] > 10
    # offsets applied the maps agree; raw, the 0.8 m and 0.5 m transducers differ by 0.3 m
    assert abs(summary["mean_difference_m"]) < 0.05
    assert abs(summary["raw_mean_difference_m"]) == pytest.approx(0.3, abs=0.1)
    assert images(nb) == 1


def test_a_newcomer_runs_every_example_on_a_fresh_instance(tmp_path):
    """One launch for all: the notebooks' kernels are the slow part, not the checks.

    (One test rather than one per notebook: pytest-xdist would spread the tests of a
    module over its workers, and each would launch an instance of its own.)
    """
    with fresh_instance(tmp_path) as instance:
        check_first_start(instance)
        check_explore_voyage(instance)
        check_depth_map(instance)
        check_compare_sounders(instance)


def test_notebooks_are_committed_without_outputs_or_test_hooks():
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = json.loads(path.read_text())
        code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
        assert all(not cell.get("outputs") for cell in code), path
        source = "".join("".join(cell["source"]) for cell in code)
        # nothing that only a test run provides: no fixture values, no test environment
        assert "ISOMER_NOTEBOOK_OUTPUT" not in source and "assert " not in source, path
