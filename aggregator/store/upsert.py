"""Idempotent upserts by natural key, on SQLite and PostgreSQL alike.

``upsert`` inserts with ``INSERT … ON CONFLICT DO NOTHING``; when the key exists it compares the
incoming source update time (a stale update never overwrites a newer one) and the values (an
identical record is ``UNCHANGED`` and writes nothing, not even an audit entry), then updates only
the changed columns under a guard that re-checks the source time in SQL, so two writers racing
cannot let the older one win. Creates and updates are written to the audit log.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from aggregator.store.jsonutil import to_jsonable
from aggregator.store.models.audit import AuditEntry

#: Bookkeeping columns never compared or audited.
BOOKKEEPING = frozenset({"id", "first_seen_at", "stored_at", "created_at", "updated_at"})


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
    session.add(AuditEntry(entity=entity, entity_key=key, action=action, owner_id=owner_id,
                           changes=to_jsonable(changes), actor=actor))


def upsert(
    session: Session,
    model: Any,
    values: Mapping[str, Any],
    key: tuple[str, ...],
    *,
    source_updated_col: str | None = "source_updated_at",
    audit: bool = True,
    actor: str = "system",
) -> UpsertResult:
    """Insert or update one row identified by its natural ``key`` columns."""
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

    statement = update(table).where(key_clause).values(**{c: v[1] for c, v in changes.items()})
    if incoming_time is not None:
        column = table.c[source_updated_col]
        statement = statement.where(or_(column.is_(None), column <= incoming_time))
    if session.execute(statement).rowcount == 0:
        return UpsertResult(UpsertOutcome.STALE, existing["id"])
    if audit:
        write_audit(session, entity=table.name, key=ekey, action="update", owner_id=owner_id,
                    changes={c: [old, new] for c, (old, new) in changes.items()}, actor=actor)
    return UpsertResult(UpsertOutcome.UPDATED, existing["id"], changes)
