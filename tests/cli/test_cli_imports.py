"""The ``isomer`` tool starts cheaply: every command pays for building the parser.

A boat's small computer runs ``isomer`` from cron, systemd and by hand; and the test suite
runs it as a subprocess some hundred times. Building the parser imports every command
module, so a heavy import at the top of one (jupyter_server pulls in jsonschema, which
builds some 40 grammar parsers when imported: over a second of CPU) is paid by all.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

from isomer_data.cli import launch

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

PARSER = """
from isomer_data.cli.main import build_parser
build_parser().parse_args(["launch", "--no-run"])
"""
# A mistyped time is answered before the export's data libraries are imported.
BAD_EXPORTS = """
import contextlib, io
from isomer_data.cli.main import main
db = ["--db", "mongodb://127.0.0.1:9/x"]
for command in ("csb", "observations"):
    with contextlib.redirect_stderr(io.StringIO()) as err:
        assert main(["export", command, "--start", "yesterday", "-o", "x.json", *db]) == 2
    assert "70101" in err.getvalue(), err.getvalue()
"""


def heavy_imports(code: str, cwd=None) -> list[str]:
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_building_the_command_line_imports_nothing_heavy():
    assert heavy_imports(PARSER) == []


def test_a_bad_export_request_is_refused_before_the_data_libraries_load(tmp_path):
    assert heavy_imports(BAD_EXPORTS, cwd=tmp_path) == []
    assert not any(tmp_path.iterdir())


# What `isomer launch` does before importing jupyter_server; then the same answers as
# jsonschema gives without the stand-in (checked in a process of its own).
IRI_CHECKS = """
import sys
{defer}
import jupyter_server.serverapp
built_at_start = "lark" in sys.modules
from jsonschema import FormatChecker
checker = FormatChecker()
answers = [
    checker.conforms(value, form)
    for value, form in [
        ("http://example.org/ä?x=1", "iri"),
        ("http://a b", "iri"),
        ("../ä#frag", "iri-reference"),
        ("\\\\\\\\bad", "iri-reference"),
    ]
]
import json
print(json.dumps([built_at_start, answers]))
"""


def _iri_checks(defer: str) -> list:
    result = subprocess.run(
        [sys.executable, "-c", IRI_CHECKS.format(defer=defer)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_platform_builds_the_iri_grammar_only_when_an_iri_is_checked():
    deferred = "from isomer_data.server.iri_grammar import defer_iri_grammar\ndefer_iri_grammar()"
    built_at_start, answers = _iri_checks(deferred)
    assert not built_at_start
    assert answers == [True, False, True, False]
    assert _iri_checks("") == [True, answers]  # jsonschema's own, built at import


def test_launch_defers_the_iri_grammar_before_importing_jupyter_server():
    source = inspect.getsource(launch._serve_locked)
    assert source.index("defer_iri_grammar()") < source.index("import ServerApp")
