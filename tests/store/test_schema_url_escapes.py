"""The schema upgrades through an engine whose URL holds a percent-encoded character (a password's "@" written
%40, SQLite's ":memory:"): Alembic's config reads its URL option through configparser's interpolation, where an
unescaped "%" raised ``ValueError: invalid interpolation syntax`` before any migration ran."""
from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from aggregator.store.db import alembic_config, create_engine_for, current_revision, upgrade_schema


def test_a_postgresql_url_with_an_encoded_password_upgrades(pg_database_factory) -> None:
    url = make_url(pg_database_factory()).set(password="p@ss:w%rd")  # (trust auth here: any password connects)
    engine = create_engine_for(url.render_as_string(hide_password=False))
    try:
        assert "%40" in engine.url.render_as_string(hide_password=False)
        upgrade_schema(engine)
        assert current_revision(engine) is not None
        assert "warehouse_shipments" in inspect(engine).get_table_names()
        # (the option reads back as the URL itself)
        assert alembic_config(engine).get_main_option("sqlalchemy.url") == engine.url.render_as_string(
            hide_password=False)
    finally:
        engine.dispose()


def test_an_in_memory_sqlite_database_upgrades() -> None:
    engine = create_engine_for("sqlite:///:memory:")
    try:
        upgrade_schema(engine)
        assert "warehouse_shipments" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
