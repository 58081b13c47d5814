"""Configuration: environment variables prefixed ``AGGREGATOR_`` and an optional TOML file.

Nothing is read at import time: call ``load_settings()`` where a command or a worker starts.
Precedence: explicit keyword arguments > environment > TOML file > defaults.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

DEFAULT_DATA_DIR = Path(".data")


class Settings(BaseSettings):
    """Every knob of the application, with production-safe defaults for the embedded mode."""

    model_config = SettingsConfigDict(env_prefix="AGGREGATOR_", extra="ignore", toml_file=None)

    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="where the embedded SQLite file and reports live")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite under data_dir")
    secret_key: SecretStr | None = Field(
        default=None, description="Fernet key (urlsafe base64, 32 bytes) encrypting credentials at rest"
    )
    operator_api_key: SecretStr | None = Field(
        default=None, description="API key that may act for any owner (?owner=…); unset = no operator"
    )
    public_base_url: str | None = Field(
        default=None, description="the URL marketplaces reach this server at (Shopee signs the callback URL)"
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    inventory_mode: Literal["inventory-less", "core"] = "inventory-less"
    inventory_core: str = "reference"
    jobs_mode: Literal["in-process", "celery"] = Field(
        default="in-process", description="in-process: jobs run inside the command (embedded default)"
    )
    broker_url: str = Field(default="redis://127.0.0.1:6379/0", description="Celery broker (Redis or RabbitMQ)")
    result_backend: str | None = Field(default=None, description=(
        "Celery result backend (e.g. the Redis URL); with one, an owner's matching fans out over the workers "
        "(one task per partition, a chord); without, each owner is matched whole on one worker"))
    task_queue: str = "aggregator"
    sync_interval_seconds: int = Field(default=300, description="how often every active shop is synced")
    match_interval_seconds: int = Field(default=900, description="how often matching runs for every owner")
    sync_concurrency: int = Field(default=16, ge=1, le=64, description=(
        "how many (shop, stream) runs the sync command, the demo and the embedded scheduler run at once "
        "(each shop keeps its own rate limit; 1 = one after another)"))
    sync_lag_seconds: int = Field(default=60, description="stop windows this far before now (late writes)")
    sync_initial_lookback_days: int = 30
    reconcile_lookback_hours: int = Field(default=72, gt=0, le=24 * 30, description=(
        "the daily reconciliation sync re-reads every shop's streams over this many hours before now "
        "(pushes lost or missed by the cursor, late updates); cursors never move back"))
    lost_push_interval_seconds: int = Field(default=900, gt=0, description=(
        "how often undelivered marketplace pushes are fetched back (Shopee keeps them 3 days)"))
    http_timeout_seconds: float = 30.0
    http_max_retries: int = 6
    fx_max_rate_age_days: int = 7
    fx_rate_sources: str = Field(default="ECB,NBP,MAS,BANK_CSV", description=(
        "rate sources for booking, in order of preference (comma list; a lock the statement uses comes first; "
        "a source with no imported rates is simply not found)"))
    booking_interval_seconds: int = Field(default=3600, description="how often new statements are booked")
    lease_ttl_seconds: float = Field(default=30.0, gt=0, le=600, description=(
        "time-to-live of a job's lease; a heartbeat renews it every third of it, so a dead worker's lease "
        "lapses within this time (at once when the dead worker was on this host)"))
    match_run_lease_seconds: float = Field(default=600.0, gt=0, le=86400, description=(
        "under Celery with a result backend an owner's match fans out into one task per partition; the run "
        "holds the owner's match lease this long between its tasks (each task renews it while it works), so a "
        "run lost with its broker frees the owner within this time"))
    match_task_lines: int = Field(default=20_000, ge=1, le=10_000_000, description=(
        "a fanned-out match groups an owner's partitions into tasks of about this many lines each (order lines "
        "of a shop partition, outbound lines of a warehouse partition; a larger partition is a task of its own): "
        "each task carries a fixed cost (its transaction, the owner's reference rows, the engine's setup), so "
        "small partitions share one"))
    job_runs_retention_days: int = Field(default=30, ge=1, description=(
        "finished executions of scheduled jobs (job_runs) older than this are deleted by the prune-job-runs job"))
    db_retry_seconds: float = Field(default=60.0, ge=0, le=3600, description=(
        "how long a sync rides out a database outage (retrying its commit and the closing of its run)"))
    outbox_retention_days: int = Field(default=7, ge=1, description=(
        "live events delivered (positioned) longer ago than this are pruned; a client resuming from before "
        "then starts over"))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = os.environ.get("AGGREGATOR_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'aggregator.sqlite').resolve()}"


def load_settings(**overrides: Any) -> Settings:
    """Read the configuration now (environment, ``$AGGREGATOR_CONFIG`` TOML file, overrides)."""
    settings = Settings(**overrides)
    if settings.database_url is None or settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings
