"""The outbox: ``emit`` an event in the same transaction as the change it tells about; ``sequence``
committed events (give them their reading position); read events of one owner after a position.

Because the row commits or rolls back with its change, a client never hears of a change that did not
happen and never misses one that did, whichever process (API, CLI, Celery worker) made it. On
PostgreSQL ``emit`` also queues ``NOTIFY aggregator_outbox`` (delivered at commit, once per
transaction) so listeners wake at once; SQLite listeners poll, a single index probe. Positions are
given after commit, in one serialized step, so a stream resuming after position N can never miss a
row that committed late with a smaller id (see ``aggregator.store.models.events``).

Topics and their ``key``:

* ``order.created`` / ``order.status_changed`` — ``platform|shop_id|order_id``
* ``run.finished`` — the sync run id
* ``exception.opened`` / ``exception.resolved`` — the exception's id
* ``links.changed`` / ``title.changed`` — the matching partition whose links or title events a run changed
  (one event per partition and run, with counts: ``emitters.partition_changes``)
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from aggregator.store.jsonutil import to_jsonable
from aggregator.store.models.events import OutboxEventRow
from aggregator.store.prepared_insert import insert_rows

CHANNEL = "aggregator_outbox"
TOPICS = ("order.created", "order.status_changed", "run.finished", "exception.opened", "exception.resolved",
          "links.changed", "title.changed")
_NOTIFIED = "aggregator_outbox_notified"
_INSERT = OutboxEventRow.__table__.insert()


def emit(session: Session, *, owner_id: str, topic: str, key: str, data: Mapping[str, Any] | None = None) -> None:
    emit_many(session, [{"owner_id": owner_id, "topic": topic, "key": key, "data": data}])


def emit_many(session: Session, events: Iterable[Mapping[str, Any]], *, prepared: bool = False) -> int:
    """Add events (dicts of owner_id, topic, key, data) to the current transaction; returns how many.
    ``data`` may be JSON already serialised (``jsonutil.EncodedJSON``), stored as it is. ``prepared``: the
    rows go in through one prepared executemany (``store.prepared_insert``; the sync's order writes)."""
    rows = outbox_rows(events)
    if not rows:
        return 0
    if prepared:
        insert_rows(session, OutboxEventRow.__table__, rows)
    else:
        session.execute(_INSERT, rows)  # Core executemany: no ORM bulk-insert bookkeeping on every write path
    notify_at_commit(session)
    return len(rows)


def outbox_rows(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The outbox rows of ``events`` (dicts of owner_id, topic, key, data), as ``emit_many`` inserts them:
    an unknown topic refused, an event without an owner left out (every stream is one owner's)."""
    rows = []
    for event in events:
        if event["topic"] not in TOPICS:
            raise ValueError(f"unknown event topic {event['topic']!r}")
        if not event["owner_id"]:
            continue  # nothing unattributed reaches a client: every stream is one owner's
        rows.append({"owner_id": event["owner_id"], "topic": event["topic"], "key": str(event["key"])[:600],
                     "data": to_jsonable(event.get("data"))})
    return rows


def notify_in_statement(session: Session):
    """PostgreSQL: the ``pg_notify`` call for a statement that inserts outbox rows itself (in a CTE, see
    ``aggregator.store.together``), or None when this transaction has queued it already; the transaction
    is marked notified (delivered at commit, once per transaction, as ``emit`` does)."""
    transaction = session.get_transaction()
    if transaction is None or session.info.get(_NOTIFIED) is transaction:
        return None
    session.info[_NOTIFIED] = transaction
    return func.pg_notify(CHANNEL, "")


def notify_at_commit(session: Session) -> None:
    """PostgreSQL: queue ``NOTIFY aggregator_outbox`` for this transaction's commit (once per transaction)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if transaction is None or session.info.get(_NOTIFIED) is transaction:
        return  # once per transaction: PostgreSQL folds identical notifications anyway
    session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
    session.info[_NOTIFIED] = transaction


def pending(session: Session) -> bool:
    """Whether committed events wait for a position."""
    return session.scalar(select(OutboxEventRow.id).where(OutboxEventRow.position.is_(None)).limit(1)) is not None


def sequence(session: Session, batch: int = 5000) -> int:
    """Give committed events without a position the next positions, in id order; returns how many.

    Serialized: on PostgreSQL by a transaction-scoped advisory lock (a second caller returns 0 at once:
    the holder is doing the work), on SQLite by its single writer. Only committed rows are visible to
    this transaction, so a row still in flight gets a larger position later: positions never go back.
    """
    if session.get_bind().dialect.name == "postgresql":
        if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _LOCK_KEY}):
            return 0
    ids = list(session.scalars(select(OutboxEventRow.id).where(OutboxEventRow.position.is_(None))
                               .order_by(OutboxEventRow.id).limit(batch)))
    if not ids:
        return 0
    base = latest_position(session)
    session.execute(update(OutboxEventRow), [{"id": i, "position": base + n} for n, i in enumerate(ids, 1)])
    notify_at_commit(session)
    return len(ids)


#: the advisory lock key of ``sequence`` (any constant bigint unique to this use)
_LOCK_KEY = 0x6F7574626F78  # "outbox"


def read_after(session: Session, after: int, *, owner_id: str | None, topics: Iterable[str] | None = None,
               limit: int = 500) -> list[OutboxEventRow]:
    """Events positioned after ``after``, in order; of ``owner_id`` only unless it is None."""
    query = select(OutboxEventRow).where(OutboxEventRow.position > after)
    if owner_id is not None:
        query = query.where(OutboxEventRow.owner_id == owner_id)
    topics = list(topics or ())
    if topics:
        query = query.where(OutboxEventRow.topic.in_(topics))
    return list(session.scalars(query.order_by(OutboxEventRow.position).limit(limit)))


def latest_position(session: Session) -> int:
    return session.scalar(select(func.max(OutboxEventRow.position))) or 0


def prune(session: Session, older_than: datetime, *, batch: int = 10_000) -> int:
    """Delete delivered events (given a position) created before ``older_than``; returns how many. A client
    resuming from before then starts over. Events still waiting for a position are kept, and so is the
    latest positioned one: positions continue from it, never restart. Batched (``created_at`` index)."""
    latest = latest_position(session)
    removed = 0
    while True:
        ids = list(session.scalars(select(OutboxEventRow.id).where(
            OutboxEventRow.created_at < older_than, OutboxEventRow.position.is_not(None),
            OutboxEventRow.position < latest).order_by(OutboxEventRow.created_at).limit(batch)))
        if not ids:
            return removed
        removed += session.execute(delete(OutboxEventRow).where(OutboxEventRow.id.in_(ids))).rowcount or 0
