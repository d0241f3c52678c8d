"""Post-install steps that pip cannot do: the kernel spec, the crew panels' npm assets and
the offline world basemap built from one of them.

Runs at the end of ``scripts/install``; each step is idempotent and needs no network
beyond the package registries.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

KERNEL_NAME = "isomer-data"


def install_kernel_spec(prefix: str = sys.prefix) -> Path:
    """Install kernels/isomer-data into this environment, bound to this Python."""
    from jupyter_client.kernelspec import KernelSpecManager

    source = Path(str(files("isomer_data.kernels"))) / KERNEL_NAME
    spec = json.loads((source / "kernel.json").read_text())
    spec["argv"][0] = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / KERNEL_NAME
        shutil.copytree(source, staged)
        (staged / "kernel.json").write_text(json.dumps(spec, indent=2))
        target = KernelSpecManager().install_kernel_spec(str(staged), KERNEL_NAME, prefix=prefix)
    return Path(target)


PANELS = Path(str(files("isomer_data.services.panels")))
# npm installs beside the served folder, never inside it: only what the page loads is served.
NPM = PANELS / "npm"
VENDOR_FILES = {
    "maplibre-gl/dist/maplibre-gl.js": "maplibre-gl.js",
    "maplibre-gl/dist/maplibre-gl.css": "maplibre-gl.css",
}

# The offline world basemap's land (Natural Earth via world-atlas), made into tiles below.
BASEMAP_SOURCES = ("world-atlas/land-110m.json", "world-atlas/land-50m.json")


def build_panels() -> Path:
    """Install the panels' npm packages (lock file pinned) and copy what the page loads."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: install Node.js (the crew panels' assets come from npm)")
    vendor = PANELS / "web" / "vendor"
    modules = NPM / "node_modules"
    needed = [*VENDOR_FILES, *BASEMAP_SOURCES]
    if not all((modules / source).exists() for source in needed):
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NPM, check=True
        )
    vendor.mkdir(exist_ok=True)
    for source, target in VENDOR_FILES.items():
        shutil.copyfile(modules / source, vendor / target)
    return vendor


def build_basemap() -> dict:
    """The world basemap pack (vector tiles), rebuilt only when its source is newer."""
    from isomer_data.core.errors import IsomerError
    from isomer_data.tiles.basemap import BASEMAP_FILE, BUILD_VERSION, WORLD_ATLAS
    from isomer_data.tiles.basemap import build_basemap as build
    from isomer_data.tiles.packs import PMTiles

    sources = [WORLD_ATLAS / Path(name).name for name in BASEMAP_SOURCES]
    try:
        version = PMTiles(BASEMAP_FILE).reader.metadata().get("isomer_basemap_version")
    except (IsomerError, ValueError, AttributeError):
        version = None
    if version == BUILD_VERSION and all(
        source.stat().st_mtime <= BASEMAP_FILE.stat().st_mtime for source in sources
    ):
        return {"path": str(BASEMAP_FILE), "bytes": BASEMAP_FILE.stat().st_size, "tiles": None}
    return build()


def install_webapps() -> Path:
    """The Signal K web apps the platform ships (Freeboard-SK, the instrument panel).

    ``npm ci`` from the lock file, scripts off (a web app is files to serve, nothing of it
    runs here); served at ``/<package name>/`` by the platform (``core/webapps.py``).
    """
    from isomer_data.core import webapps

    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: install Node.js (the Signal K web apps come from npm)")
    root = webapps.BUNDLED
    if not all(
        (root / "node_modules" / p / "package.json").exists() for p in webapps.declared(root)
    ):
        subprocess.run(
            [
                npm,
                "ci",
                "--ignore-scripts",
                "--omit=dev",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ],
            cwd=root,
            check=True,
        )
    apps, problems = webapps.find([root])
    if problems:
        raise SystemExit(f"web apps not usable: {problems}")
    return root


def main() -> int:
    print(f"kernel spec installed: {install_kernel_spec()}")
    print(f"panel assets built: {build_panels()}")
    basemap = build_basemap()
    print(f"world basemap: {basemap['path']} ({basemap['bytes'] / 1e6:.1f} MB)")
    print(f"Signal K web apps installed: {install_webapps()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
