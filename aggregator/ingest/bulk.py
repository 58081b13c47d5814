"""Batch writing of new aggregates, with the same rows and audit entries as the per-record upsert.

On SQLite one SELECT finds which keys of the batch already exist and the new headers, their children
and audit entries go in through sqlite3's prepared ``executemany`` of typed tuples; on PostgreSQL the
headers go in through psycopg's pipelined executemany with ON CONFLICT DO NOTHING RETURNING id, their
children and ``create`` audit entries in one executemany each; all inside one SAVEPOINT. Existing
keys, and every record of a batch whose bulk insert fails (a value the database refuses), go through
``write_aggregate`` one by one in their own SAVEPOINT, so a bad record is isolated exactly as on the
slow path.
"""
from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from aggregator.ingest.writers import Aggregate, write_aggregate
from aggregator.store.jsonutil import encode_columns
from aggregator.store.models.audit import AuditEntry
from aggregator.store.prepared_insert import executemany_sqlite, python_defaults
from aggregator.store.upsert import BOOKKEEPING, UpsertOutcome, entity_key

KEY_LOOKUP_BATCH = 500
StoreError = (SQLAlchemyError, psycopg.Error, sqlite3.Error, ValueError, TypeError)


def stored_hashes(session: Session, model: Any, key: tuple[str, ...], keys: list[tuple]) -> dict[tuple, str]:
    """The stored ``content_hash`` of each of ``keys`` that is stored. Keys are grouped by all but their
    last column and looked up as ``a = … AND b = … AND c IN (…)``, which both databases answer from the
    unique index (a row-value ``(a, b, c) IN (…)`` made PostgreSQL filter every row of the owner and
    warehouse: quadratic)."""
    table = model.__table__
    columns = [table.c[k] for k in key]
    by_prefix: dict[tuple, list] = defaultdict(list)
    for value in keys:
        by_prefix[value[:-1]].append(value[-1])
    found: dict[tuple, str] = {}
    for prefix, lasts in by_prefix.items():
        fixed = [column == value for column, value in zip(columns[:-1], prefix, strict=True)]
        for start in range(0, len(lasts), KEY_LOOKUP_BATCH):
            part = lasts[start:start + KEY_LOOKUP_BATCH]
            query = select(*columns, table.c.content_hash).where(*fixed, columns[-1].in_(part))
            found.update((tuple(row[:-1]), row[-1]) for row in session.execute(query))
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
    defaults = python_defaults(table, first.values)
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
                child_defaults = python_defaults(child_model.__table__, {parent_col, *rows[0][1]})
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
    return _insert_new_sqlite(session, aggs, actor)


class _ConcurrentWrite(ValueError):
    """Another connection added rows to the table while the batch went in: the batch is written again
    record by record (``write_batch`` rolls its SAVEPOINT back)."""


def _insert_new_sqlite(session: Session, aggs: list[Aggregate], actor: str) -> list[int]:
    """Headers, children and audit entries of ``aggs`` (keys checked absent) through sqlite3's
    ``executemany``. The headers' ids are the rows above the table's highest id before the insert, in
    insertion order: write transactions begin IMMEDIATE (``aggregator.store.db``), so no other
    connection writes meanwhile; should rows of another be among them, ``_ConcurrentWrite`` sends the
    batch through the per-record path."""
    dialect = session.get_bind().dialect
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        first = aggs[0]
        table = first.model.__table__
        quote = dialect.identifier_preparer.quote
        defaults = python_defaults(table, first.values)
        columns = [*first.values, *defaults]
        before = cursor.execute(f"SELECT coalesce(max(id), 0) FROM {quote(table.name)}").fetchone()[0]
        executemany_sqlite(cursor, dialect, table, columns,
                            [(*a.values.values(), *defaults.values()) for a in aggs])
        ids = [row[0] for row in cursor.execute(
            f"SELECT id FROM {quote(table.name)} WHERE id > ? ORDER BY id", (before,))]
        if len(ids) != len(aggs):
            raise _ConcurrentWrite(f"{len(ids) - len(aggs)} rows written to {table.name} meanwhile")
        for index, (child_model, parent_col, _) in enumerate(first.children):
            rows = [(pk, row) for pk, agg in zip(ids, aggs, strict=True) for row in agg.children[index][2]]
            if rows:
                child_table = child_model.__table__
                child_defaults = python_defaults(child_table, {parent_col, *rows[0][1]})
                executemany_sqlite(cursor, dialect, child_table, [parent_col, *rows[0][1], *child_defaults],
                                    [(pk, *row.values(), *child_defaults.values()) for pk, row in rows])
        audit = _audit_rows(table, aggs, actor)
        now = datetime.now(UTC)
        executemany_sqlite(cursor, dialect, AuditEntry.__table__, ["at", *audit[0]],
                            [(now, *row.values()) for row in audit])
    finally:
        cursor.close()
    return list(range(len(aggs)))


def write_batch(session: Session, aggs: list[Aggregate], on_result: Callable[[int, UpsertOutcome | None, str | None], None],
                actor: str = "system", bulk: bool = True) -> None:
    """Write ``aggs`` (one model, distinct keys); ``on_result(index, outcome, error)`` for each.

    A stored record with the same ``content_hash`` (which covers every header value, the owner and the
    source time among them, and every child row) is UNCHANGED, as the per-record upsert would find it,
    without a SAVEPOINT of its own: re-importing a cumulative file costs one lookup per batch (on
    PostgreSQL only for the keys ON CONFLICT found stored).
    ``bulk=False`` writes every record through the per-record upsert: the reference the bulk path is
    checked against (same rows, audit entries and rejects)."""
    if not aggs:
        return
    first = aggs[0]
    unchanged: set[int] = set()
    if not bulk:
        candidates: list[int] = []
    elif session.get_bind().dialect.name == "postgresql":
        # ON CONFLICT sorts out the existing ones (a key lookup first let the planner, on tables without
        # statistics yet, scan the owner's whole index prefix); they go through the per-record upsert
        candidates = list(range(len(aggs)))
    else:
        stored = stored_hashes(session, first.model, first.key, [a.key_values for a in aggs])
        unchanged = {i for i, a in enumerate(aggs) if stored.get(a.key_values) == a.values["content_hash"]}
        for i in sorted(unchanged):
            on_result(i, UpsertOutcome.UNCHANGED, None)
        candidates = [i for i, a in enumerate(aggs) if a.key_values not in stored]
    one_by_one = sorted(set(range(len(aggs))) - set(candidates) - unchanged)
    if candidates:
        try:
            with session.begin_nested():
                created = {candidates[j] for j in _insert_new(session, [aggs[i] for i in candidates], actor)}
            for i in sorted(created):
                on_result(i, UpsertOutcome.CREATED, None)
            one_by_one = sorted(set(one_by_one) | (set(candidates) - created))
        except StoreError:
            one_by_one = sorted(set(range(len(aggs))) - unchanged)
        else:
            if one_by_one and session.get_bind().dialect.name == "postgresql":
                # keys ON CONFLICT found stored (none on a first import): their stored hashes in one lookup
                stored = stored_hashes(session, first.model, first.key, [aggs[i].key_values for i in one_by_one])
                same = {i for i in one_by_one if stored.get(aggs[i].key_values) == aggs[i].values["content_hash"]}
                for i in sorted(same):
                    on_result(i, UpsertOutcome.UNCHANGED, None)
                one_by_one = [i for i in one_by_one if i not in same]
    for i in one_by_one:
        try:
            with session.begin_nested():
                result = write_aggregate(session, aggs[i])
            on_result(i, result.outcome, None)
        except StoreError as exc:
            on_result(i, None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
