"""Multi-row SQLite inserts within the connection's own parameter limit (``SQLITE_LIMIT_VARIABLE_NUMBER``, a
build-time option that may be lower than the version's default): on a connection taking 999, a batch of 64 rows
of 20 varying columns (1,280 parameters) is stored row by row."""
from __future__ import annotations

import sqlite3

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine

from aggregator.store.prepared_insert import sqlite_insert


def test_a_statement_stays_within_the_connections_parameter_limit() -> None:
    dialect = create_engine("sqlite://").dialect
    columns = [f"c{i}" for i in range(20)]
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), *[Column(c, String) for c in columns])
    connection = sqlite3.connect(":memory:")
    connection.execute(f"CREATE TABLE t (id INTEGER PRIMARY KEY, {', '.join(c + ' TEXT' for c in columns)})")
    connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    rows = [tuple(f"{r}-{i}" for i in range(20)) for r in range(64)]
    assert sqlite_insert(dialect, table, columns, rows).run(connection.cursor()) == 64
    assert connection.execute("SELECT count(*) FROM t").fetchone()[0] == 64
