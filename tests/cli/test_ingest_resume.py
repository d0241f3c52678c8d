"""A file ingest killed half-way and run again leaves exactly one copy of every observation."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from isomer_data.ingest.fastpath import decode_batch
from isomer_data.ingest.framing import checksum

from isomer_data.store.observations import count_observations, query_observations
from isomer_data.store.soundings import count_soundings


def nmea(body: str) -> str:
    return f"${body}*{checksum(body):02X}"


def write_log(path, seconds: int) -> list[str]:
    lines = []
    for s in range(seconds):
        hh, mm, ss = s // 3600 % 24, s // 60 % 60, s % 60
        lat = 5048.0 + s * 0.0001
        lines.append(
            nmea(f"GPRMC,{hh:02d}{mm:02d}{ss:02d}.00,A,{lat:.4f},N,00118.0000,W,6.0,135.0,020524,,")
        )
        lines.append(nmea(f"SDDBT,,f,{5 + (s % 50) / 10:.1f},M,,F"))
        lines.append(nmea(f"WIMWV,{s % 360}.0,R,10.0,N,A"))
    path.write_text("\n".join(lines) + "\n")
    return lines


class GatedProxy:
    """A TCP relay to the database that the test can close like a gate.

    The ingest runs in another process; with its database traffic relayed by this one, it
    can only make progress while the gate is open *and* this process runs, so "stop it
    after five batches" does not depend on how the machine schedules the two.
    """

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.open = threading.Event()
        self.open.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._relay, args=(src, dst), daemon=True).start()

    def _relay(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                self.open.wait()
                dst.sendall(data)
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()
        self.open.set()  # let the relays see their sockets closed


def test_killed_ingest_resumes_without_loss_or_duplicates(tmp_path, db_url, mongo_db):
    log = tmp_path / "long.nmea"
    lines = write_log(log, 8_000)
    expected = len(decode_batch(lines))
    env = {**os.environ, "ISOMER_INGEST_BATCH": "1000"}
    command = [sys.executable, "-m", "isomer_data", "ingest", str(log), "--db", db_url]
    address, rest = db_url.split("://", 1)[1].split("/", 1)
    login, _, hostport = address.rpartition("@")  # the embedded database wants a login
    host, port = hostport.rsplit(":", 1)
    proxy = GatedProxy(host, int(port))
    login = f"{login}@" if login else ""
    relayed = command[:-1] + [f"mongodb://{login}127.0.0.1:{proxy.port}/{rest}"]
    proc = subprocess.Popen(relayed, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while (mongo_db.ingest_checkpoints.find_one({}) or {}).get("batches_done", 0) < 5:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no five batches in 120 s"
            time.sleep(0.05)
        proxy.open.clear()  # the ingest cannot store anything more from here on
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proxy.close()
    checkpoint = mongo_db.ingest_checkpoints.find_one({})
    assert 5 <= checkpoint["batches_done"] < checkpoint["batches_total"]
    assert not checkpoint.get("finished")
    stored_before = count_observations(mongo_db)
    assert 0 < stored_before < expected

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "already stored before" in rerun.stdout
    assert count_observations(mongo_db) == expected
    frame = query_observations(mongo_db)
    assert len(frame) == expected
    assert not frame.duplicated(["time", "vessel", "path"]).any()
    assert count_soundings(mongo_db) == 8_000
