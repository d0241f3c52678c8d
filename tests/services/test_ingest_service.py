"""The running platform ingests its configured sources into the store and the live state."""

import asyncio
import socket
import threading
import time

import pytest
from isomer_data.ingest.framing import checksum

from isomer_data.store.observations import count_observations


def nmea(body: str) -> str:
    return f"${body}*{checksum(body):02X}\r\n"


@pytest.fixture
def gateway():
    """A loopback NMEA-over-TCP gateway, like a boat's WiFi multiplexer on port 10110."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                second = 0
                while not stop.is_set():
                    body = f"GPRMC,1200{second % 60:02d}.00,A,5048.0000,N,00118.0000,W,6.0,135.0,010524,,"
                    try:
                        conn.sendall((nmea(body) + nmea("SDDBT,,f,7.5,M,,F")).encode())
                    except OSError:
                        break
                    second += 1
                    stop.wait(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{port}"
    stop.set()
    thread.join(5)
    server.close()


@pytest.fixture
def jp_server_config(jp_server_config, gateway):
    """The shared server configuration, plus this test's TCP gateway as a source."""
    jp_server_config["IsomerConfig"]["sources"] = [gateway]
    return jp_server_config


async def test_platform_ingests_configured_tcp_source(jp_serverapp, mongo_db):
    await jp_serverapp.extension_manager.start_all_extensions()
    platform = jp_serverapp.web_app.settings["isomer"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if platform.live.get("self", "environment.depth.belowTransducer"):
            break
        await asyncio.sleep(0.1)
    assert platform.live.get("self", "environment.depth.belowTransducer")[1] == pytest.approx(7.5)
    (status,) = platform.ingest.status()
    assert status["state"] == "connected"
    await platform.ingest.stop()  # flushes the store sink
    assert count_observations(mongo_db, paths="environment.depth.belowTransducer") > 0
