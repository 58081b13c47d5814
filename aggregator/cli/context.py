"""What every command gets: the settings (read when the command runs) and a lazily made engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import click
from sqlalchemy import Engine

from aggregator.config import Settings, load_settings


@dataclass
class AppContext:
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None
    _engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(**self.overrides)
        return self._settings

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from aggregator.store.db import create_engine_for

            self._engine = create_engine_for(self.settings.effective_database_url)
        return self._engine

    def ready_engine(self) -> Engine:
        """The engine with the schema upgraded to head (the embedded default needs no setup step)."""
        from aggregator.store.db import upgrade_schema

        upgrade_schema(self.engine)
        return self.engine


pass_app = click.make_pass_decorator(AppContext, ensure=True)
