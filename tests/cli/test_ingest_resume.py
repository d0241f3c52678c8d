"""A file ingest killed half-way and run again leaves exactly one copy of every observation."""

import os
import signal
import subprocess
import sys
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


def test_killed_ingest_resumes_without_loss_or_duplicates(tmp_path, db_url, mongo_db):
    log = tmp_path / "long.nmea"
    lines = write_log(log, 8_000)
    expected = len(decode_batch(lines))
    env = {**os.environ, "ISOMER_INGEST_BATCH": "1000"}
    command = [sys.executable, "-m", "isomer_data", "ingest", str(log), "--db", db_url]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        checkpoint = mongo_db.ingest_checkpoints.find_one({}) or {}
        done = checkpoint.get("batches_done", 0)
        if done >= 5:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    checkpoint = mongo_db.ingest_checkpoints.find_one({})
    assert checkpoint and not checkpoint.get("finished"), "ingest finished before it was killed"
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
