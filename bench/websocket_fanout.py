"""Live fan-out: N websocket clients subscribed to ``navigation.*`` while 50 deltas/s arrive.

Project: the platform (``isomer launch``, embedded database) ingesting NMEA over UDP, the
hub decoding, normalizing and pushing each delta to every client of ``/isomer/ws``.
Baseline: a bare tornado server that reads the same UDP datagrams and broadcasts each one
to every websocket with ``write_message``, nothing else. Same clients, same sender, same
run. Latency is from the UDP send to the client having parsed the message, so it covers
ingest, the live state, the hub and the network stack.

Clients run in two worker processes (one Python process cannot read 50k messages/s and
leave room for the server on a 2-core machine); both sides pay the same client cost.
Goals: 1000 clients at p99 < 100 ms, delivered rate ≥ 0.5× the bare broadcast.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np
import psutil
from isomer_data.ingest.framing import checksum

from bench.results import Result
from isomer_data.database.embedded import free_port

RATE = 50  # deltas per second
_SEQ = [1]  # sequence numbers continue across runs, so a stale value is never counted


def _next_seq() -> int:
    return _SEQ[0]


WORKERS = 2


# ---- the baseline server ----------------------------------------------------------------


def bare_server(port: int, udp_port: int) -> None:
    """A tornado websocket broadcast loop fed by UDP: the least a server can do."""
    import tornado.ioloop
    import tornado.web
    import tornado.websocket

    clients: set = set()

    class Socket(tornado.websocket.WebSocketHandler):
        def open(self):
            self.set_nodelay(True)
            clients.add(self)

        def on_close(self):
            clients.discard(self)

    class Datagrams(asyncio.DatagramProtocol):
        def datagram_received(self, data, addr):
            message = json.dumps({"line": data.decode("ascii", "replace").strip()})
            for client in list(clients):
                with contextlib.suppress(tornado.websocket.WebSocketClosedError):
                    client.write_message(message)

    async def main():
        app = tornado.web.Application([(r"/ws", Socket)])
        app.listen(port, "127.0.0.1")
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(Datagrams, local_addr=("127.0.0.1", udp_port))
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# ---- clients ----------------------------------------------------------------------------


VALUE_RE = re.compile(rb'"navigation\.headingTrue","value":([-0-9.eE+]+)')
LINE_RE = re.compile(rb"HDT,([0-9.]+)")


class RawClient(asyncio.Protocol):
    """A minimal websocket client (RFC 6455) that only records what it receives.

    Library clients cost tens of microseconds per message in Python, so a thousand of them
    would measure the clients, not the server. This one parses frame headers and finds the
    sequence number with one regular expression.
    """

    def __init__(self, host: str, path: str, subscribe: bool, seqs: list, stamps: list):
        self.host, self.path, self.subscribe = host, path, subscribe
        self.seqs, self.stamps = seqs, stamps
        self.buffer = bytearray()
        self.upgraded = False
        self.ready = asyncio.get_running_loop().create_future()
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def send_text(self, text: str, opcode: int = 0x1) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        n = len(payload)
        if n < 126:
            header = bytes([0x80 | opcode, 0x80 | n])
        else:
            header = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
        self.transport.write(header + mask + masked)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buf = self.buffer
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in buf[: buf.find(b"\r\n")]:
                self.ready.set_exception(ConnectionError(bytes(buf[:end]).decode()))
                return
            del buf[: end + 4]
            self.upgraded = True
            if self.subscribe:
                self.send_text(
                    json.dumps(
                        {
                            "component": "live",
                            "action": "subscribe",
                            "data": {"paths": ["navigation.*"], "policy": "instant"},
                            "id": 1,
                        }
                    )
                )
            else:
                self.ready.set_result(None)
        while len(buf) >= 2:
            opcode, length, offset = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, offset = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, offset = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < offset + length:
                return
            payload = bytes(buf[offset : offset + length])
            del buf[: offset + length]
            if opcode == 0x9:  # ping: answer, or the server drops us
                self.send_text(payload.decode("latin-1"), opcode=0xA)
            elif opcode == 0x1:
                self._message(payload, now)

    def _message(self, payload: bytes, now: float) -> None:
        found = False
        for match in VALUE_RE.finditer(payload):  # coalesced deltas carry several
            self.seqs.append(int(round(math.degrees(float(match.group(1))) * 100)))
            self.stamps.append(now)
            found = True
        if found:
            return
        match = LINE_RE.search(payload)
        if match:
            self.seqs.append(int(round(float(match.group(1)) * 100)))
            self.stamps.append(now)
            return
        if not self.ready.done() and b'"id":1' in payload:
            self.ready.set_result(None)


def client_worker(host: str, port: int, path: str, n: int, subscribe: bool, pipe) -> None:
    """Open n clients, report ready, record (seq, receive time) until told to stop."""

    async def main():
        loop = asyncio.get_running_loop()
        seqs: list[int] = []
        stamps: list[float] = []
        clients = []
        for start in range(0, n, 50):
            batch = []
            for _ in range(min(50, n - start)):
                _, client = await loop.create_connection(
                    lambda: RawClient(f"{host}:{port}", path, subscribe, seqs, stamps), host, port
                )
                batch.append(client)
            await asyncio.wait_for(asyncio.gather(*(c.ready for c in batch)), 60)
            clients += batch
        pipe.send("ready")
        await loop.run_in_executor(None, pipe.recv)  # "stop"
        for client in clients:
            client.transport.close()
        pipe.send((np.array(seqs, dtype=np.int64), np.array(stamps)))

    asyncio.run(main())


def _hdt(seq: int) -> bytes:
    body = f"HEHDT,{seq / 100:.2f},T"
    return f"${body}*{checksum(body):02X}\r\n".encode()


def _drive(
    port: int, path: str, n: int, subscribe: bool, udp_port: int, seconds: float, server_pid: int
):
    ctx = multiprocessing.get_context("spawn")
    workers = []
    for i in range(WORKERS):
        parent, child = ctx.Pipe()
        share = n // WORKERS + (1 if i < n % WORKERS else 0)
        proc = ctx.Process(
            target=client_worker,
            args=("127.0.0.1", port, path, share, subscribe, child),
            daemon=True,
        )
        proc.start()
        workers.append((proc, parent))
    for _, pipe in workers:
        if not pipe.poll(300):
            raise RuntimeError("clients did not connect in time")
        pipe.recv()
    time.sleep(1.0)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent: dict[int, float] = {}
    start = time.monotonic()
    rss_samples = []
    seq = first = _next_seq()
    warmup = first + RATE  # the first second: connections settle, caches fill; not measured
    while time.monotonic() - start < seconds + 1.0:
        target = start + (seq - first) / RATE
        delay = target - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        seq += 1
        sent[seq] = time.monotonic()
        sender.sendto(_hdt(seq), ("127.0.0.1", udp_port))
        if seq % RATE == 0:
            with contextlib.suppress(psutil.NoSuchProcess):
                rss_samples.append(psutil.Process(server_pid).memory_info().rss / 2**20)
    time.sleep(1.0)  # let the last deltas arrive
    elapsed = time.monotonic() - start - 1.0 - 1.0  # without warm-up and the final wait
    latencies, received = [], 0
    for proc, pipe in workers:
        pipe.send("stop")
        seqs, stamps = pipe.recv()
        proc.join(10)
        measured = (seqs > warmup) & (seqs <= seq)  # not a value left from an earlier run
        seqs, stamps = seqs[measured], stamps[measured]
        received += len(seqs)
        sent_at = np.array([sent.get(int(s), np.nan) for s in seqs])
        latencies.append((stamps - sent_at) * 1000)
    lat = np.concatenate(latencies) if latencies else np.array([])
    lat = lat[np.isfinite(lat)]
    _SEQ[0] = seq + 1
    expected = (seq - warmup) * n
    return {
        "rate": received / elapsed,
        "delivered": received / expected if expected else 0.0,
        "p50": float(np.percentile(lat, 50)) if len(lat) else float("nan"),
        "p99": float(np.percentile(lat, 99)) if len(lat) else float("nan"),
        "rss": max(rss_samples) if rss_samples else float("nan"),
    }


# ---- servers ----------------------------------------------------------------------------


def _start_platform(home: str, port: int, udp_port: int):
    # Every client connects from 127.0.0.1: lift the per-address cap (a deployment behind a
    # reverse proxy does the same; docs/configuration.md).
    env = {**os.environ, "ISOMER_HOME": home, "ISOMER_WS_MAX_PER_ADDRESS": "5000"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "isomer_data.cli.main",
            "launch",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--source",
            f"udp://127.0.0.1:{udp_port}",
            "--no-sample",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    token = None
    deadline = time.monotonic() + 120
    while token is None:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError("the platform exited during start-up")
        match = re.search(r"token=([0-9a-f]+)", line)
        if match:
            token = match.group(1)
        if time.monotonic() > deadline:
            raise RuntimeError("the platform did not start")
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/isomer/api/status", timeout=2).close()
            break
        except OSError:
            time.sleep(0.3)
    return proc, token


def _start_bare(port: int, udp_port: int):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from bench.websocket_fanout import bare_server; bare_server({port}, {udp_port})",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # it logs every write to a client that just left
        text=True,
    )
    proc.stdout.readline()
    return proc


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def run(quick: bool = False) -> list[Result]:
    sizes = (20, 100) if quick else (100, 1000)
    seconds = 4.0 if quick else 10.0
    results = []
    with tempfile.TemporaryDirectory(prefix="isomer-bench-fanout-") as home:
        port, udp = free_port(), free_port()
        platform, token = _start_platform(home, port, udp)
        bport, budp = free_port(), free_port()
        bare = _start_bare(bport, budp)
        try:
            for n in sizes:
                ours = _drive(
                    port,
                    f"/isomer/ws?token={token}",
                    n,
                    True,
                    udp,
                    seconds,
                    platform.pid,
                )
                base = _drive(bport, "/ws", n, False, budp, seconds, bare.pid)
                note = (
                    f"{RATE} deltas/s for {seconds:.0f} s; delivered {ours['delivered']:.1%} "
                    f"(bare {base['delivered']:.1%})"
                )
                results += [
                    Result(
                        f"hub fan-out, {n} clients: deltas delivered",
                        "deltas/s",
                        ours["rate"],
                        base["rate"],
                        "bare tornado broadcast",
                        goal=0.5,
                        notes=note,
                    ),
                    Result(
                        f"hub fan-out, {n} clients: latency p50",
                        "ms",
                        ours["p50"],
                        base["p50"],
                        "bare tornado broadcast",
                        higher_is_better=False,
                        notes="UDP sentence sent → client parsed the delta",
                    ),
                    Result(
                        f"hub fan-out, {n} clients: latency p99",
                        "ms",
                        ours["p99"],
                        base["p99"],
                        "bare tornado broadcast",
                        higher_is_better=False,
                        notes="goal: < 100 ms at 1000 clients",
                    ),
                    Result(
                        f"hub fan-out, {n} clients: server RSS",
                        "MiB",
                        ours["rss"],
                        base["rss"],
                        "bare tornado broadcast",
                        higher_is_better=False,
                        notes="web server process (platform: jupyter_server + hub, without the "
                        "database child)",
                    ),
                ]
        finally:
            _stop(platform)
            _stop(bare)
    return results
