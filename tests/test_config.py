import pytest
from traitlets.config import Config

from isomer_data.config import IsomerConfig, redact
from isomer_data.core.errors import IsomerError


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


def test_instance_file_sits_between_environment_and_default(monkeypatch, tmp_path):
    from isomer_data.config import write_config_file

    monkeypatch.setenv("ISOMER_HOME", str(tmp_path))
    monkeypatch.delenv("ISOMER_PORT", raising=False)
    write_config_file(
        tmp_path / "instances" / "sv-file" / "isomer_config.json",
        {"port": 9001, "host": "0.0.0.0", "backup_keep": 3},
    )
    monkeypatch.setenv("ISOMER_HOST", "10.0.0.1")
    config = IsomerConfig(config=Config({"IsomerConfig": {"instance": "sv-file", "port": 9002}}))
    assert (config.port, config.host, config.backup_keep) == (9002, "10.0.0.1", 3)
    assert config.origins["port"] == "flag"
    assert config.origins["host"] == "environment"
    assert config.origins["backup_keep"] == "file"
    assert config.origins["ws_rate"] == "default"


def test_a_bad_value_in_the_instance_file_is_50113(monkeypatch, tmp_path):
    from isomer_data.config import write_config_file

    monkeypatch.setenv("ISOMER_HOME", str(tmp_path))
    monkeypatch.delenv("ISOMER_PORT", raising=False)
    write_config_file(tmp_path / "instances" / "sv-bad" / "isomer_config.json", {"port": -1})
    with pytest.raises(IsomerError) as err:
        IsomerConfig(config=Config({"IsomerConfig": {"instance": "sv-bad"}}))
    assert err.value.code == 50113 and "port" in err.value.detail
