"""Idempotent upserts by natural key, on SQLite and PostgreSQL alike.

``upsert`` inserts with ``INSERT … ON CONFLICT DO NOTHING``; when the key exists it compares the
incoming source update time (a stale update never overwrites a newer one) and the values (an
identical record is ``UNCHANGED`` and writes nothing, not even an audit entry), then updates only
the changed columns under a guard that re-checks the source time in SQL, so two writers racing
cannot let the older one win. Creates and updates are written to the audit log.
"""
from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from aggregator.store import audit_batch
from aggregator.store.audit_json import BOOKKEEPING  # noqa: F401  (bookkeeping columns; imported from here too)
from aggregator.store.jsonutil import encode_columns, to_jsonable
from aggregator.store.models.audit import AuditEntry
from aggregator.store.fingerprint import is_current
from aggregator.store.prepared_insert import insert_new, insert_rows



class UpsertOutcome(str, enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class UpsertResult:
    outcome: UpsertOutcome
    pk: int
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def insert_for(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return pg_insert(table)
    if dialect == "sqlite":
        return sqlite_insert(table)
    raise NotImplementedError(f"upsert is implemented for sqlite and postgresql, not {dialect}")


def entity_key(values: Mapping[str, Any], key: Iterable[str]) -> str:
    return "|".join("" if values[k] is None else str(values[k]) for k in key)


def write_audit(
    session: Session, *, entity: str, key: str, action: str, owner_id: str | None,
    changes: Any = None, actor: str = "system",
) -> None:
    session.add(AuditEntry(**audit_row(entity=entity, key=key, action=action, owner_id=owner_id, changes=changes,
                                       actor=actor)))


def audit_row(*, entity: str, key: str, action: str, owner_id: str | None, changes: Any = None,
              actor: str = "system") -> dict[str, Any]:
    """The ``audit_log`` row ``write_audit`` adds, for a caller that inserts it itself (its time: the column's default)."""
    return {"entity": entity, "entity_key": key, "action": action, "owner_id": owner_id,
            "changes": to_jsonable(changes), "actor": actor}


def upsert(
    session: Session,
    model: Any,
    values: Mapping[str, Any],
    key: tuple[str, ...],
    *,
    source_updated_col: str | None = "source_updated_at",
    audit: bool = True,
    actor: str = "system",
    stated: Collection[str] | None = None,
) -> UpsertResult:
    """Insert or update one row identified by its natural ``key`` columns. ``stated``: the columns a stored row
    takes from ``values`` (its source states only those; the others stay as stored); a new row takes them all.
    None: every one."""
    table = model.__table__
    values = dict(values)
    owner_id = values.get("owner_id")
    ekey = entity_key(values, key)
    inserted = session.execute(
        insert_for(session, table).values(**values).on_conflict_do_nothing(index_elements=list(key))
        .returning(table.c.id)
    ).first()
    if inserted is not None:
        if audit:
            write_audit(session, entity=table.name, key=ekey, action="create", owner_id=owner_id,
                        changes={k: v for k, v in values.items() if k not in BOOKKEEPING}, actor=actor)
        return UpsertResult(UpsertOutcome.CREATED, inserted[0])

    key_clause = and_(*(table.c[k] == values[k] for k in key))
    query = select(table).where(key_clause)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    existing = session.execute(query).mappings().one()
    if stated is not None:
        values = {name: value for name, value in values.items() if name in stated or name in key}
    return _apply_to_existing(session, table, values, key, existing, source_updated_col, audit, actor)


def _apply_to_existing(session: Session, table: Any, values: Mapping[str, Any], key: tuple[str, ...],
                       existing: Mapping[str, Any], source_updated_col: str | None, audit: bool,
                       actor: str) -> UpsertResult:
    """Decide STALE / UNCHANGED / UPDATED against the stored row and apply a guarded update."""
    decided = decide_existing(table, values, key, existing, source_updated_col)
    if decided.outcome is not UpsertOutcome.UPDATED:
        return decided
    if audit:
        audit_batch.settle(session, table, existing)  # a batch-recorded creation gets its own entry first
    key_clause = and_(*(table.c[k] == values[k] for k in key))
    statement = update(table).where(key_clause).values(**{c: v[1] for c, v in decided.changes.items()})
    incoming_time = values.get(source_updated_col) if source_updated_col in table.c else None
    if incoming_time is not None:  # re-checked in SQL: a newer row written meanwhile wins
        column = table.c[source_updated_col]
        statement = statement.where(or_(column.is_(None), column <= incoming_time))
    if session.execute(statement).rowcount == 0:
        return UpsertResult(UpsertOutcome.STALE, existing["id"])
    if audit:
        write_audit(session, entity=table.name, key=entity_key(values, key), action="update",
                    owner_id=values.get("owner_id"), changes=update_changes(decided), actor=actor)
    return decided


def decide_existing(table: Any, values: Mapping[str, Any], key: tuple[str, ...], existing: Mapping[str, Any],
                    source_updated_col: str | None) -> UpsertResult:
    """What ``values`` do to the stored row ``existing``, nothing written: STALE (older source time),
    UNCHANGED (no column differs), or UPDATED with the changed columns (old, new)."""
    tracks_time = source_updated_col is not None and source_updated_col in table.c
    incoming_time = values.get(source_updated_col) if tracks_time else None
    stored_time = existing[source_updated_col] if tracks_time else None
    if incoming_time is not None and stored_time is not None and incoming_time < stored_time:
        return UpsertResult(UpsertOutcome.STALE, existing["id"])
    changes = {
        col: (existing[col], new)
        for col, new in values.items()
        if col not in key and col not in BOOKKEEPING and existing[col] != new
    }
    if not changes:
        return UpsertResult(UpsertOutcome.UNCHANGED, existing["id"])
    return UpsertResult(UpsertOutcome.UPDATED, existing["id"], changes)


def update_changes(decided: UpsertResult) -> dict[str, list]:
    """An update's audit ``changes``: each changed column's [old, new]."""
    return {c: [old, new] for c, (old, new) in decided.changes.items()}


def _key_getter(key: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple]:
    """A row's values of the ``key`` columns, as a tuple."""
    if len(key) == 1:
        return lambda row, name=key[0]: (row[name],)
    return operator.itemgetter(*key)


def _rows_by_key(session: Session, table: Any, key: tuple[str, ...], key_cols: list, wanted: list[tuple],
                 columns: list) -> list[tuple[tuple, Mapping[str, Any]]]:
    """(key, stored row with ``columns``) for the ``wanted`` keys that exist, 500 keys per SELECT. Keys are
    grouped by all but their last column and asked as ``a = … AND b = … AND c IN (…)``, which both
    databases answer from the unique index (a row-value ``(a, b, c) IN (…)`` can make PostgreSQL filter
    every row of the prefix)."""
    by_prefix: dict[tuple, list] = {}
    for value in wanted:
        by_prefix.setdefault(value[:-1], []).append(value[-1])
    found = []
    for prefix, lasts in by_prefix.items():
        fixed = [column == value for column, value in zip(key_cols[:-1], prefix)]
        for start in range(0, len(lasts), 500):
            query = select(*columns).where(*fixed, key_cols[-1].in_(lasts[start:start + 500]))
            found.extend((tuple(row[c] for c in key), row) for row in session.execute(query).mappings())
    return found


def upsert_many(
    session: Session,
    model: Any,
    rows: list[Mapping[str, Any]],
    key: tuple[str, ...],
    *,
    source_updated_col: str | None = "source_updated_at",
    audit: bool = True,
    actor: str = "system",
    hashed: bool = False,
    legacy_hash: Callable[[int], str] | None = None,
    prepared: bool = True,
) -> list[UpsertResult]:
    """``upsert`` for many rows at once: same outcomes, a handful of statements instead of several per row.

    ``hashed``: every column but ``owner_id`` is derived from the record its ``content_hash`` covers, so
    a stored row with the same hash, owner and source time is UNCHANGED without reading its other
    columns; only rows that differ are read in full and compared column by column. ``legacy_hash(i)``
    (optional) is row ``i``'s hash in the version before ``fingerprint.record_hash``: a stored hash of that
    version equal to it (same owner and source time) is the same record, refreshed to the current
    version without counting a change or writing an audit entry.

    ``prepared`` (the default): new rows go in through one prepared executemany
    (``prepared_insert.insert_new``); ``prepared=False`` through SQLAlchemy's Core insert, the reference
    the tests hold the fast path to (same rows, ids, audit entries).

    One SELECT finds the existing rows, one multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING``
    adds the new ones, changed rows get the same guarded UPDATE as ``upsert``, and the audit entries
    go in one executemany. A key repeated in ``rows`` is applied in order, as single upserts would.
    Results are in the order of ``rows``.
    """
    results: list[UpsertResult | None] = [None] * len(rows)
    pending = list(range(len(rows)))
    key_of = _key_getter(key)
    while pending:  # rounds of unique keys: a repeated key waits for the next round
        seen: set[tuple] = set()
        this_round, later = [], []
        for index in pending:
            k = key_of(rows[index])
            (later if k in seen else this_round).append(index)
            seen.add(k)
        _upsert_round(session, model, rows, this_round, key, source_updated_col, audit, actor, results, hashed,
                      legacy_hash, prepared)
        pending = later
    return results  # type: ignore[return-value]


def _upsert_round(session: Session, model: Any, rows: list[Mapping[str, Any]], indexes: list[int],
                  key: tuple[str, ...], source_updated_col: str | None, audit: bool, actor: str,
                  results: list[UpsertResult | None], hashed: bool = False,
                  legacy_hash: Callable[[int], str] | None = None, prepared: bool = True) -> None:
    table = model.__table__
    key_cols = [table.c[c] for c in key]
    key_of = _key_getter(key)
    wanted = [key_of(rows[i]) for i in indexes]
    by_key = dict(zip(wanted, indexes))
    tracks_time = source_updated_col is not None and source_updated_col in table.c
    if hashed:  # (id, hash, owner, source time) first; the full row only where they differ
        light = [table.c.id, *key_cols, table.c.content_hash, table.c.owner_id,
                 *([table.c[source_updated_col]] if tracks_time else [])]
        differ, rehashed = [], []
        for found in _rows_by_key(session, table, key, key_cols, wanted, light):
            index = by_key[found[0]]
            values = rows[index]
            row = found[1]
            same = ((not tracks_time or row[source_updated_col] == values.get(source_updated_col))
                    and row["owner_id"] == values["owner_id"])
            if same and row["content_hash"] == values["content_hash"]:
                results[index] = UpsertResult(UpsertOutcome.UNCHANGED, row["id"])
            elif (same and legacy_hash is not None and not is_current(row["content_hash"])
                  and row["content_hash"] == legacy_hash(index)):
                results[index] = UpsertResult(UpsertOutcome.UNCHANGED, row["id"])
                rehashed.append({"pk": row["id"], "old": row["content_hash"], "new": values["content_hash"]})
            else:
                differ.append(found[0])
        if rehashed:  # the same record under an older hash version: only the hash is brought up to date
            session.execute(update(table).where(table.c.id == bindparam("pk"), table.c.content_hash == bindparam("old"))
                            .values(content_hash=bindparam("new")), rehashed)
        existing = dict(_rows_by_key(session, table, key, key_cols, differ, [table]))
        present = {k for k in wanted if results[by_key[k]] is not None} | set(existing)
    else:
        existing = dict(_rows_by_key(session, table, key, key_cols, wanted, [table]))
        present = set(existing)
    new, audits = [], []
    now = datetime.now(timezone.utc)  # the audit entries' time
    for index, k in zip(indexes, wanted):
        if k not in present:
            new.append(index)
            continue
        if k in existing:
            results[index] = _apply_to_existing(session, table, rows[index], key, existing[k], source_updated_col,
                                                audit, actor)
    if new:
        if prepared:  # one prepared executemany; None where another writer inserted the key meanwhile
            new_ids = insert_new(session, table, [rows[i] for i in new], key)
        else:  # executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs
            inserted = session.execute(
                insert_for(session, table).on_conflict_do_nothing(index_elements=list(key))
                .returning(table.c.id, *key_cols), [dict(rows[i]) for i in new]
            ).all()
            ids = {tuple(r[1:]): r[0] for r in inserted}
            new_ids = [ids.get(key_of(rows[i])) for i in new]
        for index, pk in zip(new, new_ids):
            values = rows[index]
            if pk is not None:
                results[index] = UpsertResult(UpsertOutcome.CREATED, pk)
                if audit:
                    audits.append({"entity": table.name, "entity_key": entity_key(values, key), "action": "create",
                                   "owner_id": values.get("owner_id"), "actor": actor,
                                   "changes": encode_columns(values if type(values) is dict and BOOKKEEPING.isdisjoint(values) else
                                                             {c: v for c, v in values.items() if c not in BOOKKEEPING}),
                                   "at": now})
            else:  # a concurrent writer inserted it first: decide like a single upsert
                results[index] = upsert(session, model, values, key, source_updated_col=source_updated_col,
                                        audit=audit, actor=actor)
    if audits:
        if prepared:
            insert_rows(session, AuditEntry.__table__, audits)
        else:
            session.execute(insert(AuditEntry.__table__), audits)
