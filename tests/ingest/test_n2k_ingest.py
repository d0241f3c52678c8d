"""NMEA 2000 end to end: a canboat log through `ingest_log` into the database, frames on
python-can's virtual bus through the live CAN source, and the new source URLs."""

from __future__ import annotations

import asyncio
import uuid

import can
import pytest
from isomer_data.ingest.n2k.formats import can_id
from isomer_data.ingest.pipeline import ingest_log
from isomer_data.ingest.sources import parse_source
from isomer_data.ingest.worker import IngestWorker
from n2k_frames import WRITERS, frames, payload

from isomer_data.core.errors import IsomerError
from isomer_data.store.observations import count_observations

T0 = 1718000000.0
MMSI = 244123456


def voyage() -> list[tuple]:
    """A minute of own-vessel position, depth and wind from two GPSs, and one AIS target."""
    out = []
    for i in range(60):
        t = T0 + i
        out.append(
            (
                t,
                2,
                129025,
                3,
                255,
                payload("positionRapidUpdate", {"latitude": 50 + i * 1e-4, "longitude": -1.0}),
            )
        )
        out.append(
            (
                t,
                2,
                129025,
                5,
                255,
                payload(
                    "positionRapidUpdate", {"latitude": 50 + i * 1e-4 + 1e-6, "longitude": -1.0}
                ),
            )
        )
        out.append(
            (t, 3, 128267, 9, 255, payload("waterDepth", {"depth": 10.0 + i / 10, "offset": 0.5}))
        )
        out.append(
            (
                t,
                2,
                130306,
                11,
                255,
                payload("windData", {"windSpeed": 6.0, "windAngle": 0.5, "reference": 2}),
            )
        )
    out.append((T0 + 30, 4, 129038, 20, 255, payload(
        "aisClassAPositionReport",
        {"messageId": 1, "userId": MMSI, "latitude": 50.01, "longitude": -1.01, "sog": 4.0, "cog": 1.0, "heading": 1.0, "navStatus": 0},
    )))  # fmt: skip
    return out


def test_canboat_log_is_stored_with_own_vessel_and_ais(tmp_path, mongo_db):
    log = tmp_path / "n2k-voyage.log"
    log.write_text("\n".join(line for m in voyage() for line in WRITERS["canboat"](*m)) + "\n")
    result = ingest_log(mongo_db, log)
    assert result.report.rejected_total == 0
    # 60 x (2 positions, 2 depths (belowTransducer, surfaceToTransducer, belowSurface), 2 wind)
    assert result.observations == 60 * (2 + 3 + 2) + 5
    assert count_observations(mongo_db, paths="environment.depth.belowSurface") == 60
    assert count_observations(mongo_db, vessels=f"urn:mrn:imo:mmsi:{MMSI}") == 5
    assert count_observations(mongo_db, paths="navigation.position", vessels="self") == 120
    assert "PGN129025" in result.report.accepted


@pytest.mark.parametrize("fmt", ["actisense", "ydraw", "candump_log"])
def test_every_file_format_is_detected_by_ingest(tmp_path, mongo_db, fmt):
    log = tmp_path / f"{fmt}.log"
    log.write_text("\n".join(line for m in voyage() for line in WRITERS[fmt](*m)) + "\n")
    result = ingest_log(mongo_db, log)
    assert result.report.rejected_total == 0, result.report.format()
    assert result.observations == 60 * 7 + 5


def test_source_urls():
    spec = parse_source("can://can0")
    assert (spec.kind, spec.target, spec.option("format")) == ("can", "can0", "can")
    assert parse_source("can://virtual/bus1").target == "virtual/bus1"
    spec = parse_source("ydraw+tcp://192.0.2.1:1457")
    assert (spec.kind, spec.target, spec.option("format")) == ("tcp", "192.0.2.1:1457", "ydraw")
    spec = parse_source("actisense+udp://0.0.0.0:2000")
    assert (spec.kind, spec.option("format")) == ("udp", "actisense")
    for bad, code in (("ydraw+tcp://nohost", 60201), ("can://", 60201), ("bogus+tcp://h:1", 60001)):
        with pytest.raises(IsomerError) as caught:
            parse_source(bad)
        assert caught.value.code == code


class Collect:
    def __init__(self):
        self.items = []

    def write(self, observations):
        self.items.extend(observations)

    async def tick(self):
        return None

    def flush(self, final=False):
        return None


async def test_frames_on_the_virtual_bus_are_decoded_live():
    channel = f"isomer-{uuid.uuid4().hex}"
    sink = Collect()
    worker = IngestWorker(f"can://virtual/{channel}", sinks=[sink])
    task = asyncio.create_task(worker.run())
    sender = can.Bus(interface="virtual", channel=channel)
    try:
        for _ in range(100):  # until the worker's bus is open
            if worker.source.state == "connected":
                break
            await asyncio.sleep(0.05)
        gnss = payload(
            "gnssPositionData", {"date": 19884, "time": 10, "latitude": 60.25, "longitude": 24.5}
        )
        depth = payload("waterDepth", {"depth": 7.5})
        for pgn, src, data in ((129029, 3, gnss), (128267, 9, depth)):
            for frame in frames(pgn, data):
                sender.send(
                    can.Message(arbitration_id=can_id(3, pgn, src), data=frame, is_extended_id=True)
                )
        for _ in range(200):
            if {o.path for o in sink.items} >= {
                "navigation.position",
                "environment.depth.belowTransducer",
            }:
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        sender.shutdown()
        with pytest.raises(asyncio.CancelledError):
            await task
    values = {o.path: (o.value, o.source) for o in sink.items}
    assert values["environment.depth.belowTransducer"] == (pytest.approx(7.5), "can.9")
    assert values["navigation.position"][0] == {
        "latitude": pytest.approx(60.25),
        "longitude": pytest.approx(24.5),
    }
    assert worker.report.rejected_total == 0


def test_isomer_ingest_reads_an_n2k_log_and_exports_its_values(tmp_path, db_url, capsys):
    """The same `isomer ingest FILE` as for NMEA 0183; `isomer export` gives the values back."""
    import json

    from isomer_data.cli.main import main

    log = tmp_path / "bus.log"
    log.write_text("\n".join(line for m in voyage()[:8] for line in WRITERS["ydraw"](*m)) + "\n")
    assert main(["ingest", str(log), "--db", db_url]) == 0
    printed = capsys.readouterr().out
    assert "PGN128267 2" in printed and "rejected" in printed
    out = tmp_path / "out.jsonl"
    assert main(["export", "observations", "--db", db_url, "-o", str(out), "--path", "environment.depth.belowTransducer"]) == 0  # fmt: skip
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["value"] for r in rows] == [pytest.approx(10.0), pytest.approx(10.1)]


def test_the_further_pgns_are_stored_and_read_back(tmp_path, mongo_db):
    """127237…130314 (beyond the issue's list) through a canboat log into the database: the
    booleans, the switch states, the SAR position with its altitude and the route's
    waypoints come back as the decoder gave them."""
    from test_n2k import CASES, MORE, approx

    from isomer_data.store.observations import query_observations

    cases = [c for c in CASES if c[0] in MORE]
    lines = []
    for i, (pgn, name, fields, sets, *_) in enumerate(cases):
        lines += WRITERS["canboat"](T0 + i, 3, pgn, 7, 255, payload(name, fields, sets))
    log = tmp_path / "n2k-more.log"
    log.write_text("\n".join(lines) + "\n")
    result = ingest_log(mongo_db, log)
    assert result.report.rejected_total == 0
    want: dict = {}
    for *_, vessel, paths in cases:
        for path, value in paths.items():
            want.setdefault((vessel, path), []).append(value)
    assert result.observations == sum(len(v) for v in want.values())
    frame = query_observations(mongo_db)
    got: dict = {}
    for row in frame.itertuples():
        got.setdefault((row.vessel, row.path), []).append(row.value)
    assert got.keys() == want.keys()
    for key, values in want.items():
        assert got[key] == approx(values), key
    # True == 1.0 in Python: the booleans must come back as booleans, the states as numbers
    enabled = got[("self", "electrical.chargers.113.enabled")]
    assert [type(v) for v in enabled] == [bool]
    state = got[("self", "electrical.switches.bank.0.1.state")]
    assert [type(v) for v in state] == [float]
