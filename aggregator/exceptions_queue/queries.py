"""Reading the exceptions queue: one filter set (kind, owner, status, age) for the CLI, the API and the
export; one item by id; the public shape of an item; the records a match exception could be linked to.

``kind`` filters either a whole queue (``parked``, ``match``, ``settlement``) or one kind of item
(``unlinked_receipt``, ``mapping_error``, ``statement_mismatch``, …). Age is measured from when the item
was first raised. Lists are ordered by id, newest first, so a page is an index range on
``(owner_id, status, id)`` (or ``(status, id)`` across owners).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from aggregator.store.models.exceptions import QUEUES, STATUSES, ExceptionItem
from matching.manual import MANUAL_STEPS

#: the public fields of an item, in the order lists show them
COLUMNS = ("id", "queue", "owner_id", "kind", "status", "source", "record_key", "reason", "created_at",
           "last_seen_at", "attempts", "step", "qty", "related_keys", "ref", "location", "resolution",
           "resolved_by", "resolved_at")
_AGE = re.compile(r"^\s*([0-9]{1,6})\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
#: the longest age a filter takes: no item is older (``now - age`` stays far inside what ``datetime`` holds)
MAX_AGE = timedelta(days=36525)


class ExceptionNotFound(LookupError):
    """No item with this id (for this owner): the message says which."""


class BadFilter(ValueError):
    """A filter value the queue cannot use (with the accepted values)."""


def parse_age(text: str) -> timedelta:
    """``90s``, ``15m``, ``6h``, ``3d``, ``2w`` → a duration of at most ``MAX_AGE``; anything else is refused
    (``BadFilter``)."""
    match = _AGE.match(text or "")
    if not match:
        raise BadFilter(f"age {text!r}: write a whole number and a unit, e.g. 90s, 15m, 6h, 3d or 2w")
    age = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if age > MAX_AGE:
        raise BadFilter(f"age {text.strip()!r}: at most {MAX_AGE.days} days (100 years)")
    return age


def _since(now: datetime, age: timedelta) -> datetime:
    """``now - age``, refused (``BadFilter``) where it would leave what ``datetime`` holds."""
    try:
        return now - age
    except OverflowError:
        raise BadFilter(f"age of {age.days} days reaches before year 1; at most {MAX_AGE.days} days") from None


@dataclass(frozen=True)
class Filters:
    owner_id: str | None = None
    kind: str | None = None  # a queue name or an item kind
    status: str | None = "open"  # None = every status
    older_than: timedelta | None = None
    newer_than: timedelta | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise BadFilter(f"status {self.status!r}: one of {', '.join(STATUSES)} (or all)")

    def apply(self, query: Select, now: datetime | None = None) -> Select:
        now = now or datetime.now(timezone.utc)
        if self.owner_id is not None:
            query = query.where(ExceptionItem.owner_id == self.owner_id)
        if self.status is not None:
            query = query.where(ExceptionItem.status == self.status)
        if self.kind:
            column = ExceptionItem.queue if self.kind in QUEUES else ExceptionItem.kind
            query = query.where(column == self.kind)
        if self.older_than is not None:
            query = query.where(ExceptionItem.created_at <= _since(now, self.older_than))
        if self.newer_than is not None:
            query = query.where(ExceptionItem.created_at > _since(now, self.newer_than))
        return query

    def fingerprint(self) -> dict[str, Any]:
        """The filters as plain values (a keyset cursor is only valid under the filters it was made with)."""
        return {"o": self.owner_id, "kind": self.kind, "status": self.status or "all",
                "older": self.older_than and self.older_than.total_seconds(),
                "newer": self.newer_than and self.newer_than.total_seconds()}


def check_kind(session: Session, kind: str | None, owner_id: str | None = None) -> None:
    """Refuse (``BadFilter``) a kind that is neither a queue, a matcher reason, nor the kind of any stored item
    (of ``owner_id``, when given): a typo gets the kinds there are, never a silently empty list."""
    from matching.exceptions import Reason

    if kind is None or kind in QUEUES or kind in {r.value for r in Reason}:
        return
    mine = Filters(owner_id=owner_id, status=None)
    if session.scalar(mine.apply(select(ExceptionItem.id).where(ExceptionItem.kind == kind)).limit(1)) is not None:
        return
    present = sorted(session.scalars(mine.apply(select(ExceptionItem.kind).distinct())))
    raise BadFilter(f"no item has kind {kind!r}; queues: {', '.join(QUEUES)}; kinds in the queue: "
                    f"{', '.join(present) or 'none'}")


def list_items(session: Session, filters: Filters, *, limit: int, before_id: int | None = None
               ) -> list[ExceptionItem]:
    """Up to ``limit`` items matching ``filters``, newest first, with ids below ``before_id`` if given."""
    query = filters.apply(select(ExceptionItem))
    if before_id is not None:
        query = query.where(ExceptionItem.id < before_id)
    return list(session.scalars(query.order_by(ExceptionItem.id.desc()).limit(limit)))


def count_by_kind(session: Session, filters: Filters) -> dict[str, int]:
    """How many items match ``filters``, per kind (sorted by kind)."""
    query = filters.apply(select(ExceptionItem.kind, func.count()).group_by(ExceptionItem.kind))
    return {str(kind): int(n) for kind, n in session.execute(query.order_by(ExceptionItem.kind)).all()}


def get_item(session: Session, item_id: int, owner_id: str | None = None, *, for_update: bool = False
             ) -> ExceptionItem:
    """The item ``item_id`` (of ``owner_id`` when given: another owner's item is "not found" too). With
    ``for_update`` the row is locked for this transaction and read afresh, so two people resolving or retrying
    the same item act one after the other and the second sees the first's outcome."""
    item = session.get(ExceptionItem, item_id, with_for_update=for_update or None, populate_existing=for_update)
    if item is None or (owner_id is not None and item.owner_id != owner_id):
        whose = f" of owner {owner_id!r}" if owner_id is not None else ""
        raise ExceptionNotFound(f"no exception #{item_id}{whose} (see: aggregator exceptions list)")
    return item


def as_row(item: ExceptionItem) -> dict[str, Any]:
    """The public fields of an item (``COLUMNS``)."""
    return {column: getattr(item, column) for column in COLUMNS}


def candidates(session: Session, item: ExceptionItem) -> list[dict[str, str]]:
    """The records a match exception could be linked to (``matching.manual.candidates``: key, kind, why), read
    from the owner's records of the step's two kinds and the step's stored links; other items list none.
    Resolving with one (``actions.resolve`` with ``link``) records the manual link(s) the matcher applies."""
    if item.queue != "match" or item.step not in MANUAL_STEPS or not item.owner_id:
        return []
    from aggregator.matching_service.loader import load_frames
    from aggregator.store.models.matching import MatchLinkRow
    from matching.engine import prepare_input
    from matching.keys import normalize_code
    from matching.manual import candidate_frames
    from matching.manual import candidates as find

    exception = {"step": item.step, "reason": item.kind, "record_kind": item.record_kind,
                 "record_key": item.record_key, "related_keys": item.related_keys}
    needed = candidate_frames(exception)
    prepared = prepare_input(load_frames(session, item.owner_id, needed)) if needed else None
    links = pd.DataFrame(session.execute(select(MatchLinkRow.left_key, MatchLinkRow.right_key).where(
        MatchLinkRow.owner_id.in_({item.owner_id, normalize_code(item.owner_id)}),
        MatchLinkRow.step == item.step)).all(), columns=["left_key", "right_key"]) if needed else None
    return find(prepared, links, exception)
