"""Settlements of the caller's owner: statements (list, one with its lines and booking) and per-order
reconciliation. Every route needs the ``read_money`` permission (``money_reader``: finance, admin and
owner-viewer keys) and filters by the principal's owner; another owner's statement answers 404 like a
missing one. (The API conventions — problem+json, pagination helpers —
come with the API issue.)"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal, get_session, money_reader
from aggregator.settlement.queries import (
    StatementNotFound, get_statement, list_reconciliations, list_statements, status_counts,
)
from aggregator.store.jsonutil import to_jsonable

router = APIRouter(prefix="/api/v1/settlements", tags=["settlements"])
PLATFORMS = ("shopee", "lazada", "tiktok")
STATUSES = ("unsettled", "partially_settled", "settled", "over_paid", "under_paid", "settled_without_order",
            "refunded")


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise HTTPException(422, f"{name} must carry a UTC offset")
    return value


def _platform(value: str | None) -> str | None:
    if value is not None and value.lower() not in PLATFORMS:
        raise HTTPException(422, f"platform must be one of {', '.join(PLATFORMS)}")
    return value.lower() if value else None


@router.get("/statements")
def statements(principal: Principal = Depends(money_reader), session: Session = Depends(get_session),
               platform: str | None = None, shop_id: str | None = Query(default=None, max_length=64),
               check: str | None = Query(default=None, pattern="^(balanced|mismatch)$"),
               issued_since: datetime | None = None, issued_before: datetime | None = None,
               limit: int = Query(default=50, ge=1, le=500), offset: int = Query(default=0, ge=0)) -> dict[str, Any]:
    rows = list_statements(session, principal.owner_id, platform=_platform(platform), shop_id=shop_id, check=check,
                           since=_aware(issued_since, "issued_since"), until=_aware(issued_before, "issued_before"),
                           limit=limit, offset=offset)
    return to_jsonable({"items": rows, "limit": limit, "offset": offset})


@router.get("/statements/{platform}/{shop_id}/{statement_id}")
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
                   status: str | None = None, platform: str | None = None,
                   shop_id: str | None = Query(default=None, max_length=64),
                   limit: int = Query(default=50, ge=1, le=500), offset: int = Query(default=0, ge=0)) -> dict[str, Any]:
    if status is not None and status not in STATUSES:
        raise HTTPException(422, f"status must be one of {', '.join(STATUSES)}")
    rows = list_reconciliations(session, principal.owner_id, status=status, platform=_platform(platform),
                                shop_id=shop_id, limit=limit, offset=offset)
    counts = status_counts(session, principal.owner_id).get(principal.owner_id, {})
    return to_jsonable({"items": rows, "counts": counts, "limit": limit, "offset": offset})
