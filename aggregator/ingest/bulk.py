"""Batch writing of new aggregates, with the same rows and audit entries as the per-record upsert.

On SQLite one SELECT finds which keys of the batch already exist and the new headers go in one
multi-row INSERT … RETURNING id; on PostgreSQL the headers go in through a pipelined executemany with
ON CONFLICT DO NOTHING RETURNING id. Their children and ``create`` audit entries follow in one
executemany each, all inside one SAVEPOINT. Existing keys, and every record of a batch whose bulk insert fails (a value the
database refuses), go through ``write_aggregate`` one by one in their own SAVEPOINT, so a bad record
is isolated exactly as on the slow path.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from aggregator.ingest.writers import Aggregate, write_aggregate
from aggregator.store.jsonutil import encode_columns
from aggregator.store.models.audit import AuditEntry
from aggregator.store.upsert import BOOKKEEPING, UpsertOutcome, entity_key

KEY_LOOKUP_BATCH = 500
StoreError = (SQLAlchemyError, psycopg.Error, ValueError, TypeError)


def _python_defaults(table, given) -> dict[str, Any]:
    """Values of the columns ``given`` leaves out that have a Python-side default (e.g. first_seen_at)."""
    values = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or column.primary_key:
            continue
        values[column.name] = default.arg(None) if default.is_callable else default.arg
    return values


def existing_keys(session: Session, model: Any, key: tuple[str, ...], keys: list[tuple]) -> set[tuple]:
    """Which of ``keys`` are stored. Keys are grouped by all but their last column and looked up as
    ``a = … AND b = … AND c IN (…)``, which both databases answer from the unique index (a row-value
    ``(a, b, c) IN (…)`` made PostgreSQL filter every row of the owner and warehouse: quadratic)."""
    table = model.__table__
    columns = [table.c[k] for k in key]
    by_prefix: dict[tuple, list] = defaultdict(list)
    for value in keys:
        by_prefix[value[:-1]].append(value[-1])
    found: set[tuple] = set()
    for prefix, lasts in by_prefix.items():
        fixed = [column == value for column, value in zip(columns[:-1], prefix, strict=True)]
        for start in range(0, len(lasts), KEY_LOOKUP_BATCH):
            part = lasts[start:start + KEY_LOOKUP_BATCH]
            found.update(tuple(row) for row in session.execute(select(*columns).where(*fixed, columns[-1].in_(part))))
    return found


def _audit_rows(table, aggs: list[Aggregate], actor: str) -> list[dict]:
    """The ``create`` entries, their changes serialised once (the text the per-record upsert stores)."""
    return [{"entity": table.name, "entity_key": entity_key(a.values, a.key), "action": "create",
             "owner_id": a.values.get("owner_id"), "actor": actor,
             "changes": encode_columns({k: v for k, v in a.values.items() if k not in BOOKKEEPING})} for a in aggs]


def _insert_new_postgresql(session: Session, aggs: list[Aggregate], actor: str) -> list[int]:
    """The same rows through psycopg's pipelined ``executemany``: one prepared statement per table
    instead of SQLAlchemy's long multi-VALUES statements, which psycopg must re-parse every time.
    Values are already what the column types bind on PostgreSQL (aware datetimes, Decimals, dates).
    Headers go in with ``ON CONFLICT DO NOTHING``: the positions that returned an id are the created
    ones (children and audit entries are written for those); the others already exist."""
    from psycopg.types.json import Jsonb

    raw = session.connection().connection.driver_connection
    quote = session.get_bind().dialect.identifier_preparer.quote

    def statement(table_name: str, columns: list[str], conflict: tuple[str, ...] = ()) -> str:
        text = (f"INSERT INTO {quote(table_name)} ({', '.join(quote(c) for c in columns)}) "
                f"VALUES ({', '.join(['%s'] * len(columns))})")
        if conflict:
            text += f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING RETURNING id"
        return text

    first = aggs[0]
    table = first.model.__table__
    defaults = _python_defaults(table, first.values)
    columns = [*first.values, *defaults]
    with raw.cursor() as cursor:
        cursor.executemany(statement(table.name, columns, conflict=first.key),
                           [tuple({**a.values, **defaults}[c] for c in columns) for a in aggs], returning=True)
        created: list[tuple[int, int]] = []  # (position in aggs, new id)
        position = 0
        while True:
            row = cursor.fetchone()
            if row is not None:
                created.append((position, row[0]))
            position += 1
            if not cursor.nextset():
                break
        if not created:
            return []
        ids = [pk for _, pk in created]
        aggs = [aggs[i] for i, _ in created]
        for index, (child_model, parent_col, _) in enumerate(first.children):
            rows = [(pk, row) for pk, agg in zip(ids, aggs, strict=True) for row in agg.children[index][2]]
            if rows:
                child_defaults = _python_defaults(child_model.__table__, {parent_col, *rows[0][1]})
                child_columns = [parent_col, *rows[0][1], *child_defaults]
                cursor.executemany(statement(child_model.__tablename__, child_columns),
                                   [(pk, *row.values(), *child_defaults.values()) for pk, row in rows])
        audit = _audit_rows(table, aggs, actor)
        now = datetime.now(UTC)
        audit_columns = ["at", *audit[0]]
        cursor.executemany(statement(AuditEntry.__tablename__, audit_columns),
                           [(now, *(Jsonb(v, dumps=str) if k == "changes" else v for k, v in row.items())) for row in audit])
    return [i for i, _ in created]


def _insert_new(session: Session, aggs: list[Aggregate], actor: str) -> list[int]:
    """Insert ``aggs`` (keys checked absent, or left to ON CONFLICT on PostgreSQL); positions created."""
    if session.get_bind().dialect.name == "postgresql":
        return _insert_new_postgresql(session, aggs, actor)
    connection = session.connection()
    first = aggs[0]
    table = first.model.__table__
    ids = connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                             [a.values for a in aggs]).scalars().all()
    for index, (child_model, parent_col, _) in enumerate(first.children):
        rows = [{parent_col: pk, **row} for pk, agg in zip(ids, aggs) for row in agg.children[index][2]]
        if rows:
            connection.execute(insert(child_model.__table__), rows)
    connection.execute(insert(AuditEntry.__table__), _audit_rows(table, aggs, actor))
    return list(range(len(aggs)))


def write_batch(session: Session, aggs: list[Aggregate], on_result: Callable[[int, UpsertOutcome | None, str | None], None],
                actor: str = "system", bulk: bool = True) -> None:
    """Write ``aggs`` (one model, distinct keys); ``on_result(index, outcome, error)`` for each.

    ``bulk=False`` writes every record through the per-record upsert: the reference the bulk path is
    checked against (same rows, audit entries and rejects)."""
    if not aggs:
        return
    first = aggs[0]
    if not bulk:
        candidates: list[int] = []
    elif session.get_bind().dialect.name == "postgresql":
        candidates = list(range(len(aggs)))  # ON CONFLICT sorts out the existing ones
    else:
        present = existing_keys(session, first.model, first.key, [a.key_values for a in aggs])
        candidates = [i for i, a in enumerate(aggs) if a.key_values not in present]
    one_by_one = sorted(set(range(len(aggs))) - set(candidates))
    if candidates:
        try:
            with session.begin_nested():
                created = {candidates[j] for j in _insert_new(session, [aggs[i] for i in candidates], actor)}
            for i in sorted(created):
                on_result(i, UpsertOutcome.CREATED, None)
            one_by_one = sorted(set(one_by_one) | (set(candidates) - created))
        except StoreError:
            one_by_one = list(range(len(aggs)))
    for i in one_by_one:
        try:
            with session.begin_nested():
                result = write_aggregate(session, aggs[i])
            on_result(i, result.outcome, None)
        except StoreError as exc:
            on_result(i, None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
