"""The module contract without a server: what a description may say, and event bookkeeping."""

from __future__ import annotations

import pytest
from modules_kit import forget, make_module

from isomer_data import __version__
from isomer_data.core.modules import Module, Panel, check_description, defaults
from isomer_data.services.modules.manager import config_errors, import_components


def test_a_minimal_description_is_a_name_and_a_version():
    module = check_description(Module(name="tides", version="1.0"))
    assert module.enabled_by_default is False  # installed modules wait to be enabled
    assert check_description(lambda: Module(name="tides", version="1.0")).name == "tides"


@pytest.mark.parametrize(
    "name", ["Tides", "1tides", "ti_des", "list", "install", "static", "x" * 41]
)
def test_module_names_are_url_safe_and_not_the_cli_s_words(name):
    with pytest.raises(ValueError):
        check_description(Module(name=name, version="1"))


def test_the_platform_version_is_checked():
    check_description(Module(name="ok", version="1", requires=f"=={__version__}"))
    with pytest.raises(RuntimeError, match="needs isomer-data >=99"):
        check_description(Module(name="future", version="1", requires=">=99"))


def test_panels_need_their_script_a_free_id_and_known_roles(tmp_path):
    (tmp_path / "panel.js").write_text("export function mount() {}")
    ok = Panel(id="tides", title="Tides", script="panel.js")
    check_description(Module(name="t", version="1", web=tmp_path, panel=ok))
    with pytest.raises(FileNotFoundError):
        check_description(
            Module(name="t", version="1", web=tmp_path, panel=Panel("t", "T", "x.js"))
        )
    for panel_id in ("connection", "panels", "user", "panel-tabs", "Bad id"):
        with pytest.raises(ValueError):
            check_description(
                Module(name="t", version="1", web=tmp_path, panel=Panel(panel_id, "T", "panel.js"))
            )
    with pytest.raises(ValueError, match="roles"):
        check_description(
            Module(
                name="t",
                version="1",
                web=tmp_path,
                panel=Panel("t", "T", "panel.js", roles=frozenset({"anonymous"})),
            )
        )


def test_a_configuration_schema_is_checked_and_gives_defaults_and_field_errors():
    schema = {
        "type": "object",
        "properties": {"radius": {"type": "number", "maximum": 100, "default": 40}},
    }
    check_description(Module(name="t", version="1", config_schema=schema))
    with pytest.raises(ValueError):
        check_description(Module(name="t", version="1", config_schema={"type": "array"}))
    assert defaults(schema) == {"radius": 40}
    assert config_errors(schema, {"radius": 101}) == [
        {"field": "radius", "message": "101 is greater than the maximum of 100"}
    ]
    assert config_errors(schema, {"radius": float("nan")})[0]["field"] == "radius"
    assert config_errors(schema, {"a": {"b.c": 1}})[0]["field"] == "a.b.c"
    assert config_errors(schema, "radius=3")[0]["message"].startswith("the configuration must")


def test_components_that_fail_to_import_leave_no_events(tmp_path, monkeypatch):
    package = make_module(
        tmp_path,
        "half",
        {
            "__init__.py": "",
            "good.py": """
                from isomer_data.core.events import event


                @event("half", "good", roles={{"crew"}})
                async def good(client, data):
                    return 1
            """,
            "bad.py": """
                from isomer_data.core.events import event


                @event("half", "bad", roles={{"crew"}})
                async def bad(client, data):
                    return 1


                raise RuntimeError("broken")
            """,
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(RuntimeError, match="broken"):
            import_components([f"{package}.good", f"{package}.bad"])
        # importing registers nothing anywhere: the events are marks the platform collects
        added = import_components([f"{package}.good"])
        assert set(added) == {("half", "good")}
        # imported once; a later platform in this process finds the same marks again
        assert set(import_components([f"{package}.good"])) == {("half", "good")}
    finally:
        forget(package)
