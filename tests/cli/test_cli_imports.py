"""The ``isomer`` tool starts cheaply: every command pays for building the parser.

A boat's small computer runs ``isomer`` from cron, systemd and by hand; and the test suite
runs it as a subprocess some hundred times. Building the parser imports every command
module, so a heavy import at the top of one (jupyter_server pulls in jsonschema, which
builds some 40 grammar parsers when imported: over a second of CPU) is paid by all.
"""

from __future__ import annotations

import json
import subprocess
import sys

# Each costs from a tenth of a second to over a second of CPU to import; commands that
# need one import it when they run.
HEAVY = (
    "jupyter_server.serverapp",
    "jupyter_client",
    "jupyterlab",
    "jsonschema",
    "pymongo",
    "numpy",
    "pandas",
    "pyarrow",
    "xarray",
)

PROBE = f"""
import json, sys
from isomer_data.cli.main import build_parser
build_parser().parse_args(["launch", "--no-run"])
print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
"""


def test_building_the_command_line_imports_nothing_heavy():
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
