"""NMEA 2000 frames on a CAN bus (python-can's virtual bus) arrive live on the hub."""

import asyncio
import time
import uuid

import can
import pytest
from isomer_data.ingest.n2k.formats import can_id

CHANNEL = f"isomer-test-{uuid.uuid4().hex}"


@pytest.fixture
def jp_server_config(jp_server_config):
    """The shared server configuration, plus a CAN bus as the platform's source."""
    jp_server_config["IsomerConfig"]["sources"] = [f"can://virtual/{CHANNEL}"]
    return jp_server_config


async def test_can_frames_arrive_live_on_the_hub(jp_serverapp):
    from nmea2000 import backend

    await jp_serverapp.extension_manager.start_all_extensions()
    platform = jp_serverapp.web_app.settings["isomer"]
    depth = backend.DATABASE.encode("waterDepth", {"depth": 4.25})
    wind = backend.DATABASE.encode("windData", {"windSpeed": 7.0, "windAngle": 0.5, "reference": 2})
    bus = can.Bus(interface="virtual", channel=CHANNEL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for pgn, src, data in ((128267, 9, depth), (130306, 11, wind)):
                bus.send(
                    can.Message(arbitration_id=can_id(3, pgn, src), data=data, is_extended_id=True)
                )
            if platform.live.get("self", "environment.wind.speedApparent"):
                break
            await asyncio.sleep(0.1)
    finally:
        bus.shutdown()
    assert platform.live.get("self", "environment.depth.belowTransducer")[1] == pytest.approx(4.25)
    assert platform.live.get("self", "environment.wind.speedApparent")[1] == pytest.approx(7.0)
    (status,) = platform.ingest.status()
    assert status["kind"] == "can" and status["state"] == "connected"
    assert status["rejected"] == 0
    await platform.ingest.stop()
