"""Engines, sessions and schema upgrades for the embedded SQLite default and PostgreSQL."""
from __future__ import annotations

import json
import select as _select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
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


#: the page size of a SQLite database this engine creates (SQLite's default is 4096)
SQLITE_PAGE_SIZE = 8192


def create_engine_for(url: str, **kwargs: Any) -> Engine:
    """An engine configured for the dialect: SQLite gets WAL, foreign keys, a busy timeout and, for a database
    it creates, pages of ``SQLITE_PAGE_SIZE`` bytes."""
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
            # (before WAL: a database with nothing in it yet takes this size; one that has pages keeps its own)
            cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
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
    pinged = kwargs.pop("pool_pre_ping", None)
    engine = create_engine(url, json_serializer=_json_serializer, pool_pre_ping=bool(pinged), **kwargs)
    if pinged is None:  # the default: a round trip only where a connection may have gone
        _ping_when_in_doubt(engine)
    return engine


#: A pooled PostgreSQL connection idle longer than this is pinged when checked out.
PING_AFTER_IDLE_SECONDS = 30.0


def _ping_when_in_doubt(engine: Engine) -> None:
    """Check a pooled PostgreSQL connection at checkout without a round trip in the usual case.

    ``pool_pre_ping`` sends a query on every checkout (a push's receive and re-read check out a dozen
    times: a dozen round trips and their CPU on both sides). A connection that the server closed
    (restart, ``pg_terminate_backend``, idle timeout, a proxy cutting it) has its end of the socket
    readable while it sits idle in the pool (the server's goodbye or EOF): that, a connection libpq
    knows is bad, or one idle longer than ``PING_AFTER_IDLE_SECONDS``, is pinged, and a failed ping
    makes the pool connect anew (``DisconnectionError``). A connection lost between use and checkout
    without a word from the other end is found by its first statement, as with any lost connection."""

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None:
            return  # a new connection
        if not _in_doubt(dbapi_conn, idle_since):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as error:  # noqa: BLE001 - any failure means: connect anew
            raise exc.DisconnectionError(f"pooled connection failed its ping: {error}") from error
        if not alive:
            raise exc.DisconnectionError("pooled connection failed its ping")


def _in_doubt(dbapi_conn: Any, idle_since: float) -> bool:
    if time.monotonic() - idle_since > PING_AFTER_IDLE_SECONDS:
        return True
    try:
        if dbapi_conn.closed or dbapi_conn.pgconn.status != 0:  # libpq CONNECTION_OK
            return True
        readable, _, _ = _select.select([dbapi_conn.pgconn.socket], [], [], 0)
    except Exception:  # noqa: BLE001 - not a psycopg connection, or its socket is gone
        return True
    return bool(readable)


READ_ONLY_OPTION = "aggregator_read_only"


def read_only_engine(engine: Engine) -> Engine:
    """The same engine for work that only reads (API GETs): on SQLite its transactions begin deferred."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


#: the attribute of an engine holding its ``statement_reads`` engine
_READER = "_aggregator_statement_reads"


def statement_reads(engine: Engine) -> Engine:
    """``read_only_engine`` for reads that are one statement each (a look at a row or a queue): on
    PostgreSQL in autocommit, so each is one round trip instead of BEGIN, the statement and ROLLBACK.
    A READ COMMITTED transaction gives each statement its own snapshot anyway, so a statement sees
    the same either way. Not for several statements that must agree, nor for streamed results
    (server-side cursors want a transaction). One engine per engine, kept on the engine itself (the
    reader refers to its engine: a cache outside it, even keyed weakly, would keep every engine and
    its pool alive for the life of the process)."""
    reader = engine.__dict__.get(_READER)
    if reader is None:
        reader = read_only_engine(engine)
        if engine.dialect.name == "postgresql":
            reader = reader.execution_options(isolation_level="AUTOCOMMIT")
        setattr(engine, _READER, reader)
    return reader


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
    # ("%" doubled: the option is read through configparser's interpolation, and a URL holds "%" wherever it
    # encodes a character, as a password's "@" (%40) or ":memory:" (%3Amemory%3A); unescaped, setting it raised)
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_schema(engine: Engine, revision: str = "head") -> list[str]:
    """Apply the Alembic migrations up to ``revision``; at head, bring a database made by an earlier build
    of the pre-release revision up to the models (``store.catch_up``): what that did, one line each."""
    from alembic import command

    cfg = alembic_config(engine)
    cfg.attributes["catch_up"] = revision == "head"
    command.upgrade(cfg, revision)
    return cfg.attributes.get("caught_up", [])


def downgrade_schema(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
