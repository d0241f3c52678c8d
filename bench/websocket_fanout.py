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

from bench.results import Result
from ingest.framing import checksum
from isomer_data.database.embedded import free_port

RATE = 50  # deltas per second
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


def _seq_from(message: dict) -> int | None:
    if "line" in message:  # baseline: the raw sentence
        return int(round(float(message["line"].split(",")[1]) * 100))
    if message.get("action") != "delta":
        return None
    for update in message["data"]["updates"]:
        for value in update["values"]:
            if value["path"] == "navigation.headingTrue":
                return int(round(math.degrees(value["value"]) * 100))
    return None


def client_worker(url: str, n: int, subscribe: bool, pipe) -> None:
    """Open n clients, report ready, record (seq, receive time) until told to stop."""
    import tornado.websocket

    async def main():
        seqs: list[int] = []
        stamps: list[float] = []
        conns = []

        async def open_one():
            conn = await tornado.websocket.websocket_connect(url, max_message_size=1 << 22)
            if subscribe:
                await conn.read_message()  # hello
                await conn.write_message(
                    json.dumps(
                        {
                            "component": "live",
                            "action": "subscribe",
                            "data": {"paths": ["navigation.*"], "policy": "instant"},
                            "id": 1,
                        }
                    )
                )
                while True:
                    reply = json.loads(await conn.read_message())
                    if reply.get("id") == 1:
                        break
            conns.append(conn)

        for start in range(0, n, 50):
            await asyncio.gather(*(open_one() for _ in range(min(50, n - start))))
        recording = True

        async def read(conn):
            while recording:
                raw = await conn.read_message()
                if raw is None:
                    return
                now = time.monotonic()
                seq = _seq_from(json.loads(raw))
                if seq is not None:
                    seqs.append(seq)
                    stamps.append(now)

        readers = [asyncio.create_task(read(c)) for c in conns]
        pipe.send("ready")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, pipe.recv)  # "stop"
        recording = False
        for conn in conns:
            conn.close()
        for task in readers:
            task.cancel()
        pipe.send((np.array(seqs, dtype=np.int64), np.array(stamps)))

    asyncio.run(main())


def _hdt(seq: int) -> bytes:
    body = f"HEHDT,{seq / 100:.2f},T"
    return f"${body}*{checksum(body)}\r\n".encode()


def _drive(url: str, n: int, subscribe: bool, udp_port: int, seconds: float, server_pid: int):
    ctx = multiprocessing.get_context("spawn")
    workers = []
    for i in range(WORKERS):
        parent, child = ctx.Pipe()
        share = n // WORKERS + (1 if i < n % WORKERS else 0)
        proc = ctx.Process(target=client_worker, args=(url, share, subscribe, child), daemon=True)
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
    seq = 0
    while time.monotonic() - start < seconds:
        target = start + seq / RATE
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
    elapsed = time.monotonic() - start
    latencies, received = [], 0
    for proc, pipe in workers:
        pipe.send("stop")
        seqs, stamps = pipe.recv()
        proc.join(10)
        received += len(seqs)
        sent_at = np.array([sent.get(int(s), np.nan) for s in seqs])
        latencies.append((stamps - sent_at) * 1000)
    lat = np.concatenate(latencies) if latencies else np.array([])
    lat = lat[np.isfinite(lat)]
    expected = seq * n
    return {
        "rate": received / elapsed,
        "delivered": received / expected if expected else 0.0,
        "p50": float(np.percentile(lat, 50)) if len(lat) else float("nan"),
        "p99": float(np.percentile(lat, 99)) if len(lat) else float("nan"),
        "rss": max(rss_samples) if rss_samples else float("nan"),
    }


# ---- servers ----------------------------------------------------------------------------


def _start_platform(home: str, port: int, udp_port: int):
    env = {**os.environ, "ISOMER_HOME": home}
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
                    f"ws://127.0.0.1:{port}/isomer/ws?token={token}",
                    n,
                    True,
                    udp,
                    seconds,
                    platform.pid,
                )
                base = _drive(f"ws://127.0.0.1:{bport}/ws", n, False, budp, seconds, bare.pid)
                note = (
                    f"{RATE} deltas/s for {seconds:.0f} s; delivered {ours['delivered']:.1%} "
                    f"(bare {base['delivered']:.1%})"
                )
                results += [
                    Result(
                        f"hub fan-out, {n} clients: messages delivered",
                        "msg/s",
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
