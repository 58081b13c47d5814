"""Settlements of the caller's owner: statements (keyset-paged list, one with its lines and booking) and
per-order reconciliation (keyset-paged, with the counts by status). Every route needs the ``read_money``
permission (``money_reader``: finance, admin and owner-viewer keys) and filters by the principal's owner;
another owner's statement answers 404 like a missing one.

Lists page like the orders list (``api/pagination.py``): newest first — statements by (issued_at, id),
verdicts by id — each page's ``next_cursor`` carries the last row's ordering values and is valid only
with the filters it was made under; ``count`` is bounded. An unknown shop is a 422, never an empty page;
``issued_since`` / ``issued_before`` are instants under the one rule (``aggregator.api.instants``: a time zone,
years 1970–9000), anything else a 422 saying why."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal, get_session, money_reader
from aggregator.api.bounds import Cursor, Ident, Limit
from aggregator.api.filters import known_shop
from aggregator.api.instants import aware_or_none
from aggregator.api.pagination import keyset_page
from aggregator.settlement.queries import (
    StatementNotFound, get_statement, reconciliation_dict, reconciliations_query, statement_dicts, statements_query,
    status_counts,
)
from aggregator.api.platforms import checked_platform
from aggregator.store.jsonutil import to_jsonable
from aggregator.store.models.settlement import ReconciliationRow, StatementRow

router = APIRouter(prefix="/api/v1/settlements", tags=["settlements"])
STATUSES = ("unsettled", "partially_settled", "settled", "over_paid", "under_paid", "settled_without_order",
            "refunded")


def _platform(value: str | None) -> str | None:
    return checked_platform(value.lower() if value else None)


def _page(page: Any, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return to_jsonable({"items": items, "next_cursor": page.next_cursor, "count": page.count,
                        "count_exact": page.count_exact, "limit": page.limit, **extra})


@router.get("/statements")
def statements(principal: Principal = Depends(money_reader), session: Session = Depends(get_session),
               platform: str | None = None, shop_id: Ident = None,
               check: Literal["balanced", "mismatch"] | None = None,
               issued_since: datetime | None = None, issued_before: datetime | None = None,
               cursor: Cursor = None, limit: Limit = 50) -> dict[str, Any]:
    issued_since = aware_or_none("issued_since", issued_since)
    issued_before = aware_or_none("issued_before", issued_before)
    platform = _platform(platform)
    known_shop(session, principal, platform, shop_id)
    query = statements_query(principal.owner_id, platform=platform, shop_id=shop_id, check=check,
                             since=issued_since, until=issued_before)
    filters = {"owner": principal.owner_id, "platform": platform, "shop_id": shop_id, "check": check,
               "since": issued_since, "before": issued_before}
    page = keyset_page(session, query, order=[StatementRow.issued_at, StatementRow.id], kinds=(datetime, int),
                       cursor=cursor, limit=limit, filters=filters, out=lambda row: row)
    return _page(page, statement_dicts(session, page.items))


@router.get("/statements/{platform}/{shop_id:ident}/{statement_id:ident}")
def statement(platform: str, shop_id: str, statement_id: str, principal: Principal = Depends(money_reader),
              session: Session = Depends(get_session)) -> dict[str, Any]:
    try:
        detail = get_statement(session, principal.owner_id, f"{_platform(platform)}:{shop_id}:{statement_id}")
    except StatementNotFound:
        raise HTTPException(404, "statement not found") from None
    return to_jsonable({"statement": detail.statement, "breakdown": detail.breakdown,
                        "by_category": detail.by_category, "lines": detail.lines, "booking": detail.booking,
                        "journals": detail.journals})


@router.get("/orders")
def reconciliation(principal: Principal = Depends(money_reader), session: Session = Depends(get_session),
                   status: str | None = None, platform: str | None = None, shop_id: Ident = None,
                   cursor: Cursor = None, limit: Limit = 50) -> dict[str, Any]:
    if status is not None and status not in STATUSES:
        raise HTTPException(422, f"status must be one of {', '.join(STATUSES)}")
    platform = _platform(platform)
    known_shop(session, principal, platform, shop_id)
    query = reconciliations_query(principal.owner_id, status=status, platform=platform, shop_id=shop_id)
    filters = {"owner": principal.owner_id, "status": status, "platform": platform, "shop_id": shop_id}
    page = keyset_page(session, query, order=[ReconciliationRow.id], kinds=(int,), cursor=cursor, limit=limit,
                       filters=filters, out=reconciliation_dict)
    counts: dict[str, int] = {}
    for by_status in status_counts(session, principal.owner_id).values():
        for name, n in by_status.items():
            counts[name] = counts.get(name, 0) + n
    return _page(page, page.items, counts=counts)
