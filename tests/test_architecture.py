"""The layout the architecture promises: services depend on the core, not in circles."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "isomer_data"
SERVICES = PACKAGE / "services"


def service_imports() -> dict[str, set[str]]:
    """service -> the other services it imports anything from (lazy imports included)."""
    graph: dict[str, set[str]] = {}
    for folder in sorted(p for p in SERVICES.iterdir() if (p / "__init__.py").exists()):
        deps: set[str] = set()
        for source in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text())):
                names = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                for name in names:
                    parts = name.split(".")
                    if parts[:2] == ["isomer_data", "services"] and len(parts) > 2:
                        deps.add(parts[2])
        deps.discard(folder.name)
        graph[folder.name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, done = [], set()

    def visit(node, path):
        if node in path:
            found.append([*path[path.index(node) :], node])
            return
        if node in done:
            return
        for dep in sorted(graph.get(node, ())):
            visit(dep, [*path, node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    return found


def test_no_import_cycle_between_services():
    graph = service_imports()
    assert {"auth", "hub", "live", "objects", "signalk"} <= set(graph)
    assert cycles(graph) == []


def test_the_core_imports_no_service():
    for source in (PACKAGE / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("isomer_data.services"), (source, node.module)


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
