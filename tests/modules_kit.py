"""Third-party modules made by the tests, the way a module author would ship one.

:func:`make_module` writes a package and its ``.dist-info`` (``METADATA`` and
``entry_points.txt`` with the group ``isomer_data.modules``) into a folder; with that folder
on ``sys.path`` the package is an installed distribution to ``importlib.metadata``, exactly
as ``pip install --target`` leaves it. Each package gets a unique import name, so modules of
one test never meet another test's in ``sys.modules``.
"""

from __future__ import annotations

import json
import sys
import textwrap
import uuid
from pathlib import Path

HARBOUR_INIT = """
from pathlib import Path

from isomer_data.core.modules import Module, Panel, Provision
from isomer_data.core.roles import CREW, SCIENTIST

from {package}.handlers import EchoSocket, TideHandler

HERE = Path(__file__).parent
STATE = {{"starts": 0, "stops": 0, "config": None, "setup": 0, "posted": []}}


def setup(platform):
    STATE["setup"] += 1


async def start(platform, config):
    STATE["starts"] += 1
    STATE["config"] = config


async def stop(platform):
    STATE["stops"] += 1


def cli(parser):
    verbs = parser.add_subparsers(dest="verb", required=True)
    tides = verbs.add_parser("tides", help="print the tide table")
    tides.add_argument("--days", type=int, default=1)
    tides.set_defaults(func=lambda args: print(f"tides for {{args.days}} day(s)") or 0)


MODULE = Module(
    name="{name}",
    version="1.2.0",
    requires=">=0.1",
    description="Tide heights for the harbour",
    components=["{package}.components"],
    schemas=HERE / "schemas",
    provisions=[
        Provision("{name}berth", "berth-visitors", {{"name": "Visitors' pontoon", "length": 40}})
    ],
    config_schema={{
        "type": "object",
        "properties": {{
            "height": {{"type": "number", "minimum": 0, "maximum": 20, "default": 1.5,
                        "title": "Height (m)"}},
            "place": {{"type": "string", "maxLength": 40, "default": "Cowes"}},
            "secret": {{"type": "string", "maxLength": 40, "writeOnly": True}},
        }},
        "additionalProperties": False,
    }},
    setup=setup,
    start=start,
    stop=stop,
    handlers=[(r"tide", TideHandler), (r"echo", EchoSocket)],
    handler_roles=frozenset({{CREW, SCIENTIST}}),
    web=HERE / "web",
    panel=Panel(id="{name}", title="Harbour", icon="⚓", script="panel.js",
                roles=frozenset({{CREW}})),
    cli=cli,
    enabled_by_default=True,
)
"""

HARBOUR_COMPONENTS = '''
import sys

from isomer_data.core.roles import CREW
from isomer_data.core.events import EVERYONE, event

_package = sys.modules[__name__.rsplit(".", 1)[0]]


@event("{name}", "tide", roles={{CREW}})
async def tide(client, data):
    """The tide height now."""
    return {{"height": _package.STATE["config"]["height"], "starts": _package.STATE["starts"]}}


@event("{name}", "boom", roles=EVERYONE)
async def boom(client, data):
    """Always raises: a module bug."""
    raise RuntimeError("the module has a bug")
'''

HARBOUR_HANDLERS = """
import json
import sys

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado.websocket import WebSocketHandler

from isomer_data.core.modules import ModuleHandler


class EchoSocket(WebSocketMixin, WebSocketHandler, JupyterHandler):  # as Jupyter's own
    def on_message(self, message):
        self.write_message(message)


class TideHandler(ModuleHandler):
    def get(self):
        self.finish(json.dumps({{"config": self.isomer_module.config}}))

    def post(self):
        sys.modules["{package}"].STATE["posted"].append(self.request.body.decode())
        self.finish(json.dumps({{"stored": True}}))
"""

HARBOUR_PANEL = """
export function mount(element, api) {
  const out = document.createElement("p");
  out.id = "harbour-out";
  out.textContent = `${api.config.place} for ${api.user.name} (secret: ${api.config.secret ?? "hidden"})`;
  element.append(out);
  api.hub.onConnect(async () => {
    const reply = await api.hub.call("NAME", "tide", {});
    out.dataset.height = String(reply.height);
  });
}
"""

BERTH_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.org/isomer-harbour/harbourberth.json",
    "title": "Berth",
    "type": "object",
    "properties": {
        "uuid": {"type": "string", "readOnly": True},
        "name": {"type": "string", "maxLength": 80},
        "length": {"type": "number", "minimum": 0, "maximum": 500},
        "owner": {"type": "string", "readOnly": True},
        "created": {"type": "string", "readOnly": True},
        "modified": {"type": "string", "readOnly": True},
    },
    "required": ["name"],
    "additionalProperties": False,
    "x-isomer": {
        "collection": "harbourberths",
        "create": ["crew"],
        "perms": {"read": ["crew"], "write": [], "list": ["crew"], "delete": []},
    },
}


def make_module(root: Path, name: str, files: dict[str, str], entry: str = "MODULE") -> str:
    """Write package ``files`` (paths relative to the package) and its dist-info; return the
    package's import name. ``{package}`` and ``{name}`` in the files are filled in."""
    package = f"isomer_test_{name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
    for relative, text in files.items():
        path = root / package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).format(package=package, name=name).lstrip())
    dist = root / f"{package}-1.2.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.2.0\n")
    (dist / "entry_points.txt").write_text(f"[isomer_data.modules]\n{name} = {package}:{entry}\n")
    return package


def harbour(root: Path, name: str = "harbour", panel_id: str | None = None) -> str:
    """A complete module: events, handlers, schemas, provisions, configuration, panel."""
    init = HARBOUR_INIT
    if panel_id:
        init = init.replace('Panel(id="{name}"', f'Panel(id="{panel_id}"')
    return make_module(
        root,
        name,
        {
            "__init__.py": init,
            "components.py": HARBOUR_COMPONENTS,
            "handlers.py": HARBOUR_HANDLERS,
            "web/panel.js": HARBOUR_PANEL.replace("NAME", name)
            .replace("{", "{{")
            .replace("}", "}}"),
            f"schemas/{name}berth.json": json.dumps(BERTH_SCHEMA)
            .replace("harbour", name)
            .replace("{", "{{")
            .replace("}", "}}"),
        },
    )


def broken_at_import(root: Path, name: str = "wreck") -> str:
    """Registers an event, then raises while importing its components."""
    return make_module(
        root,
        name,
        {
            "__init__.py": """
                from isomer_data.core.modules import Module

                MODULE = Module(name="{name}", version="0.1", components=["{package}.components"],
                                enabled_by_default=True)
            """,
            "components.py": """
                from isomer_data.core.events import event


                @event("{name}", "sink", roles={{"crew"}})
                async def sink(client, data):
                    return {{}}


                raise ImportError("a dependency of {name} is missing")
            """,
        },
    )


def broken_at_start(root: Path, name: str = "reef") -> str:
    """Loads fine; its start hook raises."""
    return make_module(
        root,
        name,
        {
            "__init__.py": """
                from isomer_data.core.modules import Module


                async def start(platform, config):
                    raise RuntimeError("{name} cannot reach its sensor")


                MODULE = Module(name="{name}", version="0.1", components=["{package}.components"],
                                start=start, enabled_by_default=True)
            """,
            "components.py": """
                from isomer_data.core.events import event


                @event("{name}", "depth", roles={{"crew"}})
                async def depth(client, data):
                    return {{"depth": 3}}
            """,
        },
    )


def hangs_at_start(root: Path, name: str = "doldrums") -> str:
    """Disabled until enabled; its start hook never returns."""
    return make_module(
        root,
        name,
        {
            "__init__.py": """
                import asyncio

                from isomer_data.core.modules import Module


                async def start(platform, config):
                    await asyncio.sleep(3600)


                MODULE = Module(name="{name}", version="0.1", start=start)
            """,
        },
    )


def events_in_description(root: Path, name: str = "eddy") -> str:
    """Registers its event while the description is imported (not through components)."""
    return make_module(
        root,
        name,
        {
            "__init__.py": """
                from isomer_data.core.modules import Module
                from isomer_data.core.events import event


                @event("{name}", "swirl", roles={{"crew"}})
                async def swirl(client, data):
                    return {{"swirl": True}}


                MODULE = Module(name="{name}", version="0.1")
            """,
        },
    )


def forget(package: str) -> None:
    """Drop an imported test package (and its submodules) from ``sys.modules``."""
    for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
        del sys.modules[key]
