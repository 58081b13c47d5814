"""Configuration: environment beats the TOML file, the TOML file beats defaults, nothing read at import."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aggregator.config import load_settings


def test_defaults_use_sqlite_under_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGGREGATOR_DATABASE_URL", raising=False)
    settings = load_settings(data_dir=tmp_path / "d")
    assert settings.effective_database_url == f"sqlite:///{(tmp_path / 'd' / 'aggregator.sqlite').resolve()}"
    assert settings.inventory_mode == "inventory-less"
    assert (tmp_path / "d").is_dir()


def test_env_overrides_toml_which_overrides_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "aggregator.toml"
    config.write_text('log_level = "DEBUG"\nsync_lag_seconds = 5\ninventory_mode = "core"\n')
    monkeypatch.setenv("AGGREGATOR_CONFIG", str(config))
    monkeypatch.setenv("AGGREGATOR_SYNC_LAG_SECONDS", "7")
    settings = load_settings(data_dir=tmp_path)
    assert (settings.log_level, settings.sync_lag_seconds, settings.inventory_mode) == ("DEBUG", 7, "core")


def test_secrets_do_not_show_in_repr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGGREGATOR_OPERATOR_API_KEY", "op-secret-value")
    settings = load_settings(data_dir=tmp_path)
    assert settings.operator_api_key.get_secret_value() == "op-secret-value"
    assert "op-secret-value" not in repr(settings)


def test_importing_the_package_reads_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    env = dict(os.environ, AGGREGATOR_SYNC_LAG_SECONDS="not-a-number")
    code = "import aggregator.cli.main, aggregator.config; aggregator.config.load_settings()"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "sync_lag_seconds" in result.stderr
    imported = subprocess.run([sys.executable, "-c", "import aggregator.cli.main"], env=env,
                              capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
