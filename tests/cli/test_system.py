"""``isomer system service|tls|check`` as a user runs them: real files, sockets and users."""

from __future__ import annotations

import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from isomer_data import system

ISOMER = [sys.executable, "-m", "isomer_data"]


def cli(args, env, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        ISOMER + args,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def env(isomer_home):
    return {k: v for k, v in os.environ.items() if not k.startswith("ISOMER_")} | {
        "ISOMER_HOME": str(isomer_home)
    }


@pytest.fixture
def boat(env, isomer_home) -> Path:
    assert cli(["instance", "create", "boat"], env).returncode == 0
    return isomer_home / "instances" / "boat"


# --- service ---------------------------------------------------------------------------


def test_service_unit_runs_the_current_environment_with_limits_and_dialout(env, boat, isomer_home):
    result = cli(["system", "service", "--instance", "boat", "--memory-max", "768M"], env)
    assert result.returncode == 0, result.stderr
    unit = result.stdout
    exec_start = (
        f"ExecStart={boat}/envs/current/bin/isomer launch --instance boat --home {isomer_home}"
    )
    for line in (
        exec_start,
        "Restart=on-failure",
        "MemoryMax=768M",
        "SupplementaryGroups=dialout",
        "After=network-online.target time-sync.target",
        "Wants=network-online.target",
        "User=root",
        "WantedBy=multi-user.target",
    ):
        assert line in unit.splitlines(), line
    # systemd's own parser finds nothing to complain about (it names every bad line).
    path = boat.parent.parent / "isomer-boat.service"
    path.write_text(unit)
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
    # Before any upgrade, envs/current is the installation that wrote the unit.
    assert (boat / "envs" / "current").resolve() == Path(sys.prefix).resolve()
    assert (boat / "envs" / "current" / "bin" / "isomer").exists()


def test_service_install_writes_where_permitted_else_says_where_to_put_it(env, boat, tmp_path):
    units = tmp_path / "units"
    units.mkdir()
    result = cli(
        ["system", "service", "--instance", "boat", "--install", "--unit-dir", str(units)], env
    )
    assert result.returncode == 0, result.stderr
    written = units / "isomer-boat.service"
    assert "ExecStart=" in written.read_text()
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert "systemctl enable --now isomer-boat.service" in result.stdout

    missing = tmp_path / "no-systemd-here"
    result = cli(
        ["system", "service", "--instance", "boat", "--install", "--unit-dir", str(missing)], env
    )
    assert result.returncode != 0
    assert "50330: The systemd unit cannot be installed here" in result.stderr
    assert f"{boat}/isomer-boat.service" in result.stderr
    assert (boat / "isomer-boat.service").read_text() == written.read_text()
    assert "Traceback" not in result.stderr


def test_service_refuses_bad_memory_unknown_user_and_unknown_instance(env, boat):
    result = cli(["system", "service", "--instance", "boat", "--memory-max", "lots"], env)
    assert "50111" in result.stderr and result.returncode != 0
    result = cli(["system", "service", "--instance", "boat", "--user", "no-such-user-x"], env)
    assert "50346: The service user does not exist" in result.stderr
    result = cli(["system", "service", "--instance", "ghost"], env)
    assert "50101" in result.stderr


def test_service_unit_escapes_what_systemd_would_expand():
    assert system._systemd_value("/srv/my boat/50%") == '"/srv/my boat/50%%"'
    with pytest.raises(Exception, match="50330"):
        system._systemd_value("/srv/x\nExecStartPre=/bin/sh")


# --- tls -------------------------------------------------------------------------------


def _serve_once(cert: Path, key: Path) -> tuple[int, threading.Thread]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        with listener:
            connection, _ = listener.accept()
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.sendall(b"isomer over https")
            except (ssl.SSLError, OSError):
                connection.close()  # the client refused the certificate: that is the test

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return port, thread


def test_tls_makes_a_local_ca_that_tablets_can_trust_and_keeps_it(env, boat):
    result = cli(
        ["system", "tls", "--instance", "boat", "--name", "boat.local", "--name", "192.168.4.1"],
        env,
    )
    assert result.returncode == 0, result.stderr
    folder = boat / "tls"
    for name in ("ca.key", "ca.crt", "server.key", "server.crt", "nginx.conf"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    nginx = (folder / "nginx.conf").read_text()
    assert "proxy_pass http://127.0.0.1:8888;" in nginx
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx
    assert f"ssl_certificate {folder}/server.crt;" in nginx

    # A client that trusts only the local CA completes a handshake for each name.
    for name in ("boat.local", "192.168.4.1"):
        port, thread = _serve_once(folder / "server.crt", folder / "server.key")
        client = ssl.create_default_context(cafile=str(folder / "ca.crt"))
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            client.wrap_socket(raw, server_hostname=name) as tls,
        ):
            assert tls.recv(100) == b"isomer over https"
        thread.join(10)
    # ...and refuses a name the certificate does not carry.
    port, thread = _serve_once(folder / "server.crt", folder / "server.key")
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        client.wrap_socket(raw, server_hostname="evil.example")
    thread.join(10)

    ca_before = (folder / "ca.crt").read_bytes()
    cert_before = (folder / "server.crt").read_bytes()
    result = cli(["system", "tls", "--instance", "boat", "--name", "boat.local"], env)
    assert "50331: The TLS files cannot be written" in result.stderr
    assert (folder / "server.crt").read_bytes() == cert_before
    result = cli(
        [
            "system",
            "tls",
            "--instance",
            "boat",
            "--name",
            "boat.local",
            "--proxy",
            "caddy",
            "--force",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert (folder / "ca.crt").read_bytes() == ca_before  # tablets keep trusting it
    assert (folder / "server.crt").read_bytes() != cert_before
    caddy = (folder / "Caddyfile").read_text()
    assert "https://boat.local:443 {" in caddy and "reverse_proxy 127.0.0.1:8888" in caddy
    assert stat.S_IMODE((folder / "Caddyfile").stat().st_mode) == 0o600


def test_tls_refuses_a_bad_name(env, boat):
    result = cli(["system", "tls", "--instance", "boat", "--name", "boat local;rm"], env)
    assert result.returncode != 0
    assert "50333: Invalid TLS host name or address" in result.stderr
    assert not (boat / "tls" / "server.crt").exists()


# --- check -----------------------------------------------------------------------------


def _codes(output: str) -> list[int]:
    return [
        int(line.split()[1].rstrip(":"))
        for line in output.splitlines()
        if line.startswith("problem ")
    ]


def test_check_passes_a_healthy_instance(env, boat):
    os.chmod(boat, 0o700)
    result = cli(
        ["system", "check", "--instance", "boat", "--port", "0", "--min-free-mb", "1"], env
    )
    # The clock's synchronisation is the host kernel's: expected exactly when it says so.
    expected = [50342] if system.clock_sync_state() == system.TIME_ERROR else []
    assert _codes(result.stdout) == expected, result.stdout
    assert result.returncode == (1 if expected else 0)
    if not expected:
        assert "no problems found" in result.stdout


def test_check_reports_each_problem_with_its_code(env, boat, tmp_path):
    device = tmp_path / "ttyUSB0"
    device.write_text("")
    os.chmod(device, 0o600)  # root's alone: the service user nobody cannot open it
    os.chmod(boat, 0o755)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = cli(
            [
                "system",
                "check",
                "--instance",
                "boat",
                "--user",
                "nobody",
                "--port",
                str(port),
                "--min-free-mb",
                str(10**9),
                "--source",
                f"serial://{device}?baud=4800",
                "--source",
                "serial:///dev/ttyNOPE9?baud=4800",
                "--source",
                "tcp://127.0.0.1:10110",
            ],
            env,
        )
    assert result.returncode == 1
    codes = _codes(result.stdout)
    for code in (50340, 50343, 50344, 50345):
        assert code in codes, (code, result.stdout)
    assert codes.count(50343) == 2 and codes.count(50345) == 2  # mode and owner
    assert "ttyNOPE9 does not exist" in result.stdout
    assert "Remedy:" in result.stdout and "Traceback" not in result.stderr


def test_serial_access_counts_the_dialout_group_the_unit_gives(tmp_path):
    import grp

    device = tmp_path / "ttyS9"
    device.write_text("")
    os.chown(device, 0, grp.getgrnam("dialout").gr_gid)
    os.chmod(device, 0o660)
    nobody = system.ServiceUser.lookup("nobody")
    assert system.check_serial([f"serial://{device}"], nobody) == []
    os.chmod(device, 0o640)  # the group may read but not write (no NMEA out, no config)
    assert [p.code for p in system.check_serial([f"serial://{device}"], nobody)] == [50343]


def test_check_refuses_an_unknown_service_user(env, boat):
    result = cli(["system", "check", "--instance", "boat", "--user", "no-such-user-x"], env)
    assert result.returncode != 0 and "50346" in result.stderr


def test_clock_before_this_version_or_unsynchronised_is_a_problem():
    assert [p.code for p in system.check_clock(datetime(1970, 1, 1, tzinfo=UTC), 0)] == [50341]
    assert [p.code for p in system.check_clock(datetime.now(UTC), system.TIME_ERROR)] == [50342]
    assert system.check_clock(datetime.now(UTC), 0) == []
    assert system.clock_sync_state() in (None, 0, 1, 2, 3, 4, 5)


def test_tls_names_a_damaged_certificate_authority(env, boat):
    folder = boat / "tls"
    folder.mkdir(mode=0o700)
    (folder / "ca.key").write_text("not a key")
    (folder / "ca.crt").write_text("not a certificate")
    result = cli(["system", "tls", "--instance", "boat", "--name", "boat.local"], env)
    assert result.returncode != 0 and "50331" in result.stderr and "not a PEM" in result.stderr
    assert "Traceback" not in result.stderr
    assert (folder / "ca.key").read_text() == "not a key"  # never overwritten
