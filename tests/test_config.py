from pathlib import Path

import pytest

from successlink.config import CONFIG_FILE, default_config_toml, load_settings
from successlink.errors import ConfigError


def test_defaults_put_a_duckdb_file_in_the_workspace(tmp_path: Path):
    settings = load_settings(tmp_path, environ={})
    assert settings.warehouse_url == f"duckdb://{(tmp_path / 'warehouse.duckdb').resolve()}"
    assert settings.identity.rules[0] == "account_id"


def test_environment_overrides_the_file(tmp_path: Path):
    (tmp_path / CONFIG_FILE).write_text(default_config_toml())
    env = {"SUCCESSLINK_WAREHOUSE": "sqlite:///x.db", "SUCCESSLINK_INGEST__CHUNK_ROWS": "2000",
           "SUCCESSLINK_IDENTITY__RULES": '["email", "domain"]'}
    settings = load_settings(tmp_path, environ=env)
    assert settings.warehouse_url == "sqlite:///x.db"
    assert settings.ingest.chunk_rows == 2000
    assert settings.identity.rules == ["email", "domain"]


def test_file_settings_are_read(tmp_path: Path):
    (tmp_path / CONFIG_FILE).write_text('[ingest]\naffiliate_metadata_key = "ref"\n')
    assert load_settings(tmp_path, environ={}).ingest.affiliate_metadata_key == "ref"


@pytest.mark.parametrize(("text", "words"), [
    ("[ingest\n", "cannot read the settings"),
    ('[identity]\nrules = ["telepathy"]\n', "unknown identity rule"),
    ("[ingest]\nchunk_rows = 5\n", "ingest.chunk_rows"),
    ("[churn]\nbands = { high = 30 }\n", "probabilities in"),
    ("[churn]\ncalibration = \"magic\"\n", "churn.calibration"),
])
def test_bad_settings_say_where_and_what(tmp_path: Path, text: str, words: str):
    (tmp_path / CONFIG_FILE).write_text(text)
    with pytest.raises(ConfigError, match=words) as info:
        load_settings(tmp_path, environ={})
    assert CONFIG_FILE in info.value.render()


def test_the_app_store_defaults_to_sqlite_in_the_workspace(tmp_path: Path):
    settings = load_settings(tmp_path, environ={})
    assert settings.app_store_url == f"sqlite:///{(tmp_path / 'app.db').resolve()}"


def test_successlink_app_store_overrides_the_app_store_url(tmp_path: Path):
    (tmp_path / CONFIG_FILE).write_text('[app_store]\nurl = "sqlite:////elsewhere.db"\n')
    assert load_settings(tmp_path, environ={}).app_store_url == "sqlite:////elsewhere.db"
    env = {"SUCCESSLINK_APP_STORE": "postgresql://u@h/db"}
    assert load_settings(tmp_path, environ=env).app_store_url == "postgresql://u@h/db"


def test_churn_defaults_and_environment(tmp_path: Path):
    churn = load_settings(tmp_path, environ={"SUCCESSLINK_CHURN__HORIZON_DAYS": "60"}).churn
    assert churn.horizon_days == 60
    assert churn.lead_days == 0
    assert churn.calibration == "platt"
    assert "[churn]" in default_config_toml()
