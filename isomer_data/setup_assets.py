"""Post-install steps that pip cannot do: kernel spec and front-end assets.

Runs at the end of ``scripts/install``; each step is idempotent and offline after setup.
"""

from __future__ import annotations

import sys


def main() -> int:
    steps: list = []
    for step in steps:
        step()
    return 0


if __name__ == "__main__":
    sys.exit(main())
