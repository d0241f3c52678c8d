"""Post-install steps that pip cannot do: the kernel spec (and front-end assets).

Runs at the end of ``scripts/install``; each step is idempotent and needs no network
beyond the package registries.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNEL_NAME = "isomer-data"


def install_kernel_spec(prefix: str = sys.prefix) -> Path:
    """Install kernels/isomer-data into this environment, bound to this Python."""
    from jupyter_client.kernelspec import KernelSpecManager

    source = ROOT / "kernels" / KERNEL_NAME
    spec = json.loads((source / "kernel.json").read_text())
    spec["argv"][0] = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / KERNEL_NAME
        shutil.copytree(source, staged)
        (staged / "kernel.json").write_text(json.dumps(spec, indent=2))
        target = KernelSpecManager().install_kernel_spec(str(staged), KERNEL_NAME, prefix=prefix)
    return Path(target)


def main() -> int:
    print(f"kernel spec installed: {install_kernel_spec()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
