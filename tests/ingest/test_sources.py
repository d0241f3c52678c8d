"""Live sources for real: a pseudo-terminal serial port, loopback TCP and UDP."""

import asyncio
import os
import socket
import time

import pytest
from isomer_data.ingest.framing import checksum
from isomer_data.ingest.sources import open_source, parse_source
from isomer_data.ingest.worker import IngestWorker, LiveSink

from isomer_data.core.errors import IsomerError
from isomer_data.services.live.state import LiveState


def nmea(body: str) -> str:
    return f"${body}*{checksum(body):02X}\r\n"


DBT = nmea("SDDBT,24.6,f,7.5,M,4.1,F")


def test_source_urls_are_parsed():
    spec = parse_source("serial:///dev/ttyUSB0?baud=38400")
    assert (spec.kind, spec.target, spec.option("baud")) == ("serial", "/dev/ttyUSB0", "38400")
    assert parse_source("tcp://10.0.0.5:10110").target == "10.0.0.5:10110"
    assert parse_source("udp://0.0.0.0:10110").kind == "udp"
    assert parse_source("/var/log/boat.nmea").kind == "file"
    with pytest.raises(IsomerError, match="60001"):
        parse_source("ftp://x/y")
    with pytest.raises(IsomerError, match="HOST:PORT"):
        parse_source("tcp://nohost")


async def collect(source, count: int, timeout: float = 10.0) -> list[str]:
    lines = []

    async def run():
        async for line, received in source:
            assert received is None or abs(received - time.time()) < 5
            lines.append(line.strip())
            if len(lines) >= count:
                return

    await asyncio.wait_for(run(), timeout)
    return lines


class Pty:
    """A pseudo-terminal pair: we write to the master, pyserial opens the slave's path."""

    def __init__(self, link):
        self.link = link
        self.open()

    def open(self):
        self.master, self.slave = os.openpty()
        if os.path.lexists(self.link):
            os.unlink(self.link)
        os.symlink(os.ttyname(self.slave), self.link)

    def write(self, text: str):
        os.write(self.master, text.encode())

    def close(self):
        os.unlink(self.link)
        os.close(self.master)
        os.close(self.slave)


async def test_serial_port_through_a_pty_reaches_the_live_state(tmp_path):
    pty = Pty(str(tmp_path / "ttyNMEA"))
    live = LiveState()
    worker = IngestWorker(f"serial://{pty.link}?baud=4800", sinks=[LiveSink(live)])
    task = asyncio.create_task(worker.run())
    try:
        for _ in range(100):
            if worker.source.state == "connected":
                break
            await asyncio.sleep(0.05)
        pty.write(nmea("GPRMC,120000.00,A,5048.0000,N,00118.0000,W,6.0,135.0,010524,,") + DBT)
        for _ in range(100):
            if live.get("self", "environment.depth.belowTransducer"):
                break
            await asyncio.sleep(0.05)
        t, value, source = live.get("self", "environment.depth.belowTransducer")
        assert value == pytest.approx(7.5)
        assert source.endswith(".SD")
    finally:
        task.cancel()
        pty.close()


async def test_serial_port_that_disappears_is_reopened(tmp_path):
    pty = Pty(str(tmp_path / "ttyUSB0"))
    source = open_source(f"serial://{pty.link}?baud=38400")
    got: list[str] = []

    async def consume():
        async for line, _ in source:
            got.append(line.strip())

    task = asyncio.create_task(consume())
    try:
        for _ in range(100):
            if source.state == "connected":
                break
            await asyncio.sleep(0.05)
        pty.write(DBT)
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.05)
        pty.close()  # unplugged
        for _ in range(100):
            if source.state == "disconnected":
                break
            await asyncio.sleep(0.05)
        assert source.state == "disconnected"
        pty.open()  # plugged in again
        for _ in range(200):
            if source.state == "connected":
                break
            await asyncio.sleep(0.05)
        pty.write(nmea("SDDBT,,f,9.9,M,,F"))
        for _ in range(100):
            if len(got) >= 2:
                break
            await asyncio.sleep(0.05)
        assert got[0] == DBT.strip()
        assert got[-1] == nmea("SDDBT,,f,9.9,M,,F").strip()
        assert source.reconnects >= 1
    finally:
        task.cancel()
        pty.close()


async def test_tcp_feed_that_drops_is_reconnected():
    connections = []

    async def gateway(reader, writer):
        connections.append(writer)
        writer.write(DBT.encode())
        await writer.drain()
        if len(connections) == 1:
            writer.close()  # the WiFi gateway drops the first connection

    server = await asyncio.start_server(gateway, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    source = open_source(f"tcp://127.0.0.1:{port}")
    lines = await collect(source, 2)
    assert lines == [DBT.strip(), DBT.strip()]
    assert source.reconnects >= 1
    server.close()


async def test_udp_datagrams_on_loopback():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = open_source(f"udp://127.0.0.1:{port}")

    async def send():
        # Send once the source says it listens: a datagram before the bind is lost.
        deadline = time.monotonic() + 30
        while source.state != "listening":
            assert time.monotonic() < deadline, source.status()
            await asyncio.sleep(0.01)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto((DBT + nmea("IIMTW,15.0,C")).encode(), ("127.0.0.1", port))

    sender = asyncio.create_task(send())
    lines = await collect(source, 2)
    await sender
    assert lines[1] == nmea("IIMTW,15.0,C").strip()
