"""Signal K web apps: npm packages the platform serves as Signal K server does.

A web app is an npm package whose ``package.json`` has the keyword ``signalk-webapp`` or
``signalk-embeddable-webapp``; its ``public/`` folder is served at ``/<package name>/``
(``/@signalk/freeboard-sk/``), the path the apps expect. Each is a module of the platform
(``isomer module list`` shows it, admins enable and disable it), named from its package
(``@signalk/freeboard-sk`` is the module ``signalk-freeboard-sk``).

Web apps come from npm folders (a ``package.json`` naming them as dependencies and their
``node_modules``), installed at setup time, never fetched at run time:

- the platform's own, ``isomer_data/services/webapps/npm/`` (Freeboard-SK and the
  instrument panel, pinned by its lock file; ``scripts/install`` runs ``npm ci`` there);
- each instance's ``<instance folder>/webapps/`` (``isomer module add-webapp``).

This file is the contract only: reading a package, no HTTP and no database.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

KEYWORDS = frozenset({"signalk-webapp", "signalk-embeddable-webapp"})
PLUGIN_KEYWORD = "signalk-node-server-plugin"
SOURCE_PREFIX = "webapp:"
# npm's own rule for names (lower case, url-safe, an optional @scope/)
PACKAGE_NAME = re.compile(r"^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")
MAX_PACKAGE_JSON = 256 * 1024
# where the platform's own web apps are installed (scripts/install: npm ci)
BUNDLED = Path(__file__).resolve().parent.parent / "services" / "webapps" / "npm"


@dataclass(frozen=True)
class WebApp:
    """One installed web app, as its ``package.json`` describes it."""

    package: str  # the npm name, "@signalk/freeboard-sk"
    version: str
    description: str
    folder: Path  # the package folder (node_modules/<package>)
    display_name: str
    app_icon: str  # relative to the package's public folder, or ""
    keywords: tuple[str, ...]
    plugin_id: str  # the Signal K server plugin it also is ("freeboard-sk"), or ""
    root: Path  # the npm folder it came from

    @property
    def public(self) -> Path:
        return self.folder / "public"

    @property
    def url(self) -> str:
        """Where Signal K server serves it, relative to the server's root."""
        return f"{self.package}/"

    @property
    def module_name(self) -> str:
        return module_name(self.package)

    @property
    def source(self) -> str:
        return f"{SOURCE_PREFIX}{self.folder}"

    def listing(self, base_url: str = "/") -> dict:
        """The entry of ``/skServer/webapps``: the package.json fields Signal K server lists."""
        signalk = {"displayName": self.display_name}
        if self.app_icon:
            signalk["appIcon"] = self.app_icon
        return {
            "name": self.package,
            "version": self.version,
            "description": self.description,
            "keywords": list(self.keywords),
            "signalk": signalk,
            "location": f"{base_url}{self.url}",
        }


def module_name(package: str) -> str:
    """``@signalk/freeboard-sk`` → ``signalk-freeboard-sk``: a valid, unique module name."""
    name = re.sub(r"[^a-z0-9]+", "-", package.lower()).strip("-")
    if not name or not name[0].isalpha():
        name = f"app-{name}"
    return name[:40].rstrip("-")


def read(folder: Path, root: Path | None = None) -> WebApp:
    """The web app in an installed package folder; ``ValueError`` saying why it is not one."""
    manifest = Path(folder) / "package.json"
    if not manifest.is_file():
        raise ValueError(f"{folder}: no package.json")
    if manifest.stat().st_size > MAX_PACKAGE_JSON:
        raise ValueError(f"{manifest}: larger than {MAX_PACKAGE_JSON} bytes")
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{manifest}: not JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{manifest}: not a JSON object")
    package = meta.get("name")
    if not isinstance(package, str) or not PACKAGE_NAME.match(package) or len(package) > 214:
        raise ValueError(f"{manifest}: no valid npm package name")
    keywords = tuple(k for k in meta.get("keywords") or () if isinstance(k, str))[:50]
    if not KEYWORDS & set(keywords):
        raise ValueError(
            f"{package} is not a Signal K web app: its package.json has neither of the "
            f"keywords {', '.join(sorted(KEYWORDS))}"
        )
    if not (Path(folder) / "public").is_dir():
        raise ValueError(f"{package} has no public/ folder to serve")
    signalk = meta.get("signalk") if isinstance(meta.get("signalk"), dict) else {}
    icon = signalk.get("appIcon") if isinstance(signalk.get("appIcon"), str) else ""
    icon = icon.removeprefix("./").lstrip("/")
    if ".." in icon.split("/"):
        icon = ""
    display = signalk.get("displayName") if isinstance(signalk.get("displayName"), str) else ""
    plugin_id = ""
    if PLUGIN_KEYWORD in keywords:
        plugin_id = package.rsplit("/", 1)[-1]
    return WebApp(
        package=package,
        version=str(meta.get("version", ""))[:64],
        description=str(meta.get("description", ""))[:500],
        folder=Path(folder),
        display_name=(display or package)[:80],
        app_icon=icon[:300],
        keywords=keywords,
        plugin_id=plugin_id,
        root=Path(root) if root else Path(folder).parent,
    )


def declared(root: Path) -> list[str]:
    """The packages an npm folder's ``package.json`` names as dependencies."""
    manifest = Path(root) / "package.json"
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    deps = meta.get("dependencies") if isinstance(meta, dict) else None
    return sorted(d for d in (deps or {}) if isinstance(d, str) and PACKAGE_NAME.match(d))


def find(roots) -> tuple[list[WebApp], dict[str, str]]:
    """The web apps installed in these npm folders, and ``{package: why not}`` for the rest.

    Only packages a folder's ``package.json`` names are looked at (not their dependencies);
    the first folder that has a package wins (the platform's own before an instance's).
    """
    found: dict[str, WebApp] = {}
    problems: dict[str, str] = {}
    for root in roots:
        root = Path(root)
        for package in declared(root):
            if package in found:
                continue
            try:
                found[package] = read(root / "node_modules" / package, root)
            except ValueError as exc:
                problems[package] = str(exc)
    return list(found.values()), problems


def roots_for(instance_dir: Path | None) -> list[Path]:
    """The npm folders web apps are read from: the platform's, then the instance's."""
    roots = [BUNDLED]
    if instance_dir is not None:
        roots.append(Path(instance_dir) / "webapps")
    return roots
