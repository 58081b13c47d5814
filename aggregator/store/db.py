"""Engines, sessions and schema upgrades for the embedded SQLite default and PostgreSQL."""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from aggregator.store.jsonutil import EncodedJSON, to_jsonable

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _json_serializer(value: Any) -> str:
    """JSON columns: records and their parts as plain JSON. A NUL character in a string (a hostile or
    broken payload kept for the exceptions queue) is written as the visible text ``\\x00``: PostgreSQL's
    JSONB refuses ``\\u0000``, and what is kept must be kept on every database."""
    if isinstance(value, EncodedJSON):  # serialised once by a bulk writer (``aggregator.store.jsonutil``)
        if "\\u0000" not in value:
            return value
        value = json.loads(value)
    plain = to_jsonable(value)
    text = json.dumps(plain, ensure_ascii=False)
    if "\\u0000" in text:
        text = json.dumps(_nul_visible(plain), ensure_ascii=False)
    return text


def _nul_visible(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\\x00")
    if isinstance(value, dict):
        return {_nul_visible(k): _nul_visible(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nul_visible(v) for v in value]
    return value


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_engine_for(url: str, **kwargs: Any) -> Engine:
    """An engine configured for the dialect: SQLite gets WAL, foreign keys and a busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url not in ("sqlite://", "sqlite:///:memory:"):
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, json_serializer=_json_serializer, connect_args={"timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so SAVEPOINTs and BEGIN IMMEDIATE work.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE: take the write lock when the transaction starts, waiting (busy timeout) for
            # another writer. A deferred transaction that reads and then writes would instead fail at
            # once with "database is locked" whenever another writer committed in between. Read-only
            # work (``read_only_engine``) begins deferred and never blocks a writer (WAL).
            read_only = conn.get_execution_options().get(READ_ONLY_OPTION)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, json_serializer=_json_serializer, **kwargs)


READ_ONLY_OPTION = "aggregator_read_only"


def read_only_engine(engine: Engine) -> Engine:
    """The same engine for work that only reads (API GETs): on SQLite its transactions begin deferred."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, future=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine):  # -> alembic.config.Config
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Apply the Alembic migrations up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade_schema(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
