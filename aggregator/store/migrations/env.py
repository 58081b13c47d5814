"""Alembic environment: runs migrations on the engine handed over by ``aggregator.store.db``."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from aggregator.store import models  # noqa: F401  (registers every table on the metadata)
from aggregator.store.base import Base

config = context.config
target_metadata = Base.metadata
#: PostgreSQL advisory lock key held while migrating ("aggmigr" in ASCII): processes starting together on
#: one database (API, workers, beat) migrate one after another; the later ones find the schema current.
MIGRATION_LOCK = 0x616767_6D69_6772


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            user_module_prefix="aggregator.store.types.",
        )
        with context.begin_transaction():
            context.run_migrations()
            if config.attributes.get("catch_up"):  # (``store.db.upgrade_schema``)
                from aggregator.store.catch_up import catch_up

                config.attributes["caught_up"] = catch_up(connection, target_metadata)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
