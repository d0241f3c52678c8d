"""NMEA decoding throughput: bare pynmea2 against our per-line and batch decoders.

The workload is the sample voyage (positions, depth, wind, water speed, heading,
temperature, AIS, a few bad lines), repeated: a realistic mix, not the one sentence type
that is cheapest to parse. The baseline only parses (``pynmea2.parse`` per line, errors
swallowed); ours also verifies, normalizes to SI and builds observations, so a ratio of 1
means the whole decode costs what parsing alone costs with pynmea2.
"""

from __future__ import annotations

import time

import pynmea2
from isomer_data.ingest.decode import decode_lines
from isomer_data.ingest.fastpath import decode_batch

from bench.results import Result
from isomer_data.samples.voyage import generate


def workload(copies: int) -> list[str]:
    lines = generate().decode("ascii", "replace").splitlines()
    return lines * copies


def _rates(functions: dict, lines: list[str], repeat: int) -> dict[str, float]:
    """Best rate of each function, interleaved so a busy shared machine hurts all alike."""
    for fn in functions.values():  # warm-up: imports, Arrow kernels, regex compilation
        fn(lines[:500])
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(repeat):
        for name, fn in functions.items():
            started = time.perf_counter()
            fn(lines)
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: len(lines) / seconds for name, seconds in best.items()}


def pynmea2_loop(lines: list[str]) -> None:
    parse = pynmea2.parse
    for line in lines:
        try:  # noqa: SIM105 - a with-block per line would slow the baseline down
            parse(line)
        except (pynmea2.ParseError, ValueError, AttributeError, TypeError):
            pass


def pynmea2_fields(lines: list[str]) -> None:
    """pynmea2 as a decoder would use it: parse, then read every typed field."""
    parse = pynmea2.parse
    for line in lines:
        try:
            message = parse(line)
        except (pynmea2.ParseError, ValueError, AttributeError, TypeError):
            continue
        for field in message.fields:
            try:  # noqa: SIM105 - a with-block per field would slow the baseline down
                getattr(message, field[1])
            except (ValueError, TypeError, AttributeError):
                pass


def per_line(lines: list[str]) -> None:
    for _ in decode_lines(lines):
        pass


def batch(lines: list[str]) -> None:
    decode_batch(lines)


def batch_objects(lines: list[str]) -> None:
    decode_batch(lines).to_observations()


def run(quick: bool) -> list[Result]:
    lines = workload(1 if quick else 6)
    rates = _rates(
        {
            "pynmea2": pynmea2_loop,
            "fields": pynmea2_fields,
            "decoder": per_line,
            "batch": batch,
            "objects": batch_objects,
        },
        lines,
        repeat=1 if quick else 5,
    )
    baseline = rates["pynmea2"]
    notes = f"{len(lines):,} mixed lines (sample voyage)"
    rows = [
        Result(
            "NMEA decode, per-line Decoder",
            "sentences/s",
            rates["decoder"],
            baseline,
            "pynmea2.parse loop",
            goal=1.0,
            notes=notes + "; ours also verifies, converts to SI and builds Observations",
        ),
        Result(
            "NMEA decode, per-line Decoder vs pynmea2 reading fields",
            "sentences/s",
            rates["decoder"],
            rates["fields"],
            "pynmea2.parse + typed field access",
            notes="the work a pynmea2-based decoder would do before normalizing",
        ),
        Result(
            "NMEA decode, batch fast path (columns)",
            "sentences/s",
            rates["batch"],
            baseline,
            "pynmea2.parse loop",
            goal=2.5,
            notes=notes,
        ),
        Result(
            "NMEA decode, batch fast path + Observation objects",
            "sentences/s",
            rates["objects"],
            baseline,
            "pynmea2.parse loop",
            notes="decode_batch(...).to_observations()",
        ),
    ]
    for row in rows:
        print(f"{row.figure}: {row.project:,.0f}/s vs {row.baseline:,.0f}/s = {row.ratio:.2f}x")
    return rows
