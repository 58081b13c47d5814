"""The PostgreSQL pool's checkout: no round trip for a connection just used, a new connection for one
the server closed meanwhile (``store.db._ping_when_in_doubt``)."""
from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import event, text

from aggregator.store import db
from aggregator.store.db import create_engine_for


def _pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_just_used_is_not_pinged(pg_database_factory: Callable[[], str]) -> None:
    engine = create_engine_for(pg_database_factory())
    try:
        first = _pid(engine)
        statements: list[str] = []
        pings: list[object] = []
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        real_ping = engine.dialect.do_ping
        engine.dialect.do_ping = lambda conn: pings.append(conn) or real_ping(conn)
        assert _pid(engine) == first
        assert statements == ["SELECT pg_backend_pid()"] and pings == []
    finally:
        engine.dispose()


def test_a_connection_the_server_closed_is_replaced_at_checkout(pg_database_factory: Callable[[], str]) -> None:
    url = pg_database_factory()
    engine, other = create_engine_for(url), create_engine_for(url)
    try:
        first = _pid(engine)
        with other.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
        deadline = time.monotonic() + 60  # (bounds a hang only: a loaded server may take a while)
        while True:  # until the server has ended that backend
            with other.connect() as conn:
                if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                    {"pid": first}).scalar_one():
                    break
            assert time.monotonic() < deadline, f"the server never ended backend {first}"
            time.sleep(0.02)
        assert _pid(engine) != first  # no error: the pool saw the closed socket and connected anew
    finally:
        engine.dispose()
        other.dispose()


def test_a_connection_idle_too_long_is_pinged(pg_database_factory: Callable[[], str], monkeypatch) -> None:
    engine = create_engine_for(pg_database_factory())
    try:
        _pid(engine)
        pings: list[object] = []
        real_ping = engine.dialect.do_ping
        engine.dialect.do_ping = lambda conn: pings.append(conn) or real_ping(conn)
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
        _pid(engine)
        assert len(pings) == 1
    finally:
        engine.dispose()
