"""NMEA 0183 decoding against Signal K's own parser, on an instrument-bus mix.

The workload is a generated log of a real instrument bus, not the sample voyage: every
second RMC, GGA, VTG, HDG, DPT, DBT, apparent MWV and VHW, true MWV or MTW in turn, ZDA
every 5 s, an AIS position report, a two-sentence AIS type 5 every 30 s, and a quarter of
the lines (:data:`SLOW_MIX`) of the types that were handed to the per-line decoder before
the batch decoder knew them: a GSV group of three every 2 s, XTE every 2 s, VDR, VPW and
WCV in turn, and a void true-wind MWV (status ``V``) every other second.

Both sides turn every line into Signal K values with the checksum verified: ours is
``decode_batch`` (what ``isomer ingest FILE`` runs: verify, map to Signal K paths, SI
units, time, ObservationColumns) and, as a second row, the same plus Observation objects;
Signal K's is ``@signalk/nmea0183-signalk``'s ``Parser.parse`` per line under node (a delta
per sentence), installed into ``bench/npm`` by ``scripts/install --dev``. Each side times
only the decoding of lines already in memory, best of several passes after a warm-up: CPU
time of the whole process (``time.process_time`` here, ``process.cpuUsage`` in node, so
Arrow's or V8's helper threads count) and wall time (``time.perf_counter``,
``process.hrtime``). Node is started once per round and the rounds interleave, so process
start, imports and reading the file are never timed. On a shared machine the CPU-time
ratio is the one that holds from run to run; wall time follows the other processes.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.results import Result

NPM = Path(__file__).parent / "npm"
START = 1718000000.0  # 2024-06-10T06:13:20Z
# Sentence types that went to the per-line decoder before (counted in the notes).
SLOW_MIX = ("GSV", "VDR", "VPW", "WCV", "XTE", "MWV,V")


def _sum(body: str, start: str = "$") -> str:
    value = 0
    for char in body:
        value ^= ord(char)
    return f"{start}{body}*{value:02X}"


def _lat(lat: float) -> str:
    deg = int(abs(lat))
    return f"{deg:02d}{(abs(lat) - deg) * 60:07.4f},{'N' if lat >= 0 else 'S'}"


def _lon(lon: float) -> str:
    deg = int(abs(lon))
    return f"{deg:03d}{(abs(lon) - deg) * 60:07.4f},{'E' if lon >= 0 else 'W'}"


def _ais(fields: dict) -> list[str]:
    from pyais.encode import encode_dict

    return encode_dict(fields, talker_id="AI", sentence_type="VDM", radio_channel="A")


def workload(seconds: int, seed: int = 183) -> list[str]:
    """``seconds`` of the instrument bus, 13.8 lines a second, a quarter of them SLOW_MIX."""
    import datetime as dt

    rng = random.Random(seed)
    lines: list[str] = []
    add = lines.append
    lat, lon = 50.80, -1.30
    for i in range(seconds):
        t = START + i
        when = dt.datetime.fromtimestamp(t, dt.UTC)
        hms = when.strftime("%H%M%S") + ".00"
        dmy = when.strftime("%d%m%y")
        lat -= 2.2e-5
        lon += 3.1e-5
        pos = f"{_lat(lat)},{_lon(lon)}"
        cog, sog = 135.0 + rng.uniform(-3, 3), 6.0 + rng.uniform(-0.3, 0.3)
        heading = 133.0 + rng.uniform(-2, 2)
        depth = 12.0 + 3 * math.sin(i / 40.0) + rng.uniform(-0.1, 0.1)
        add(_sum(f"GPRMC,{hms},A,{pos},{sog:.1f},{cog:.1f},{dmy},1.5,W,A"))
        add(_sum(f"GPGGA,{hms},{pos},1,09,0.9,12.3,M,47.0,M,,"))
        add(_sum(f"GPVTG,{cog:.1f},T,{cog + 1.5:.1f},M,{sog:.1f},N,{sog * 1.852:.1f},K,A"))
        add(_sum(f"HCHDG,{heading - 0.5:.1f},2.0,E,1.5,W"))
        add(_sum(f"SDDPT,{depth:.1f},0.5,100"))
        feet = depth * 3.28084
        add(_sum(f"SDDBT,{feet:.1f},f,{depth:.1f},M,{depth / 1.8288:.1f},F"))
        add(_sum(f"WIMWV,{40 + rng.uniform(-8, 8):.1f},R,{14 + rng.uniform(-2, 2):.1f},N,A"))
        add(_sum(f"VWVHW,{heading:.1f},T,{heading + 1.5:.1f},M,{sog - 0.4:.1f},N,"
                 f"{(sog - 0.4) * 1.852:.1f},K"))  # fmt: skip
        if i % 2 == 0:
            add(_sum(f"WIMWV,{60 + rng.uniform(-8, 8):.1f},T,{10 + rng.uniform(-2, 2):.1f},N,A"))
            # A GPS reports its satellites every 2 s in three GSV sentences.
            sats = [
                (rng.randrange(1, 33), rng.randrange(5, 90), rng.randrange(360)) for _ in range(11)
            ]
            for k in range(3):
                group = sats[4 * k : 4 * k + 4]
                body = ",".join(
                    f"{p:02d},{e:02d},{a:03d},{rng.randrange(20, 50)}" for p, e, a in group
                )
                add(_sum(f"GPGSV,3,{k + 1},11,{body}"))
            add(_sum(f"GPXTE,A,A,{rng.uniform(0, 0.2):.2f},{'LR'[i % 4 // 2]},N,A"))
        else:
            add(_sum(f"YXMTW,{15 + rng.uniform(-0.2, 0.2):.1f},C"))
            # The true-wind computer has no valid speed through water half of the time.
            add(_sum(f"WIMWV,{60 + rng.uniform(-8, 8):.1f},T,,N,V"))
        if i % 5 == 0:
            add(_sum(f"GPZDA,{hms},{when.day:02d},{when.month:02d},{when.year},00,00"))
        third = i % 3
        if third == 0:
            add(_sum(f"IIVDR,{rng.uniform(0, 360):.1f},T,{rng.uniform(0, 360):.1f},M,"
                     f"{rng.uniform(0, 2):.1f},N"))  # fmt: skip
        elif third == 1:
            add(_sum(f"IIVPW,{rng.uniform(2, 5):.1f},N,{rng.uniform(1, 2.5):.1f},M"))
        else:
            add(_sum(f"GPWCV,{rng.uniform(2, 6):.1f},N,WPT{i // 600:03d},A"))
        mmsi = 235000000 + rng.randrange(40)
        add(_ais({
            "type": rng.choice([1, 3, 18]), "mmsi": mmsi, "lat": lat + rng.uniform(-0.05, 0.05),
            "lon": lon + rng.uniform(-0.05, 0.05), "speed": rng.uniform(0, 15),
            "course": rng.uniform(0, 359), "heading": rng.randrange(360), "status": 0,
        })[0])  # fmt: skip
        if i % 30 == 0:
            lines.extend(_ais({
                "type": 5, "mmsi": mmsi, "imo": 9123456, "callsign": "MXYZ7",
                "shipname": "ISOMER TRADER", "ship_type": 70, "to_bow": 100, "to_stern": 20,
                "to_port": 10, "to_starboard": 10, "draught": 7.4, "destination": "SOUTHAMPTON",
            }))  # fmt: skip
    return lines


def slow_share(lines: list[str]) -> float:
    """The share of lines of the SLOW_MIX types (void MWV counted by its status)."""

    def slow(line: str) -> bool:
        kind = line[3:6]
        return kind in SLOW_MIX or (kind == "MWV" and line.split("*")[0].endswith(",V"))

    return sum(map(slow, lines)) / len(lines)


def batch(lines: list[str]):
    from isomer_data.ingest.fastpath import decode_batch

    return decode_batch(lines)


def batch_objects(lines: list[str]):
    from isomer_data.ingest.fastpath import decode_batch

    return decode_batch(lines).to_observations()


def signalk_rate(log: str, repeat: int) -> dict | None:
    """Signal K's parser on the log file: ``{"lines", "deltas", "rate"}``, or None."""
    node = shutil.which("node")
    if node is None or not (NPM / "node_modules" / "@signalk" / "nmea0183-signalk").is_dir():
        print("@signalk/nmea0183-signalk not installed (scripts/install --dev installs it)")
        return None
    done = subprocess.run(
        [node, str(NPM / "signalk0183_parse.js"), log, str(repeat)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(lines: list[str], repeat: int, rounds: int) -> dict[str, float]:
    """Best rates of each side, wall and CPU time, rounds interleaved (ours, then node)."""
    functions = {"batch": batch, "objects": batch_objects}
    for fn in functions.values():  # warm-up: imports, Arrow kernels, regex compilation
        fn(lines[:2000])
    best = {name: math.inf for name in functions}
    best_cpu = {name: math.inf for name in functions}
    node: list[dict] = []
    with tempfile.NamedTemporaryFile("w", suffix=".nmea") as log:
        log.write("\n".join(lines) + "\n")
        log.flush()
        for _ in range(rounds):
            for _ in range(repeat):
                for name, fn in functions.items():
                    cpu, started = time.process_time(), time.perf_counter()
                    result = fn(lines)
                    best[name] = min(best[name], time.perf_counter() - started)
                    best_cpu[name] = min(best_cpu[name], time.process_time() - cpu)
                    del result  # freeing the output is not decoding (node frees lazily too)
            result = signalk_rate(log.name, repeat)
            if result is not None:
                node.append(result)
    rates = {name: len(lines) / seconds for name, seconds in best.items()}
    rates |= {f"{name}_cpu": len(lines) / seconds for name, seconds in best_cpu.items()}
    if node:
        rates["signalk"] = max(float(r["rate"]) for r in node)
        rates["signalk_cpu"] = max(float(r["cpu_rate"]) for r in node)
        rates["signalk_deltas"] = node[-1]["deltas"]
    return rates


def run(quick: bool) -> list[Result]:
    lines = workload(300 if quick else 7200)
    rates = measure(lines, repeat=1 if quick else 3, rounds=1 if quick else 3)
    share = slow_share(lines)
    notes = (
        f"{len(lines):,} lines, instrument-bus mix, {share:.0%} GSV/VDR/VPW/WCV/XTE/void MWV; "
        "lines in memory, decode timed alone, best of interleaved passes"
    )
    rows = []
    signalk = rates.get("signalk")
    name = "@signalk/nmea0183-signalk Parser.parse, node"
    if signalk is not None:
        rows += [
            Result(
                "NMEA 0183 decode, batch (columns) vs Signal K's parser, CPU time",
                "sentences/s",
                rates["batch_cpu"],
                rates["signalk_cpu"],
                name,
                goal=1.0,
                notes=notes + f"; Signal K made {rates['signalk_deltas']:,} deltas",
            ),
            Result(
                "NMEA 0183 decode, batch (columns) vs Signal K's parser, wall time",
                "sentences/s",
                rates["batch"],
                signalk,
                name,
                notes="same passes; wall time swings with the other processes on the machine",
            ),
            Result(
                "NMEA 0183 decode, batch + Observation objects vs Signal K's parser, CPU time",
                "sentences/s",
                rates["objects_cpu"],
                rates["signalk_cpu"],
                name,
                notes="decode_batch(...).to_observations()",
            ),
        ]
    else:
        rows.append(
            Result(
                "NMEA 0183 decode, batch (columns), instrument-bus mix, CPU time",
                "sentences/s",
                rates["batch_cpu"],
                notes=notes,
            )  # fmt: skip
        )
    for row in rows:
        ratio = "" if row.ratio is None else f" = {row.ratio:.2f}x"
        base = "" if row.baseline is None else f" vs {row.baseline:,.0f}/s"
        print(f"{row.figure}: {row.project:,.0f}/s{base}{ratio}")
    return rows


if __name__ == "__main__":
    run(quick=False)
