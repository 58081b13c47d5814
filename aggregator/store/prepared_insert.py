"""Many rows into one table through one prepared INSERT, without SQLAlchemy's per-statement bookkeeping.

``executemany_sqlite`` sends typed tuples through sqlite3's ``executemany``; each value goes through
its column type's bind processor first (UTC text, exact decimal text, JSON), the conversion
SQLAlchemy itself applies. ``insert_rows`` is Core's executemany on other databases (psycopg batches
it itself). ``python_defaults`` fills the columns a row leaves out that have a Python-side default.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session


def python_defaults(table: Any, given: Any) -> dict[str, Any]:
    """Values of the columns ``given`` leaves out that have a Python-side default (e.g. first_seen_at)."""
    values = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or column.primary_key:
            continue
        values[column.name] = default.arg(None) if default.is_callable else default.arg
    return values


def executemany_sqlite(cursor: Any, dialect: Any, table: Any, columns: list[str], rows: list[tuple]) -> None:
    """One prepared INSERT of ``rows`` (values in ``columns`` order) on a sqlite3 cursor."""
    quote = dialect.identifier_preparer.quote
    processors = [(i, p) for i, p in enumerate(table.c[c].type.dialect_impl(dialect).bind_processor(dialect)
                                               for c in columns) if p is not None]
    if processors:
        converted = []
        for row in rows:
            row = list(row)
            for i, process in processors:
                row[i] = process(row[i])
            converted.append(row)
        rows = converted
    cursor.executemany(f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
                       f"VALUES ({', '.join('?' * len(columns))})", rows)


def insert_rows(session: Session, table: Any, rows: list[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``: prepared executemany on SQLite,
    Core executemany elsewhere. Same stored values and defaults either way."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        session.execute(insert(table), list(rows))
        return
    session.flush()  # rows the session holds go first, as they would before a Core statement
    defaults = python_defaults(table, rows[0])
    columns = [*rows[0], *defaults]
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        executemany_sqlite(cursor, dialect, table, columns, [(*row.values(), *defaults.values()) for row in rows])
    finally:
        cursor.close()
