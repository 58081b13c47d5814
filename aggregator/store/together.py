"""One statement that writes rows of several tables: on PostgreSQL the other tables' rows go in
data-modifying CTEs of the statement (``WITH a AS (INSERT …), b AS (INSERT …) INSERT … RETURNING …``),
one round trip instead of one per table; on SQLite they are inserted first, one statement per table
(a statement there is a call within the process, not a round trip).

Used where a small change writes its row, its audit entry and its outbox events together (a webhook
push's event, ``aggregator/webhooks.py``). ``unnest`` gives rows of any number as one array per column,
for a statement whose text does not depend on how many rows it writes (the push re-read's write,
``aggregator/push_reread.py``): nothing to compile per call.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Result
from sqlalchemy.orm import Session

from aggregator.store.prepared_insert import converted_rows
from aggregator.store.types import uncollated

#: (table, rows to insert into it)
Rows = tuple[Table, Sequence[dict[str, Any]]]


def execute_with(session: Session, statement, rows: Sequence[Rows], writes: Sequence = ()) -> Result:
    """Execute ``statement`` (an INSERT, UPDATE or DELETE) with ``rows`` inserted and ``writes`` (UPDATE
    statements of other rows, their values bound anonymously: ``literal``) executed in the same
    transaction; on PostgreSQL in the same statement. Every row is inserted and every write done
    whatever the statement itself does (a CTE that modifies data always runs to completion). An INSERT
    ``statement`` gives its own columns' Python-side defaults (``with_defaults``): SQLAlchemy leaves
    them out of a statement with CTEs."""
    rows = [(table, list(values)) for table, values in rows if values]
    if session.get_bind().dialect.name == "postgresql":
        ctes = [write.cte(f"write_{n}") for n, write in enumerate(writes)]
        ctes += [insert(table).values(with_defaults(table, values)).cte(f"also_{n}")
                 for n, (table, values) in enumerate(rows)]
        return session.execute(statement.add_cte(*ctes) if ctes else statement)
    for write in writes:
        session.execute(write)
    for table, values in rows:
        session.execute(insert(table), values)
    return session.execute(statement)


def with_defaults(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with the columns' Python-side defaults filled in where missing (SQLAlchemy computes them for
    a plain INSERT, not for one with CTEs nor for the inserts in CTEs)."""
    defaults = [(c.name, c.default) for c in table.columns
                if c.default is not None and (c.default.is_scalar or c.default.is_callable)]
    out = []
    for row in rows:
        missing = {name: default.arg if default.is_scalar else default.arg(None)
                   for name, default in defaults if name not in row}
        out.append({**row, **missing} if missing else row)
    return out


def unnest(dialect: Any, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> tuple[str, list]:
    """PostgreSQL: ``unnest(%s::type[], …)`` over ``rows`` (tuples of the ``columns``' values, each converted
    as the column converts it, ``prepared_insert.converted_rows``), for a driver cursor's statement, and its
    parameters: one array per column, whatever the number of rows."""
    cells = list(zip(*converted_rows(dialect, table, columns, rows))) if rows else [() for _ in columns]
    types = [uncollated(table.c[name].type, dialect).compile(dialect=dialect) for name in columns]
    return f"unnest({', '.join(f'%s::{kind}[]' for kind in types)})", [list(column) for column in cells]
