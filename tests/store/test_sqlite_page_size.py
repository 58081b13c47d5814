"""A SQLite database the engine creates has pages of ``db.SQLITE_PAGE_SIZE`` bytes (SQLite's default is 4096);
one that already holds pages keeps its own size and works as before."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import select

from aggregator.store.db import SQLITE_PAGE_SIZE, create_engine_for, session_scope, upgrade_schema
from aggregator.store.models.tenancy import OwnerRow
from aggregator.tenancy import add_owner


def _page_size(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("PRAGMA page_size").fetchone()[0]


def test_a_new_database_has_the_engines_page_size(tmp_path: Path) -> None:
    assert SQLITE_PAGE_SIZE != 4096  # (else this test would not tell)
    engine = create_engine_for(f"sqlite:///{tmp_path / 'new.sqlite'}")
    try:
        upgrade_schema(engine)
        with session_scope(engine) as session:
            add_owner(session, "PAGES", "Pages")
    finally:
        engine.dispose()
    assert _page_size(tmp_path / "new.sqlite") == SQLITE_PAGE_SIZE
    with closing(sqlite3.connect(tmp_path / "new.sqlite")) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_database_made_with_other_pages_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "earlier.sqlite"
    with closing(sqlite3.connect(path)) as connection:  # (as an earlier build made it: SQLite's default pages)
        connection.execute("PRAGMA page_size=4096")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE kept (x INTEGER)")
    engine = create_engine_for(f"sqlite:///{path}")
    try:
        upgrade_schema(engine)
        with session_scope(engine) as session:
            add_owner(session, "PAGES", "Pages")
        with session_scope(engine) as session:
            assert session.scalars(select(OwnerRow.owner_id)).all() == ["PAGES"]
    finally:
        engine.dispose()
    assert _page_size(path) == 4096
