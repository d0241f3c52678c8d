"""Where lines come from: serial ports, TCP and UDP feeds, and log files.

Each source is an async iterator of ``(line, received)`` pairs. Network sources run on the
event loop; a serial port is read in a thread (pyserial blocks) that hands lines to the
loop. Queues are bounded: a consumer that falls behind loses the oldest lines, counted in
``dropped``, rather than letting memory grow on a small boat computer. Ports and
connections that go away are reopened with exponential back-off, for ever, because on a
boat the multiplexer is simply switched off and on again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from isomer_data.core.errors import IsomerError

log = logging.getLogger(__name__)

QUEUE_SIZE = 2000
BACKOFF_START, BACKOFF_MAX = 0.25, 10.0


@dataclass
class SourceSpec:
    kind: str  # serial, tcp, udp, file
    target: str  # device, host:port, path
    options: dict = field(default_factory=dict)

    def option(self, name: str, default=None):
        return self.options.get(name, default)


# NMEA 2000 gateway line formats a ``<format>+tcp://`` or ``<format>+udp://`` URL names.
N2K_GATEWAYS = ("ydraw", "actisense", "canboat", "candump")


def parse_source(url: str) -> SourceSpec:
    """``serial:///dev/ttyUSB0?baud=4800``, ``tcp://host:10110``, ``udp://0.0.0.0:10110``,
    ``file:///path/log.nmea?replay=realtime&loop=1`` or a bare file path; NMEA 2000:
    ``can://can0``, ``can://virtual/<channel>``, ``ydraw+tcp://host:port``,
    ``actisense+udp://0.0.0.0:port`` (any of :data:`N2K_GATEWAYS` over tcp or udp)."""
    if "://" not in url:
        return SourceSpec("file", url)
    parts = urlsplit(url)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if parts.scheme == "serial":
        return SourceSpec("serial", parts.path or parts.netloc, options)
    if parts.scheme in ("tcp", "udp"):
        if not parts.hostname or not parts.port:
            raise IsomerError(60001, f"{url}: {parts.scheme}:// needs HOST:PORT")
        return SourceSpec(parts.scheme, f"{parts.hostname}:{parts.port}", options)
    if parts.scheme == "file":
        return SourceSpec("file", parts.path, options)
    if parts.scheme == "can":
        # can://can0 (SocketCAN), can://virtual/<channel> (python-can's virtual bus)
        target = (parts.netloc + parts.path).strip("/")
        if not target:
            raise IsomerError(60201, f"{url}: can:// needs an interface, e.g. can://can0")
        return SourceSpec("can", target, {**options, "format": "can"})
    fmt, _, transport = parts.scheme.partition("+")
    if fmt in N2K_GATEWAYS and transport in ("tcp", "udp"):
        # ydraw+tcp://host:port, actisense+udp://0.0.0.0:port: NMEA 2000 gateways
        if not parts.hostname or not parts.port:
            raise IsomerError(60201, f"{url}: {parts.scheme}:// needs HOST:PORT")
        return SourceSpec(transport, f"{parts.hostname}:{parts.port}", {**options, "format": fmt})
    raise IsomerError(60001, f"{url}: unknown scheme {parts.scheme!r}")


class Source:
    """Common state every source reports: connected or not, lines, drops, last error."""

    def __init__(self, spec: SourceSpec):
        self.spec = spec
        self.state = "starting"
        self.lines = 0
        self.dropped = 0
        self.reconnects = 0
        self.error = ""

    def status(self) -> dict:
        return {
            "kind": self.spec.kind,
            "target": self.spec.target,
            "state": self.state,
            "lines": self.lines,
            "dropped": self.dropped,
            "reconnects": self.reconnects,
            "error": self.error,
        }

    def __aiter__(self) -> AsyncIterator[tuple[str, float]]:
        return self.lines_iter()

    async def lines_iter(self) -> AsyncIterator[tuple[str, float]]:  # pragma: no cover
        raise NotImplementedError
        yield


def _put_dropping_oldest(queue: asyncio.Queue, item, source: Source) -> None:
    if queue.full():
        with contextlib.suppress(asyncio.QueueEmpty):
            queue.get_nowait()
            source.dropped += 1
    queue.put_nowait(item)


class TCPSource(Source):
    async def lines_iter(self):
        host, port = self.spec.target.rsplit(":", 1)
        backoff = BACKOFF_START
        while True:
            self.state = "connecting"
            try:
                reader, writer = await asyncio.open_connection(host, int(port))
            except OSError as exc:
                self.state, self.error = "disconnected", str(exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                self.reconnects += 1
                continue
            self.state, backoff = "connected", BACKOFF_START
            try:
                while True:
                    raw = await reader.readline()
                    if not raw:
                        break
                    self.lines += 1
                    yield raw.decode("ascii", "replace"), time.time()
            except (OSError, asyncio.IncompleteReadError) as exc:
                self.error = str(exc)
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
            self.state = "disconnected"
            self.reconnects += 1
            await asyncio.sleep(backoff)


class UDPSource(Source):
    async def lines_iter(self):
        host, port = self.spec.target.rsplit(":", 1)
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        source = self

        class Protocol(asyncio.DatagramProtocol):
            def datagram_received(self, data, addr):
                now = time.time()
                for line in data.decode("ascii", "replace").splitlines():
                    if line.strip():
                        _put_dropping_oldest(queue, (line, now), source)

        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            Protocol, local_addr=(host, int(port)), reuse_port=True
        )
        self.state = "listening"
        try:
            while True:
                item = await queue.get()
                self.lines += 1
                yield item
        finally:
            transport.close()


class ThreadedSource(Source):
    """A device read by a blocking library in a thread of its own (``_read``), which hands
    what it reads to the event loop through a bounded queue; ``stop`` ends the thread."""

    thread_label = "device"

    async def lines_iter(self):
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        thread = threading.Thread(
            target=self._read,
            args=(loop, queue, stop),
            name=f"{self.thread_label} {self.spec.target}",
            daemon=True,
        )
        thread.start()
        try:
            while True:
                item = await queue.get()
                self.lines += 1
                yield item
        finally:
            stop.set()


class SerialSource(ThreadedSource):
    """A serial port read in a thread; reopened with back-off when it vanishes (USB unplugged)."""

    thread_label = "serial"

    def _read(self, loop, queue, stop: threading.Event) -> None:
        import serial

        baud = int(self.spec.option("baud", 4800))
        backoff = BACKOFF_START
        while not stop.is_set():
            try:
                port = serial.Serial(self.spec.target, baud, timeout=0.5)
            except (serial.SerialException, OSError) as exc:
                self.state, self.error = "disconnected", str(exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                self.reconnects += 1
                continue
            self.state, backoff = "connected", BACKOFF_START
            try:
                with port:
                    while not stop.is_set():
                        raw = port.readline()
                        if not raw:
                            continue  # timeout: lets the thread notice stop
                        item = (raw.decode("ascii", "replace"), time.time())
                        loop.call_soon_threadsafe(_put_dropping_oldest, queue, item, self)
            except (serial.SerialException, OSError) as exc:
                self.state, self.error = "disconnected", str(exc)
                self.reconnects += 1
                stop.wait(backoff)
            except RuntimeError:  # the loop closed under us: shutting down
                return


class FileSource(Source):
    """A log file; ``loop=1`` starts again at the end (the platform's sample replay)."""

    async def lines_iter(self):
        from isomer_data.ingest.framing import open_log

        path = Path(self.spec.target)
        if not path.exists():
            raise IsomerError(60001, f"{path} does not exist")
        repeat = self.spec.option("loop", "0") in ("1", "true", "yes")
        self.state = "reading"
        while True:
            with open_log(path) as handle:
                for line in handle:
                    self.lines += 1
                    yield line, None
                    if self.lines % 512 == 0:
                        await asyncio.sleep(0)  # let the loop breathe on big files
            if not repeat:
                self.state = "finished"
                return


class CANSource(ThreadedSource):
    """A CAN bus through python-can, read in a thread; yields ``(can.Message, received)``.

    ``can://can0`` opens SocketCAN, ``can://virtual/<channel>`` python-can's in-process
    virtual bus (tests, simulators). Reopened with back-off like a serial port.
    """

    thread_label = "can"

    def bus_args(self) -> dict:
        interface, _, channel = self.spec.target.partition("/")
        if interface == "virtual":
            return {"interface": "virtual", "channel": channel or "isomer"}
        return {"interface": "socketcan", "channel": self.spec.target}

    def _read(self, loop, queue, stop: threading.Event) -> None:
        import can

        backoff = BACKOFF_START
        while not stop.is_set():
            try:
                bus = can.Bus(**self.bus_args())
            except (can.CanError, OSError, ValueError) as exc:
                self.state, self.error = "disconnected", str(exc)[:300]
                stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                self.reconnects += 1
                continue
            self.state, backoff = "connected", BACKOFF_START
            try:
                while not stop.is_set():
                    message = bus.recv(0.5)
                    if message is None:
                        continue  # timeout: lets the thread notice stop
                    item = (message, time.time())
                    loop.call_soon_threadsafe(_put_dropping_oldest, queue, item, self)
            except (can.CanError, OSError) as exc:
                self.state, self.error = "disconnected", str(exc)[:300]
                self.reconnects += 1
                stop.wait(backoff)
            except RuntimeError:  # the loop closed under us: shutting down
                return
            finally:
                bus.shutdown()


KINDS = {
    "tcp": TCPSource,
    "udp": UDPSource,
    "serial": SerialSource,
    "file": FileSource,
    "can": CANSource,
}


def open_source(url: str) -> Source:
    spec = parse_source(url)
    return KINDS[spec.kind](spec)
