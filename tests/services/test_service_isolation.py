"""A service whose setup or start raises is reported and skipped; the others keep working."""

from __future__ import annotations

import json
import textwrap
from importlib.metadata import EntryPoint

import pytest
from tornado.httpclient import HTTPClientError

from isomer_data.server import extension


@pytest.fixture
def broken_services(tmp_path, monkeypatch):
    """Two installed services (as entry points): one fails at setup, one at start."""
    package = tmp_path / "broken_services"
    for name, body in {
        "at_setup": """
            def setup(platform, serverapp):
                raise RuntimeError("no such device /dev/ttyUSB9")
        """,
        "at_start": """
            async def start(platform):
                raise ValueError("bad configuration")
        """,
    }.items():
        (package / name).mkdir(parents=True)
        (package / name / "__init__.py").write_text("")
        (package / name / "service.py").write_text(textwrap.dedent(body))
        (package / name / "handlers.py").write_text(
            "from jupyter_server.base.handlers import JupyterHandler\n"
            f"handlers = [(r'/isomer/broken/{name}', JupyterHandler)]\n"
        )
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [
        EntryPoint("at_setup", "broken_services.at_setup", extension.SERVICE_ENTRY_POINTS),
        EntryPoint("at_start", "broken_services.at_start", extension.SERVICE_ENTRY_POINTS),
        # An installed service may not replace a built-in one.
        EntryPoint("auth", "broken_services.at_setup", extension.SERVICE_ENTRY_POINTS),
    ]
    monkeypatch.setattr(extension, "entry_points", lambda group: eps)


async def test_broken_services_are_reported_and_the_rest_works(
    broken_services, jp_serverapp, jp_fetch
):
    await jp_serverapp.extension_manager.start_all_extensions()
    response = await jp_fetch("isomer", "api", "status", headers={"Authorization": ""})
    status = json.loads(response.body)
    assert status["healthy"] is True
    assert status["failed_services"] == {
        "at_setup": {"stage": "setup", "error": "RuntimeError"},
        "at_start": {"stage": "start", "error": "ValueError"},
    }
    # The public status names the failure, not its details.
    assert "ttyUSB9" not in response.body.decode()
    # The built-in services work: a login, Signal K discovery.
    response = await jp_fetch("signalk")
    assert "v1" in json.loads(response.body)["endpoints"]
    # A service that failed at setup mounts nothing.
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("isomer", "broken", "at_setup")
    assert err.value.code == 404


def test_builtin_services_come_first_and_cannot_be_replaced(broken_services):
    services = extension.discover_services()
    assert list(services)[: len(extension.SERVICES)] == list(extension.SERVICES)
    assert services["auth"] == "isomer_data.services.auth"
    assert services["at_setup"] == "broken_services.at_setup"


def test_collections_exist_before_the_first_request(jp_serverapp):
    """SecantusDB 0.7 deadlocks when an index build and an insert create one collection at
    once; the platform creates every collection it writes before it serves (start hooks,
    which build indexes, have not run here yet)."""
    platform = jp_serverapp.web_app.settings["isomer"]
    names = set(platform.database.db.list_collection_names())
    assert {"users", "tokens", "logbook", "observations", "tracks", "soundings"} <= names
    assert platform.collections <= names
