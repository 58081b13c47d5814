"""The one place where settlement findings enter the exceptions queue, and leave it when fixed.

A statement whose lines do not sum to its declared total, and an order settled over or under what the
buyer paid, are exceptions a person must look at. Until the unified queue (``aggregator/exceptions_queue``,
owner H10a) lands, they go through ``aggregator.store.exceptions_queue.park`` with source
``settlement``; switching over changes these two functions only. A finding that disappears (a later
sync completed the statement) resolves its open exception automatically.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.store.exceptions_queue import park, resolve
from aggregator.store.models.sync import ExceptionItem

SOURCE = "settlement"


def raise_finding(session: Session, *, owner_id: str, kind: str, key: str, reason: str, details: Any) -> None:
    """Open (or refresh) the exception for ``key``: one open exception per finding, never duplicated."""
    park(session, owner_id=owner_id, source=SOURCE, kind=kind, reason=reason, raw_payload=details,
         location=key, record_key=key)


def clear_finding(session: Session, *, key: str, note: str) -> int:
    """Resolve the open exception for ``key`` (the finding no longer holds); returns how many."""
    items = session.scalars(select(ExceptionItem).where(
        ExceptionItem.source == SOURCE, ExceptionItem.record_key == key, ExceptionItem.status == "open")).all()
    for item in items:
        resolve(session, item.id, note=note, actor="settlement")
    return len(items)
