"""Run the benchmarks and print one Markdown table.

Usage: ``python -m bench [NAME ...] [--quick]``. Each module in ``BENCHMARKS`` exposes
``run(quick: bool) -> list[Result]``; ``--quick`` shrinks workloads so the runner itself can
be smoke-tested.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from bench.results import Result, markdown_table

BENCHMARKS = [
    "bench.embedded_db",
    "bench.idle_memory",
    "bench.ingest_parse",
    "bench.signalk0183",
    "bench.ingest_e2e",
    "bench.n2k_decode",
    "bench.gridding",
    "bench.query",
    "bench.websocket_fanout",
    "bench.fleet",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmark module names (default: all)")
    parser.add_argument("--quick", action="store_true", help="small workloads (smoke test)")
    args = parser.parse_args(argv)
    selected = [m for m in BENCHMARKS if not args.names or any(n in m for n in args.names)]
    results: list[Result] = []
    for name in selected:
        started = time.perf_counter()
        module = importlib.import_module(name)
        rows = module.run(quick=args.quick)
        results.extend(rows)
        print(
            f"# {name}: {len(rows)} figures in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    print(markdown_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
