"""Writing to the exceptions queue: park a record (or a finding), close an item, and keep the matcher's
exceptions in step with each run. Every change is audited where a person made it and told to live
clients through the outbox (``exception.opened`` / ``exception.resolved``) in the same transaction.

Nothing is lost: a parked record keeps its raw payload as received (secrets redacted), so a fix in a
mapper can be replayed with ``aggregator exceptions retry``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from aggregator.events.emitters import exception_changes
from aggregator.logging_setup import redact
from aggregator.store.jsonutil import to_jsonable
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.upsert import write_audit

MATCH_SOURCE = "match"
_BATCH = 5_000


def park(
    session: Session,
    *,
    owner_id: str | None,
    source: str,
    kind: str,
    reason: str,
    raw_payload: Any,
    location: str | None = None,
    record_key: str | None = None,
    run_id: int | None = None,
    queue: str = "parked",
) -> ExceptionItem:
    """Add an open item. The payload is stored with secrets redacted, everything else intact.

    An open item for the same (queue, source, record_key) is refreshed instead of duplicated.
    """
    payload = redact(to_jsonable(raw_payload))
    existing = None
    if record_key is not None:
        existing = session.scalars(
            select(ExceptionItem).where(
                ExceptionItem.queue == queue, ExceptionItem.source == source,
                ExceptionItem.record_key == record_key, ExceptionItem.status == "open",
            )
        ).first()
    if existing is not None:
        existing.kind, existing.reason, existing.raw_payload = kind, reason, payload
        existing.location, existing.run_id = location, run_id
        existing.attempts += 1
        return existing
    item = ExceptionItem(queue=queue, owner_id=owner_id, source=source, kind=kind, reason=reason,
                         raw_payload=payload, location=location, record_key=record_key, run_id=run_id)
    session.add(item)
    session.flush()
    exception_changes(session, [item])
    return item


def close(session: Session, item: ExceptionItem, *, note: str, actor: str, status: str = "resolved",
          action: str = "resolve") -> ExceptionItem:
    """Close an open item (``resolved``, or ``retried`` for a replayed record) with a note; audited."""
    item.status, item.resolution, item.resolved_by = status, note, actor
    item.resolved_at = datetime.now(timezone.utc)
    write_audit(session, entity="exception_items", key=str(item.id), action=action, owner_id=item.owner_id,
                changes={"note": note, "status": status}, actor=actor)
    exception_changes(session, [item], resolved=True)
    return item


# ------------------------------------------------------------------ the matcher's exceptions

#: ``matching.exceptions.EXCEPTION_COLUMNS`` -> the queue's columns
MATCH_COLUMNS = {"exception_id": "ref", "reason": "kind", "step": "step", "owner_id": "owner_id",
                 "partition": "partition", "record_kind": "record_kind", "record_key": "record_key",
                 "related_keys": "related_keys", "qty": "qty", "detail": "reason"}


def match_exception_columns() -> list[Any]:
    """The queue's columns labelled as the matcher's exception frame (``EXCEPTION_COLUMNS``)."""
    return [getattr(ExceptionItem, column).label(name) for name, column in MATCH_COLUMNS.items()]


def store_match_exceptions(session: Session, fresh: pd.DataFrame, redo: set[str], now: datetime,
                           owner_of: Callable[[str | None], str | None] | None = None) -> None:
    """Bring the match items of the re-matched partitions ``redo`` in line with ``fresh`` (the run's exception
    rows of those partitions): new ones are added open; one found again keeps its row, status and resolution
    (a ``gone`` one re-opens); an open one not found again becomes ``gone``. ``owner_of`` turns the matcher's
    owner (key form, upper case) into the stored owner id (``events.emitters.OwnerOfKey``)."""
    existing = {}
    for chunk in _chunks(sorted(redo)):
        existing.update({(o, r): (pk, status) for pk, o, r, status in session.execute(
            select(ExceptionItem.id, ExceptionItem.owner_id, ExceptionItem.ref, ExceptionItem.status).where(
                ExceptionItem.queue == "match", ExceptionItem.partition.in_(chunk))).all()})
    seen: set[int] = set()
    new_rows, again, reopened = [], [], []
    for row in fresh.astype(object).where(fresh.notna(), None).to_dict("records"):
        if owner_of is not None:
            row["owner_id"] = owner_of(row["owner_id"]) or row["owner_id"]
        found = existing.get((row["owner_id"], row["exception_id"]))
        values = {MATCH_COLUMNS[k]: v for k, v in row.items() if k in MATCH_COLUMNS}
        if found is None:
            new_rows.append({**values, "queue": "match", "source": MATCH_SOURCE, "status": "open", "attempts": 0,
                             "created_at": now, "last_seen_at": now})
            continue
        pk, status = found
        seen.add(pk)
        again.append({"pk": pk, "r": values["reason"], "q": values["qty"], "t": now,
                      "s": "open" if status == "gone" else status})
        if status == "gone":
            reopened.append(pk)
    table = ExceptionItem.__table__
    seen_again = update(table).where(table.c.id == bindparam("pk")).values(
        reason=bindparam("r"), qty=bindparam("q"), last_seen_at=bindparam("t"), status=bindparam("s"))
    for chunk in _chunks(again):  # found again: a bare executemany UPDATE by id
        session.execute(seen_again, chunk)
    for chunk in _chunks(new_rows):  # a bare executemany, then the new ids by (owner, ref) for the events
        session.execute(insert(table), chunk)
        ids = {(o, r): i for i, o, r in session.execute(select(table.c.id, table.c.owner_id, table.c.ref).where(
            table.c.queue == "match", table.c.owner_id.in_({r["owner_id"] for r in chunk}),
            table.c.ref.in_([r["ref"] for r in chunk])))}
        exception_changes(session, [{**r, "id": ids[(r["owner_id"], r["ref"])]} for r in chunk])
    gone = [pk for (pk, status) in existing.values() if pk not in seen and status == "open"]
    for chunk in _chunks(gone):
        session.execute(update(ExceptionItem).where(ExceptionItem.id.in_(chunk)).values(status="gone",
                                                                                       last_seen_at=now))
    _tell(session, reopened, resolved=False)
    _tell(session, gone, resolved=True)


def _tell(session: Session, ids: list[int], *, resolved: bool) -> None:
    for chunk in _chunks(ids):
        exception_changes(session, session.scalars(select(ExceptionItem).where(ExceptionItem.id.in_(chunk))).all(),
                          resolved=resolved)


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    values = list(values)
    for start in range(0, len(values), _BATCH):
        yield values[start:start + _BATCH]
