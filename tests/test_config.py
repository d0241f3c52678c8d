import pytest
from traitlets.config import Config

from isomer_data.config import IsomerConfig, redact
from isomer_data.errors import IsomerError


def test_environment_variables_set_traits(monkeypatch, tmp_path):
    monkeypatch.setenv("ISOMER_HOME", str(tmp_path))
    monkeypatch.setenv("ISOMER_INSTANCE", "sv-ocean")
    monkeypatch.setenv("ISOMER_PORT", "9123")
    monkeypatch.setenv("ISOMER_SOURCES", "tcp://10.0.0.5:10110, udp://0.0.0.0:10110")
    monkeypatch.setenv("ISOMER_SAMPLE", "no")
    config = IsomerConfig()
    assert config.instance == "sv-ocean"
    assert config.port == 9123
    assert config.sources == ["tcp://10.0.0.5:10110", "udp://0.0.0.0:10110"]
    assert config.sample is False
    assert config.instance_dir == tmp_path / "instances" / "sv-ocean"
    assert config.database_name == "isomer_sv-ocean"


def test_explicit_configuration_beats_environment(monkeypatch):
    monkeypatch.setenv("ISOMER_PORT", "9123")
    config = IsomerConfig(config=Config({"IsomerConfig": {"port": 8000}}))
    assert config.port == 8000


def test_database_name_comes_from_url_path():
    config = IsomerConfig(config=Config({"IsomerConfig": {"db_url": "mongodb://h:1/fleet?x=1"}}))
    assert config.database_name == "fleet"


def test_bad_values_are_numbered_errors(monkeypatch):
    with pytest.raises(IsomerError) as err:
        IsomerConfig(config=Config({"IsomerConfig": {"db_url": "postgres://x"}}))
    assert err.value.code == 50030
    monkeypatch.setenv("ISOMER_PORT", "eighty")
    with pytest.raises(IsomerError, match="ISOMER_PORT"):
        IsomerConfig()


def test_password_is_redacted():
    assert redact("mongodb://skipper:secret@db:27017/x") == "mongodb://skipper:***@db:27017/x"
