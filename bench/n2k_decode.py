"""NMEA 2000 file decoding: ours against the ``nmea2000`` package's own decoder loop.

The workload is a canboat plain-text log (what canboat's tools and Signal K record) of a
realistic bus: every second a position (129025), COG/SOG (129026), heading (127250),
wind (130306), depth (128267), a GNSS fix (129029, fast packet) and now and then an AIS
class A report (129038, fast packet). The baseline is ``nmea2000.NMEA2000Decoder`` fed
the same lines one by one (it parses and decodes every field into its message objects);
ours also maps to Signal K paths and builds Observations. The same log goes through
canboat's own decoder, ``@canboat/canboatjs`` under node (``FromPgn.parseString`` per
line, installed into ``bench/npm`` by ``scripts/install --dev``), when node has it.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.results import Result

NPM = Path(__file__).parent / "npm"


def _payload(pgn_id: str, fields: dict) -> bytes:
    from nmea2000 import _canboat, backend

    fields = dict(fields)
    for f in backend.DATABASE.pgn_info(pgn_id).fields:
        if f.field_type == "BINARY" and f.id not in fields:
            fields[f.id] = _canboat.Raw(0)
    return backend.DATABASE.encode(pgn_id, fields)


def workload(seconds: int, changing: bool = False) -> list[str]:
    """``seconds`` of the bus; ``changing``: every value moves every second (a boat under
    way with jittering sensors), so no payload repeats the one before it."""
    t0 = 1718000000.0
    lines = []
    for i in range(seconds):
        t = t0 + i
        stamp = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        j = (i % 97) * 1e-3 if changing else 0.0  # a jitter that changes every second
        msgs = [
            (2, 129025, 3, _payload("positionRapidUpdate", {"latitude": 50 + i * 1e-5, "longitude": -1.0 - j})),
            (2, 129026, 3, _payload("cogSogRapidUpdate", {"cogReference": 0, "cog": 1.0 + j, "sog": 3.0 + j})),
            (2, 127250, 4, _payload("vesselHeading", {"heading": 1.1 + j, "reference": 0})),
            (2, 130306, 5, _payload("windData", {"windSpeed": 6.0 + j, "windAngle": 0.5 + j, "reference": 2})),
            (3, 128267, 6, _payload("waterDepth", {"depth": 10.0 + i % 10 + j, "offset": 0.5})),
            (3, 129029, 3, _payload("gnssPositionData", {"date": 19884, "time": i % 86400, "latitude": 50.0 + j, "longitude": -1.0, "numberOfSvs": 9, "hdop": 0.9})),
        ]  # fmt: skip
        if i % 5 == 0:
            msgs.append(
                (4, 129038, 7, _payload("aisClassAPositionReport", {"messageId": 1, "userId": 244000000 + i % 50, "latitude": 50.1 + j, "longitude": -1.1, "sog": 4.0, "cog": 2.0, "navStatus": 0}))
            )  # fmt: skip
        for prio, pgn, src, data in msgs:
            lines.append(
                f"{stamp},{prio},{pgn},{src},255,{len(data)}," + ",".join(f"{b:02x}" for b in data)
            )
    return lines


def library_loop(lines: list[str]) -> None:
    from nmea2000 import NMEA2000Decoder

    decoder = NMEA2000Decoder(units="si")
    decode = decoder.decode
    for line in lines:
        try:  # noqa: SIM105 - a with-block per line would slow the baseline down
            decode(line)
        except Exception:  # noqa: BLE001 - the baseline swallows bad lines like ours counts them
            pass


def ours_objects(lines: list[str]) -> None:
    from isomer_data.ingest.n2k.decoder import decode_lines

    decode_lines(lines)


def ours_columns(lines: list[str]) -> None:
    from isomer_data.ingest.n2k.decoder import decode_batch

    decode_batch(lines)


def _rates(functions: dict, lines: list[str], repeat: int) -> dict[str, float]:
    """Best rate of each, interleaved (canboatjs too) so a busy machine hurts all alike."""
    for fn in functions.values():  # warm-up: imports, codec templates
        fn(lines[:500])
    best = dict.fromkeys(functions, float("inf"))
    node: list[float] = []
    for _ in range(repeat):
        for name, fn in functions.items():
            started = time.perf_counter()
            fn(lines)
            best[name] = min(best[name], time.perf_counter() - started)
        rate = canboatjs_rate(lines, repeat=1)
        if rate is not None:
            node.append(rate)
    rates = {name: len(lines) / seconds for name, seconds in best.items()}
    if node:
        rates["canboatjs"] = max(node)
    return rates


def canboatjs_rate(lines: list[str], repeat: int) -> float | None:
    """canboatjs lines/s on the same log, or None when node or the package is missing."""
    node = shutil.which("node")
    if node is None or not (NPM / "node_modules" / "@canboat" / "canboatjs").is_dir():
        print("canboatjs not installed (scripts/install --dev installs it into bench/npm)")
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".log") as log:
        log.write("\n".join(lines) + "\n")
        log.flush()
        done = subprocess.run(
            [node, str(NPM / "canboat_decode.js"), log.name, str(repeat)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["decoded"] != len(lines):
        print(f"canboatjs decoded {result['decoded']} of {len(lines)} lines")
    return float(result["rate"])


def run(quick: bool) -> list[Result]:
    logging.getLogger("nmea2000").setLevel(logging.ERROR)
    lines = workload(300 if quick else 3000)
    rates = _rates(
        {"library": library_loop, "objects": ours_objects, "columns": ours_columns},
        lines,
        repeat=1 if quick else 5,
    )
    canboatjs = rates.get("canboatjs")
    moving = _rates(
        {"objects": ours_objects}, workload(300 if quick else 3000, True), 1 if quick else 5
    )
    notes = f"{len(lines):,} canboat plain lines (7 PGNs, 2 fast-packet)"
    rows = [
        Result(
            "NMEA 2000 decode, Decoder → Observations",
            "PGNs/s",
            rates["objects"],
            rates["library"],
            "nmea2000.NMEA2000Decoder loop",
            goal=1.0,
            notes=notes + "; ours also maps to Signal K paths",
        ),
        Result(
            "NMEA 2000 decode, batch to columns (file ingest)",
            "PGNs/s",
            rates["columns"],
            rates["library"],
            "nmea2000.NMEA2000Decoder loop",
            notes=notes,
        ),
    ]
    if canboatjs is not None:
        rows.insert(
            0,
            Result(
                "NMEA 2000 decode, Decoder → Observations vs canboatjs",
                "PGNs/s",
                rates["objects"],
                canboatjs,
                "@canboat/canboatjs FromPgn.parseString (node)",
                goal=1.0,
                notes=notes + "; canboatjs decodes fields only, ours also maps to Signal K",
            ),
        )
    if moving.get("canboatjs") is not None:
        rows.insert(
            1,
            Result(
                "NMEA 2000 decode, Decoder → Observations vs canboatjs, every payload changing",
                "PGNs/s",
                moving["objects"],
                moving["canboatjs"],
                "@canboat/canboatjs FromPgn.parseString (node)",
                goal=1.0,
                notes=notes + "; every value moves every second, so no payload repeats",
            ),
        )
    for row in rows:
        print(f"{row.figure}: {row.project:,.0f}/s vs {row.baseline:,.0f}/s = {row.ratio:.2f}x")
    return rows


if __name__ == "__main__":
    run(quick=False)
