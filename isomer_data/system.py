"""The boat's computer: a systemd unit, HTTPS on the boat's WiFi, and a pre-voyage check.

- :func:`service_unit`: a systemd unit that runs ``<instance>/envs/current/bin/isomer launch``
  (so an upgrade's switch is followed by systemd too), restarts it on failure, bounds its
  memory, gives it the serial-port group and starts it after the network;
- :func:`write_tls`: a local certificate authority (kept across runs, so the tablets that
  trust it keep trusting it) and a server certificate for the names the tablets use, made
  with ``cryptography`` (no public CA is reachable offshore), and an nginx or Caddy
  configuration that terminates HTTPS and forwards to the platform on loopback;
- :func:`check`: what a skipper would otherwise discover at sea, each a numbered problem.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import shutil
import socket
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from isomer_data.core.errors import ERRORS, IsomerError

SERIAL_GROUP = "dialout"
UNIT_DIR = Path("/etc/systemd/system")
# A clock before this is not set (a Raspberry Pi without RTC boots in 1970 or at its last
# shutdown's time); observations stamped with it would be wrong.
CLOCK_FLOOR = datetime(2026, 1, 1, tzinfo=UTC)
MIN_FREE_BYTES = 1024**3
TIME_ERROR = 5  # adjtimex(2): the kernel's clock is not synchronised


def unit_name(instance: str) -> str:
    return f"isomer-{instance}.service"


def _systemd_value(text: str) -> str:
    """A path or word for a unit file: no line breaks, specifiers and variables escaped,
    quoted when it has spaces."""
    if any(c in text for c in '\n\r\0"\\'):
        raise IsomerError(50330, f"{text!r} cannot be written into a unit file")
    text = text.replace("%", "%%").replace("$", "$$")
    return f'"{text}"' if " " in text or "\t" in text else text


def service_unit(config, user: str, memory_max: str) -> str:
    """The systemd unit of ``config``'s instance."""
    if not re.fullmatch(r"\d+[KMGT]?|infinity", memory_max):
        raise IsomerError(50111, f"memory limit {memory_max!r}: a size such as 768M or 2G")
    if not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", user):
        raise IsomerError(50346, f"{user!r} is not a user name")
    isomer = config.instance_dir / "envs" / "current" / "bin" / "isomer"
    home = _systemd_value(str(config.home))
    return (
        "# Written by isomer system service; see docs/system.md.\n"
        "[Unit]\n"
        f"Description=Isomer Data platform (instance {config.instance})\n"
        "Wants=network-online.target\n"
        "After=network-online.target time-sync.target\n"
        "StartLimitIntervalSec=300\n"
        "StartLimitBurst=10\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"User={user}\n"
        f"SupplementaryGroups={SERIAL_GROUP}\n"
        f"ExecStart={_systemd_value(str(isomer))} launch --instance {config.instance} "
        f"--home {home}\n"
        "Restart=on-failure\n"
        "RestartSec=5\n"
        f"MemoryMax={memory_max}\n"
        "TimeoutStopSec=60\n"
        "KillMode=mixed\n"
        "UMask=0077\n"
        "NoNewPrivileges=true\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )


def ensure_current_link(config) -> Path:
    """``envs/current`` exists for the unit: before any upgrade it points at the
    installation that writes the unit."""
    from isomer_data.upgrades import Environments

    envs = Environments(config.instance_dir)
    if not envs.current_link.is_symlink():
        envs.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        envs.point_current(Path(sys.prefix))
    return envs.current_link


def install_unit(config, text: str, unit_dir: Path = UNIT_DIR) -> Path:
    """Write the unit into ``unit_dir`` when permitted; else into the instance folder and
    raise 50330 saying where to put it."""
    name = unit_name(config.instance)
    if unit_dir.is_dir() and os.access(unit_dir, os.W_OK):
        path = unit_dir / name
        _write(path, text, 0o644)
        return path
    fallback = config.instance_dir / name
    try:
        _write(fallback, text, 0o644)
    except OSError as exc:
        raise IsomerError(50330, f"{unit_dir} and {fallback}: {exc.strerror}") from None
    raise IsomerError(
        50330,
        f"{unit_dir} is not writable here; the unit is in {fallback}: sudo cp {fallback} "
        f"{unit_dir}/ && sudo systemctl daemon-reload && sudo systemctl enable --now {name}",
    )


def _write(path: Path, data: str | bytes, mode: int) -> None:
    """Write a file with ``mode`` from its creation on (never briefly wider)."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data.encode() if isinstance(data, str) else data)
    os.chmod(partial, mode)
    os.replace(partial, path)


# --- TLS ------------------------------------------------------------------------------


HOST_NAME = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+")


def tls_names(names: list[str]) -> tuple[list[str], list[str]]:
    """Split and check the names: (DNS names, IP addresses); 50333 for anything else."""
    dns: list[str] = []
    ips: list[str] = []
    for name in names:
        try:
            ips.append(str(ipaddress.ip_address(name)))
            continue
        except ValueError:
            pass
        if not HOST_NAME.fullmatch(name):
            raise IsomerError(50333, repr(name[:80]))
        dns.append(name.rstrip(".").lower())
    return list(dict.fromkeys(dns)), list(dict.fromkeys(ips))


def default_names() -> list[str]:
    host = socket.gethostname().split(".")[0] or "localhost"
    return [host, f"{host}.local", "localhost", "127.0.0.1"]


def write_tls(
    folder: Path, names: list[str], proxy: str, upstream: str, listen: int, force: bool
) -> dict:
    """Make (or keep) the CA, make the server certificate and the proxy configuration in
    ``folder`` (every file 0600). Returns the paths written."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:
        raise IsomerError(50332) from None

    dns, ips = tls_names(names)
    paths = {
        "ca_key": folder / "ca.key",
        "ca_cert": folder / "ca.crt",
        "key": folder / "server.key",
        "cert": folder / "server.crt",
        "proxy": folder / ("nginx.conf" if proxy == "nginx" else "Caddyfile"),
    }
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise IsomerError(50331, f"{folder}: {exc.strerror}") from None
    if paths["cert"].exists() and not force:
        raise IsomerError(50331, f"{paths['cert']} exists (pass --force to replace it)")
    now = datetime.now(UTC) - timedelta(minutes=5)
    pem = serialization.Encoding.PEM
    private = serialization.PrivateFormat.PKCS8
    plain = serialization.NoEncryption()
    try:
        if paths["ca_key"].exists() and paths["ca_cert"].exists():
            try:
                ca_key = serialization.load_pem_private_key(paths["ca_key"].read_bytes(), None)
                ca_cert = x509.load_pem_x509_certificate(paths["ca_cert"].read_bytes())
            except (ValueError, TypeError) as exc:
                raise IsomerError(
                    50331,
                    f"{paths['ca_key']} or {paths['ca_cert']} is not a PEM key and "
                    f"certificate ({exc}); move both away to make a new authority",
                ) from None
        else:
            ca_key = ec.generate_private_key(ec.SECP256R1())
            ca_name = x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Isomer Data on board"),
                    x509.NameAttribute(
                        NameOID.COMMON_NAME, f"Isomer Data local CA {socket.gethostname()[:30]}"
                    ),
                ]
            )
            ca_cert = (
                x509.CertificateBuilder()
                .subject_name(ca_name)
                .issuer_name(ca_name)
                .public_key(ca_key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now)
                .not_valid_after(now + timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(
                    x509.KeyUsage(
                        digital_signature=True,
                        key_cert_sign=True,
                        crl_sign=True,
                        content_commitment=False,
                        key_encipherment=False,
                        data_encipherment=False,
                        key_agreement=False,
                        encipher_only=False,
                        decipher_only=False,
                    ),
                    critical=True,
                )
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
                )
                .sign(ca_key, hashes.SHA256())
            )
            _write(paths["ca_key"], ca_key.private_bytes(pem, private, plain), 0o600)
            _write(paths["ca_cert"], ca_cert.public_bytes(pem), 0o600)
        key = ec.generate_private_key(ec.SECP256R1())
        alt = [x509.DNSName(n) for n in dns] + [
            x509.IPAddress(ipaddress.ip_address(i)) for i in ips
        ]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (dns or ips)[0])]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            # 825 days: the longest that Apple devices accept from a private CA.
            .not_valid_after(now + timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write(paths["key"], key.private_bytes(pem, private, plain), 0o600)
        _write(paths["cert"], cert.public_bytes(pem) + ca_cert.public_bytes(pem), 0o600)
        config_text = (nginx_config if proxy == "nginx" else caddy_config)(
            dns + ips, paths, upstream, listen
        )
        _write(paths["proxy"], config_text, 0o600)
    except OSError as exc:
        raise IsomerError(50331, f"{folder}: {exc.strerror or exc}") from None
    return paths


def nginx_config(names: list[str], paths: dict, upstream: str, listen: int) -> str:
    return (
        "# Written by isomer system tls: HTTPS for the platform on the boat's network.\n"
        "map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"
        "server {\n"
        f"    listen {listen} ssl;\n"
        f"    server_name {' '.join(names)};\n"
        f"    ssl_certificate {paths['cert']};\n"
        f"    ssl_certificate_key {paths['key']};\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    client_max_body_size 64m;\n"
        "    location / {\n"
        f"        proxy_pass http://{upstream};\n"
        "        proxy_http_version 1.1;\n"
        "        proxy_set_header Host $host;\n"
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "        proxy_set_header X-Forwarded-Proto https;\n"
        "        proxy_set_header Upgrade $http_upgrade;\n"
        "        proxy_set_header Connection $connection_upgrade;\n"
        "        proxy_read_timeout 1h;\n"
        "    }\n"
        "}\n"
    )


def caddy_config(names: list[str], paths: dict, upstream: str, listen: int) -> str:
    sites = ", ".join(f"https://{n}:{listen}" for n in names)
    return (
        "# Written by isomer system tls: HTTPS for the platform on the boat's network.\n"
        "{\n    auto_https disable_redirects\n}\n"
        f"{sites} {{\n"
        f"    tls {paths['cert']} {paths['key']}\n"
        f"    reverse_proxy {upstream}\n"
        "}\n"
    )


# --- check ----------------------------------------------------------------------------


@dataclass
class Problem:
    code: int
    detail: str

    def __str__(self) -> str:
        return f"{self.code}: {ERRORS[self.code].title} ({self.detail})"


@dataclass
class ServiceUser:
    name: str
    uid: int
    groups: set[int]

    @classmethod
    def lookup(cls, name: str | None) -> ServiceUser:
        """The user the service runs as, with the groups the unit gives it (dialout)."""
        import grp
        import pwd

        try:
            entry = pwd.getpwnam(name) if name else pwd.getpwuid(os.getuid())
        except KeyError:
            raise IsomerError(50346, repr(name)) from None
        groups = set(os.getgrouplist(entry.pw_name, entry.pw_gid))
        with contextlib.suppress(KeyError):  # no dialout group on this system
            groups.add(grp.getgrnam(SERIAL_GROUP).gr_gid)
        return cls(entry.pw_name, entry.pw_uid, groups)

    def may(self, path: Path, want: int) -> bool:
        """Whether the mode bits let this user ``want`` (os.R_OK | os.W_OK) on ``path``."""
        st = path.stat()
        if self.uid == 0:
            return True
        if st.st_uid == self.uid:
            bits = (st.st_mode >> 6) & 7
        elif st.st_gid in self.groups:
            bits = (st.st_mode >> 3) & 7
        else:
            bits = st.st_mode & 7
        need = (4 if want & os.R_OK else 0) | (2 if want & os.W_OK else 0)
        return bits & need == need


def serial_devices(sources: list[str]) -> list[Path]:
    return [Path(urlsplit(s).path) for s in sources if s.startswith("serial://")]


def check_disk(folder: Path, min_free: int) -> list[Problem]:
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    if free < min_free:
        return [
            Problem(
                50340,
                f"{free / 1024**2:.0f} MiB free on {existing}, below {min_free / 1024**2:.0f} MiB",
            )
        ]
    return []


def check_clock(now: datetime, sync_state: int | None) -> list[Problem]:
    """``sync_state``: what adjtimex(2) returned (None: unknown, not checked)."""
    problems = []
    if now < CLOCK_FLOOR:
        problems.append(Problem(50341, f"it says {now.isoformat(timespec='seconds')}"))
    if sync_state == TIME_ERROR:
        problems.append(Problem(50342, "adjtimex reports the clock unsynchronised"))
    return problems


def clock_sync_state() -> int | None:
    """adjtimex(2) with no change requested: the kernel's own view of time synchronisation
    (chrony, timesyncd and ntpd all tell the kernel). None where it cannot be asked."""
    import ctypes
    import ctypes.util

    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    buffer = ctypes.create_string_buffer(512)  # struct timex is 208 bytes on 64-bit Linux
    state = libc.adjtimex(buffer)  # modes = 0: read only
    return None if state < 0 else int(state)


def check_serial(sources: list[str], user: ServiceUser) -> list[Problem]:
    problems = []
    for device in serial_devices(sources):
        if not device.exists():
            problems.append(Problem(50343, f"{device} does not exist"))
        elif not user.may(device, os.R_OK | os.W_OK):
            st = device.stat()
            problems.append(
                Problem(
                    50343,
                    f"{device} (mode {st.st_mode & 0o777:o}, owner uid {st.st_uid}, group gid "
                    f"{st.st_gid}) is not readable and writable by {user.name}",
                )
            )
    return problems


def check_port(host: str, port: int, ours_running: bool) -> list[Problem]:
    if ours_running or port == 0:
        return []
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            return [Problem(50344, f"{host}:{port}: {exc.strerror}")]
    return []


def check_instance_folder(folder: Path, user: ServiceUser) -> list[Problem]:
    if not folder.is_dir():
        return []
    st = folder.stat()
    problems = []
    if st.st_mode & 0o077:
        problems.append(
            Problem(50345, f"{folder} has mode {st.st_mode & 0o777:o}: chmod 700 {folder}")
        )
    if st.st_uid != user.uid:
        problems.append(
            Problem(
                50345,
                f"{folder} belongs to uid {st.st_uid}, not {user.name}: "
                f"chown -R {user.name} {folder}",
            )
        )
    return problems


def check(config, user: ServiceUser, min_free: int = MIN_FREE_BYTES) -> list[Problem]:
    from isomer_data.instances import state

    running = state(config)["state"] == "running"
    return [
        *check_disk(config.instance_dir, min_free),
        *check_clock(datetime.now(UTC), clock_sync_state()),
        *check_serial(list(config.sources), user),
        *check_port(config.host, config.port, running),
        *check_instance_folder(config.instance_dir, user),
    ]
