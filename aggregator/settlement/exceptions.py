"""The one place where settlement findings enter the exceptions queue, and leave it when fixed.

A statement whose lines do not sum to its declared total, and an order settled over or under what the
buyer paid, are exceptions a person must look at: items of the ``settlement`` queue of the one exceptions
queue (``aggregator.exceptions_queue``), one open item per finding. A finding that disappears (a later
sync completed the statement) resolves its open item automatically.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.exceptions_queue.writes import close, park
from aggregator.store.models.exceptions import ExceptionItem

QUEUE = SOURCE = "settlement"


def raise_finding(session: Session, *, owner_id: str, kind: str, key: str, reason: str, details: Any) -> None:
    """Open (or refresh) the item for ``key``: one open item per finding, never duplicated."""
    park(session, owner_id=owner_id, source=SOURCE, kind=kind, reason=reason, raw_payload=details,
         location=key, record_key=key, queue=QUEUE)


def clear_finding(session: Session, *, key: str, note: str) -> int:
    """Resolve the open item for ``key`` (the finding no longer holds); returns how many."""
    items = session.scalars(select(ExceptionItem).where(
        ExceptionItem.queue == QUEUE, ExceptionItem.record_key == key, ExceptionItem.status == "open")).all()
    for item in items:
        close(session, item, note=note, actor="settlement")
    return len(items)
