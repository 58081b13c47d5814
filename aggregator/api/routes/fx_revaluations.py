"""Month-end FX revaluations of the caller's owner (``GET /api/v1/fx/revaluations``): each run of
``aggregator fx revalue`` — period, book currency, sequence within the period, how many open items it
revalued and the unrealized gain or loss it booked (exact), newest first, with each item's figures
when asked for one run. Needs ``read_money``; another owner's runs are never listed."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal, get_session, money_reader
from aggregator.api.bounds import Cursor, Limit
from aggregator.api.pagination import CursorPage, keyset_page
from aggregator.api.schemas import DecimalStr
from aggregator.store.models.fx import FxRevaluationRun

router = APIRouter(prefix="/api/v1/fx", tags=["fx"])


class RevaluationOut(BaseModel):
    id: int
    owner_id: str
    period: str = Field(description="YYYY-MM")
    book_currency: str
    sequence: int = Field(description="1, 2, … within the period: a later run revalues only items no earlier one did")
    rounding: str
    items_count: int
    total_unrealized: DecimalStr = Field(description="gain (+) or loss (−) booked, in the book currency")
    created_at: datetime
    details: list[Any] | None = Field(default=None, description="per item (only with details=true)")


@router.get("/revaluations", response_model=CursorPage[RevaluationOut])
def revaluations(principal: Principal = Depends(money_reader), session: Session = Depends(get_session),
                 period: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM")] = None,
                 details: Annotated[bool, Query(description="include each revalued item")] = False,
                 cursor: Cursor = None, limit: Limit = 50) -> CursorPage[RevaluationOut]:
    """Revaluation runs, newest first."""
    query = principal.scope(select(FxRevaluationRun), FxRevaluationRun.owner_id)
    if period:
        query = query.where(FxRevaluationRun.period == period)

    def out(run: FxRevaluationRun) -> RevaluationOut:
        return RevaluationOut(id=run.id, owner_id=run.owner_id, period=run.period, book_currency=run.book_currency,
                              sequence=run.sequence, rounding=run.rounding, items_count=run.items_count,
                              total_unrealized=run.total_unrealized, created_at=run.created_at,
                              details=list(run.details or []) if details else None)

    return keyset_page(session, query, order=[FxRevaluationRun.id], kinds=(int,), cursor=cursor, limit=limit,
                       filters={"o": principal.owner_id, "p": period, "d": details}, out=out)
