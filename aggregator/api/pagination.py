"""Keyset (cursor) pages and bounded counts: the cost of a page is the page, not the owner's data.

A list is ordered by a unique tuple of columns (for orders: ``source_updated_at`` then ``id``, both
descending) served by a composite index that starts with the owner. A page returns ``next_cursor``:
the ordering values of its last row, encoded opaquely; the next page reads rows strictly after them
(a row-value comparison the index answers). Rows written meanwhile never shift a page, unlike
``OFFSET``. ``count`` counts at most ``COUNT_CAP`` matching rows (``count_exact`` false past that):
the same index, a bounded scan, never ``count(*)`` over a million rows.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import datetime
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from fastapi import HTTPException
from pydantic import BaseModel
from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.orm import Session

COUNT_CAP = 10_000
T = TypeVar("T")


class CursorPage(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None
    count: int
    count_exact: bool
    limit: int


def filters_fingerprint(filters: dict[str, Any]) -> str:
    """A short digest of a list's filters: a cursor is only valid with the filters it was made under."""
    text = json.dumps({k: str(v) for k, v in sorted(filters.items()) if v is not None}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def encode_cursor(values: list[Any], fingerprint: str) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps([fingerprint, *plain]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: tuple[type, ...], fingerprint: str) -> list[Any]:
    """The ordering values in ``cursor``, typed as ``kinds`` (datetime, int, str); garbage → 422."""
    bad = HTTPException(422, "invalid cursor: pass back the next_cursor of a page of this same list")
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(raw, list) or len(raw) != len(kinds) + 1 or raw[0] != fingerprint:
        raise bad
    out: list[Any] = []
    for kind, value in zip(kinds, raw[1:]):
        if kind is datetime:
            try:
                parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                parsed = None
            if parsed is None or parsed.tzinfo is None:
                raise bad
            out.append(parsed)
        elif kind is int:
            if not isinstance(value, int) or isinstance(value, bool) or not -2**63 <= value < 2**63:
                raise bad
            out.append(value)
        else:
            if not isinstance(value, str) or len(value) > 600:
                raise bad
            out.append(value)
    return out


def after(columns: list[Any], values: list[Any], *, descending: bool = True) -> Any:
    """The condition "strictly after ``values``" in the order of ``columns`` (all one direction)."""
    left, right = tuple_(*columns), tuple_(*[literal(v, type_=c.type) for c, v in zip(columns, values)])
    return left < right if descending else left > right


def bounded_count(session: Session, query: Any, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows ``query`` matches, counting at most ``cap`` (then ``exact`` is False)."""
    # maintain_column_froms: an unfiltered query's FROM would otherwise go with its columns (SELECT 1)
    capped = query.with_only_columns(literal(1), maintain_column_froms=True).order_by(None).limit(cap + 1).subquery()
    n = session.scalar(select(func.count()).select_from(capped)) or 0
    return (cap, False) if n > cap else (n, True)


def keyset_page(session: Session, query: Any, *, order: list[Any], kinds: tuple[type, ...], cursor: str | None,
                limit: int, filters: dict[str, Any], out: Callable[[Any], Any], descending: bool = True) -> CursorPage:
    """One page of ``query`` (a select of one ORM entity) in ``order`` (unique, one direction), after
    ``cursor``; ``out`` turns a row into its response model; the count is bounded (``bounded_count``)."""
    fingerprint = filters_fingerprint(filters)
    count, exact = bounded_count(session, query)
    if cursor:
        query = query.where(after(order, decode_cursor(cursor, kinds, fingerprint), descending=descending))
    rows = list(session.scalars(query.order_by(*(c.desc() if descending else c.asc() for c in order))
                                .limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        next_cursor = encode_cursor([getattr(rows[-1], c.key) for c in order], fingerprint)
    return CursorPage(items=[out(r) for r in rows], next_cursor=next_cursor, count=count, count_exact=exact,
                      limit=limit)
