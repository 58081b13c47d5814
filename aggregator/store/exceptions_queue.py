"""The exceptions queue: park a record that cannot be used, with its raw payload and the reason.

Nothing is lost: the raw payload is kept as received, so a fix in a mapper can be replayed with
``aggregator exceptions retry``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.events.emitters import parked_exception
from aggregator.logging_setup import redact
from aggregator.store.jsonutil import to_jsonable
from aggregator.store.models.sync import ExceptionItem
from aggregator.store.upsert import write_audit


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
) -> ExceptionItem:
    """Add an open exception. The payload is stored with secrets redacted, everything else intact.

    An open exception for the same (source, record_key) is updated instead of duplicated.
    """
    payload = redact(to_jsonable(raw_payload))
    existing = None
    if record_key is not None:
        existing = session.scalars(
            select(ExceptionItem).where(
                ExceptionItem.source == source, ExceptionItem.record_key == record_key,
                ExceptionItem.status == "open",
            )
        ).first()
    if existing is not None:
        existing.kind, existing.reason, existing.raw_payload = kind, reason, payload
        existing.location, existing.run_id = location, run_id
        existing.attempts += 1
        return existing
    item = ExceptionItem(owner_id=owner_id, source=source, kind=kind, reason=reason,
                         raw_payload=payload, location=location, record_key=record_key, run_id=run_id)
    session.add(item)
    session.flush()
    parked_exception(session, item)
    return item


def resolve(session: Session, item_id: int, *, note: str, actor: str = "cli") -> ExceptionItem:
    item = session.get(ExceptionItem, item_id)
    if item is None:
        raise LookupError(f"no exception #{item_id}")
    item.status, item.resolution = "resolved", note
    item.resolved_at = datetime.now(timezone.utc)
    write_audit(session, entity="exception_items", key=str(item_id), action="resolve",
                owner_id=item.owner_id, changes={"note": note}, actor=actor)
    parked_exception(session, item, resolved=True)
    return item
