"""The creation of bulk-imported rows, recorded once per batch and answered per record.

A table with an ``audit_batch_id`` column can have the ``create`` audit entries of a batch of new rows
replaced by one ``audit_log`` entry for the batch (action ``import``, the table as entity, an empty
entity key — never a record's — and ``{"created": n}``), whose id each row of the batch holds
(``open_batch``). The record's ``create`` entry is then the batch entry's id, time and actor with the
record's own key, owner and stored values (``batch_creates``): what the per-record upsert would have
written, since the row holds its creation values until it first changes, and before any change the
entry is written for real and the row's ``audit_batch_id`` cleared (``settle``, called by
``aggregator.store.upsert`` and ``aggregator.ingest.writers``). So the audit route
(``GET /api/v1/audit``) answers the same trail for a record however it was written, without one
``audit_log`` row (and its two index entries) per imported record.

A batch is recorded this way only when every audited column reads back as the JSON the per-record
entry holds (``batch_audited``: texts, whole numbers, yes/no, UTC instants, dates, exact decimals; on
PostgreSQL, whose NUMERIC has no negative zero, a batch holding a ``-0`` decimal is not,
``reads_back_alike``) and every key column is text or a UTC instant, so a key as audited, ``a|b|c``, names
its row: an instant is audited as ``str`` of its UTC value (``2026-03-16 15:59:59+00:00``), which holds no
``|`` and which ``_rows_of`` parses back to look the row up (a stock snapshot's key holds its instant).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, Enum, Integer, String, UniqueConstraint, delete, select, update
from sqlalchemy.orm import Session

from aggregator.store.audit_json import BOOKKEEPING
from aggregator.store.base import Base
from aggregator.store.jsonutil import to_jsonable
from aggregator.store.models.audit import AuditEntry
from aggregator.store.types import ExactDecimal, UTCDateTime

COLUMN = "audit_batch_id"
ACTION = "import"


def _reads_back_alike(column: Any) -> bool:
    """Whether a stored value of ``column`` gives the same JSON as the value written (an instant: its
    UTC value, as the writers give it; an exact decimal: its digits and exponent, but for ``-0`` on
    PostgreSQL, ``reads_back_alike``)."""
    kind = column.type
    if isinstance(kind, Enum):
        return False
    return isinstance(kind, (UTCDateTime, Boolean, Date, String, Integer, ExactDecimal))


def _keyed_by_text(column: Any) -> bool:
    """Whether a key column's audited text (``upsert.entity_key``: ``str`` of the value) names its value:
    a text, or a UTC instant (``_key_value``)."""
    return isinstance(column.type, (String, UTCDateTime)) and not isinstance(column.type, Enum)


def batch_audited(table: Any, columns: Sequence[str], key: Sequence[str]) -> bool:
    """Whether new rows of ``table`` with ``columns`` can have their creation recorded per batch."""
    return (COLUMN in table.c and record_key(table) == tuple(key) and all(_keyed_by_text(table.c[k]) for k in key)
            and all(_reads_back_alike(table.c[c]) for c in columns if c not in BOOKKEEPING))


def reads_back_alike(dialect: str, table: Any, columns: Sequence[str], column: Callable[[str], Sequence[Any]]) -> bool:
    """Whether rows of ``columns`` (``column(name)``: the rows' values of one) read back from ``dialect``'s
    database as written, for a table ``batch_audited``: not so on PostgreSQL for a ``-0`` exact decimal
    (NUMERIC stores 0; the per-record entry holds ``"-0"``). SQLite stores a decimal's text as it is."""
    if dialect != "postgresql":
        return True
    for name in columns:
        if isinstance(table.c[name].type, ExactDecimal):
            values = column(name)
            if values.count(0) and any(type(v) is Decimal and v.is_zero() and v.is_signed() for v in values):
                return False  # (list.count compares in C: the usual column, no zero at all, costs no more)
    return True


def _entry(table: Any, actor: str, owners: set, created: int) -> dict[str, Any]:
    """The batch's ``audit_log`` entry: the owner when the batch has one; ``created``: the rows it is to
    create, corrected by ``close_batch``."""
    return {"at": datetime.now(UTC), "entity": table.name, "entity_key": "", "action": ACTION,
            "owner_id": next(iter(owners)) if len(owners) == 1 else None, "actor": actor,
            "changes": {"created": created}}


def open_batch(session: Session, table: Any, actor: str, owners: set, created: int) -> int:
    """Write the batch's ``audit_log`` entry (``_entry``); its id."""
    entry = AuditEntry(**_entry(table, actor, owners, created))
    session.add(entry)
    session.flush()
    return entry.id


def open_batch_queued(cursor: Any, table: Any, actor: str, owners: set, created: int) -> Callable[[], int]:
    """``open_batch`` on a psycopg cursor of the session's connection, which may be in pipeline mode (the
    entry written in the same round trip as what the caller sends with it): the statement is sent, and
    the function returned gives the entry's id once its result is in."""
    values = _entry(table, actor, owners, created)
    values["changes"] = json.dumps(values["changes"])
    columns = list(values)
    cursor.execute(f"INSERT INTO {AuditEntry.__tablename__} ({', '.join(columns)}) VALUES "
                   f"({', '.join('%s::jsonb' if c == 'changes' else '%s' for c in columns)}) RETURNING id",
                   list(values.values()))
    return lambda: cursor.fetchone()[0]


def close_batch(session: Session, batch_id: int, expected: int, created: int) -> None:
    """Record how many rows the batch created, when not the ``expected`` number; none: no entry."""
    if created == 0:
        session.execute(delete(AuditEntry).where(AuditEntry.id == batch_id))
    elif created != expected:
        session.execute(update(AuditEntry).where(AuditEntry.id == batch_id).values(changes={"created": created}))


def record_key(table: Any) -> tuple[str, ...] | None:
    """The columns of ``table``'s natural key (its one unique constraint), as the audit log joins them."""
    uniques = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    return tuple(c.name for c in uniques[0].columns) if len(uniques) == 1 else None


def _joined(row: Any, key: Sequence[str]) -> str:
    """``upsert.entity_key`` of a stored row."""
    return "|".join("" if row[k] is None else str(row[k]) for k in key)


def _created_values(table: Any, row: Any) -> dict[str, Any]:
    return {c.name: row[c.name] for c in table.columns if c.name not in BOOKKEEPING}


def settle(session: Session, table: Any, row: Any) -> None:
    """Before ``row`` (a stored row of ``table``, all columns) changes: when its creation is recorded by a
    batch, write its own ``create`` entry (the batch's time and actor, its values as they are) and clear
    its ``audit_batch_id``."""
    if COLUMN not in table.c:
        return
    if COLUMN not in row:  # (a row read with some columns only)
        settle_by_id(session, table, row["id"])
        return
    if row[COLUMN] is None:
        return
    # cleared only while it still names the batch: a writer that read the row before another settled it
    # (PostgreSQL: waits for that one's lock, then finds it cleared) writes no second entry
    cleared = session.execute(update(table).where(table.c.id == row["id"], table.c[COLUMN] == row[COLUMN])
                              .values({COLUMN: None})).rowcount
    if cleared != 1:
        return
    batch = session.get(AuditEntry, row[COLUMN])
    session.add(AuditEntry(at=batch.at, entity=table.name, entity_key=_joined(row, record_key(table)),
                           action="create", owner_id=row.get("owner_id"), actor=batch.actor,
                           changes=to_jsonable(_created_values(table, row))))


def settle_by_id(session: Session, table: Any, pk: int) -> None:
    """``settle`` for the row with id ``pk``."""
    if COLUMN in table.c:
        row = session.execute(select(table).where(table.c.id == pk, table.c[COLUMN].is_not(None))).mappings().first()
        if row is not None:
            settle(session, table, row)


def _key_value(column: Any, text: str) -> Any:
    """The value of key column ``column`` whose audited text is ``text``: the text itself, or for a UTC
    instant the instant it writes (None: no stored value writes it, as a text that is no instant at UTC;
    one that is, written otherwise, is weeded out by the caller's ``_joined``)."""
    if not isinstance(column.type, UTCDateTime):
        return text
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.utcoffset() == timedelta(0) else None


def _rows_of(session: Session, table: Any, key: Sequence[str], record: str) -> list:
    """The stored rows whose key, as audited (``a|b|c``), is ``record`` (more than one only when key values
    hold ``|``: the audit log cannot tell such records apart either). A value holding ``|`` makes the
    split ambiguous: the first key column is looked up among every prefix of ``record`` up to a ``|`` (the
    unique index's first column), the last among every suffix, and the rows kept whose key joins to
    ``record``. Each part is read as its column's value (``_key_value``); a part no value writes finds
    nothing."""
    columns = [table.c[k] for k in key]
    if len(key) == 1:
        wanted = [(columns[0], [record])]
    elif record.count("|") == len(key) - 1:
        wanted = [(c, [text]) for c, text in zip(columns, record.split("|"), strict=True)]
    else:
        cuts = [i for i, ch in enumerate(record) if ch == "|"]
        wanted = [(columns[0], [record[:i] for i in cuts]), (columns[-1], [record[i + 1:] for i in cuts])]
    conditions = []
    for column, texts in wanted:
        values = [value for value in (_key_value(column, text) for text in texts) if value is not None]
        if not values:
            return []
        conditions.append(column == values[0] if len(values) == 1 else column.in_(values))
    query = select(table).where(*conditions)
    return [row for row in session.execute(query.order_by(table.c.id.desc())).mappings() if _joined(row, key) == record]


def batch_creates(session: Session, entity: str, record: str,
                  sees: Callable[[str | None], bool] = lambda owner: True) -> list[dict[str, Any]]:
    """The ``create`` audit entries of record ``record`` of table ``entity`` whose creation a batch
    recorded (none when ``sees`` refuses the record's owner), newest first: the fields of an
    ``audit_log`` row. (One at most, unless key values hold ``|``: ``_rows_of``.)"""
    table = Base.metadata.tables.get(entity)
    key = None if table is None or COLUMN not in table.c else record_key(table)
    if key is None:
        return []
    entries = []
    for row in _rows_of(session, table, key, record):
        if row[COLUMN] is not None and sees(row.get("owner_id")):
            batch = session.get(AuditEntry, row[COLUMN])
            entries.append({"id": batch.id, "at": batch.at, "owner_id": row.get("owner_id"), "entity": entity,
                            "entity_key": record, "action": "create", "actor": batch.actor,
                            "changes": to_jsonable(_created_values(table, row))})
    return sorted(entries, key=lambda entry: -entry["id"])  # (stable: equal ids stay newest row first)
