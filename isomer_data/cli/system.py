"""``isomer system service|tls|check``: the instance on the boat's computer.

The logic is in :mod:`isomer_data.system`.
"""

from __future__ import annotations

import os
from pathlib import Path

from isomer_data.cli.options import add_config_options, config_from_args
from isomer_data.core.errors import ERRORS, IsomerError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "system", help="systemd service, HTTPS on the boat's WiFi, and a pre-voyage check"
    )
    actions = parser.add_subparsers(dest="system_action", metavar="ACTION", required=True)

    service = actions.add_parser(
        "service",
        help="write the systemd unit of an instance",
        description="Print the unit (or with --install write it to /etc/systemd/system when "
        "permitted). It runs <instance>/envs/current/bin/isomer launch as --user with the "
        "dialout group, restarts on failure and limits memory.",
    )
    service.add_argument("--install", action="store_true", help="write it to the unit folder")
    service.add_argument("--user", help="user the service runs as (default: you)")
    service.add_argument("--memory-max", default="1G", help="systemd MemoryMax (default 1G)")
    service.add_argument(
        "--unit-dir", default="/etc/systemd/system", help="where --install writes the unit"
    )
    add_config_options(service, ("instance", "home"))
    service.set_defaults(func=run_service)

    tls = actions.add_parser(
        "tls",
        help="a local certificate authority and a reverse proxy for HTTPS",
        description="Make a local certificate authority (kept and reused), a server "
        "certificate for the names tablets use, and an nginx or Caddy configuration that "
        "forwards HTTPS to the platform on loopback. Files go to <instance>/tls, all 0600. "
        "Install ca.crt on each tablet to trust it.",
    )
    tls.add_argument(
        "--name",
        dest="names",
        action="append",
        help="host name or IP address tablets use (repeatable; default: this computer's "
        "name, NAME.local, localhost, 127.0.0.1)",
    )
    tls.add_argument(
        "--proxy",
        choices=("nginx", "caddy"),
        default="nginx",
        help="reverse proxy to configure (default: nginx)",
    )
    tls.add_argument("--listen", type=int, default=443, help="HTTPS port (default 443)")
    tls.add_argument("--output", help="folder for the files (default: <instance>/tls)")
    tls.add_argument("--force", action="store_true", help="replace an existing server certificate")
    add_config_options(tls, ("instance", "home", "port"))
    tls.set_defaults(func=run_tls)

    check = actions.add_parser(
        "check",
        help="report problems before leaving port (exit status 1 if any)",
        description="Free disk, clock set and synchronised, serial devices readable by the "
        "service user, the platform's port free, the instance folder's owner and mode.",
    )
    check.add_argument("--user", help="user the service runs as (default: you)")
    check.add_argument(
        "--min-free-mb", type=int, default=1024, help="free disk below this is a problem"
    )
    add_config_options(check, ("instance", "home", "host", "port", "sources"))
    check.set_defaults(func=run_check)


def _user(name: str | None) -> str:
    import pwd

    return name or pwd.getpwuid(os.getuid()).pw_name


def run_service(args) -> int:
    from isomer_data import system

    config = config_from_args(args)
    if not config.instance_dir.is_dir():
        raise IsomerError(50101, f"{config.instance} (in {config.home})")
    user = _user(args.user)
    system.ServiceUser.lookup(user)
    text = system.service_unit(config, user, args.memory_max)
    system.ensure_current_link(config)
    if not args.install:
        print(text, end="")
        return 0
    path = system.install_unit(config, text, Path(args.unit_dir))
    name = system.unit_name(config.instance)
    print(
        f"wrote {path}\n  enable it with: systemctl daemon-reload && systemctl enable --now {name}"
    )
    return 0


def run_tls(args) -> int:
    from isomer_data import system

    config = config_from_args(args)
    if not config.instance_dir.is_dir():
        raise IsomerError(50101, f"{config.instance} (in {config.home})")
    folder = Path(args.output) if args.output else config.instance_dir / "tls"
    names = args.names or system.default_names()
    paths = system.write_tls(
        folder, names, args.proxy, f"127.0.0.1:{config.port}", args.listen, args.force
    )
    print(f"certificate authority: {paths['ca_cert']} (install it on each tablet to trust it)")
    print(f"server certificate:    {paths['cert']} for {', '.join(names)}")
    print(f"{args.proxy} configuration: {paths['proxy']}")
    if args.proxy == "nginx":
        print(
            f"  include it: ln -s {paths['proxy']} /etc/nginx/conf.d/isomer-{config.instance}.conf"
        )
    else:
        print(f"  run it: caddy run --config {paths['proxy']} --adapter caddyfile")
    print(
        "  keep the platform on loopback (isomer config set host 127.0.0.1); every client then "
        "comes from the proxy's address: raise ws_max_per_address."
    )
    return 0


def run_check(args) -> int:
    from isomer_data import system

    config = config_from_args(args)
    user = system.ServiceUser.lookup(_user(args.user))
    problems = system.check(config, user, args.min_free_mb * 1024 * 1024)
    if not problems:
        print(f"instance {config.instance!r}: no problems found (service user {user.name})")
        return 0
    for problem in problems:
        print(f"problem {problem}\n  Remedy: {ERRORS[problem.code].remedy}")
    print(f"{len(problems)} problem(s) found")
    return 1
