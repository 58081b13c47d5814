"""FX: published rates (public reference data, with their source), the caller's rate locks (terms, use,
what is left, state now) and FX receivables (open items at their carrying amount). Read through
``aggregator.fx_service`` (locks rebuilt as ``fx.locks.RateLock``, the same rules the CLI shows); every
route needs ``read_money``; locks and receivables are the caller's owner's only (another owner's lock
answers 404 like a missing one). Lists are keyset pages, newest first.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from aggregator.api.auth import Principal, get_session, money_reader
from aggregator.api.bounds import Cursor, Limit, PathIdent
from aggregator.api.etag import tagged
from aggregator.api.filters import known_value
from aggregator.api.pagination import CursorPage, keyset_page
from aggregator.api.schemas import DecimalStr
from aggregator.fx_service.locks import to_domain
from aggregator.fx_service.receivables import open_amounts
from aggregator.store.models.fx import FxLockRow, FxOpenItemRow, FxRateRow
from fx.locks import RateLock

router = APIRouter(prefix="/api/v1/fx", tags=["fx"])
Currency = Annotated[str | None, Query(pattern="^[A-Z]{3}$", description="ISO 4217 code")]


class RateOut(BaseModel):
    source: str
    base: str
    quote: str
    side: str
    rate_date: date
    value: DecimalStr = Field(description="units of quote per ``unit`` base, exactly as published")
    unit: int
    reference: str | None
    published_at: datetime | None


class LockOut(BaseModel):
    owner_id: str
    lock_id: str
    kind: str
    provider: str
    reference: str | None
    pair: str = Field(description="quoted pair, base first (USD/CNY = CNY per 1 USD)")
    sell_currency: str
    buy_currency: str
    client_rate: DecimalStr
    mid_rate: DecimalStr | None
    margin_bp: DecimalStr | None = Field(description="cost of the client rate against mid, in basis points")
    notional: DecimalStr
    notional_currency: str
    tolerance: DecimalStr
    cap: DecimalStr
    used: DecimalStr
    remaining: DecimalStr
    usage: str
    valid_from: datetime
    valid_to: datetime
    cancelled_at: datetime | None
    state: str = Field(description="the lock's state now (fx.locks.LockState)")


class UtilisationOut(BaseModel):
    key: str
    dealt: DecimalStr
    dealt_currency: str
    counter: DecimalStr
    counter_currency: str
    at: datetime
    reference: str | None


class LockDetailOut(LockOut):
    utilisations: list[UtilisationOut]


class ReceivableOut(BaseModel):
    owner_id: str
    item_id: str
    account: str
    original_amount: DecimalStr
    original_currency: str
    carrying_amount: DecimalStr
    book_currency: str
    carrying_rate: DecimalStr
    recognised_on: date
    rate_date: date | None
    rate_source: str
    rate_ref: str | None
    settled_on: date | None
    open_amount: DecimalStr  # what is still open of original_amount (less the parts paid; 0 once settled)
    open_carrying: DecimalStr  # its carrying amount in book currency


def _receivable(session: Session, row: FxOpenItemRow) -> ReceivableOut:
    still_open, still_carried = open_amounts(session, row)
    fields = {name: getattr(row, name) for name in ReceivableOut.model_fields if hasattr(row, name)}
    return ReceivableOut(**fields, open_amount=still_open.amount, open_carrying=still_carried.amount)


def _lock(owner_id: str, lock: RateLock, now: datetime) -> LockOut:
    return LockOut(owner_id=owner_id, lock_id=lock.lock_id, kind=lock.kind.value, provider=lock.provider,
                   reference=lock.reference, pair=lock.pair, sell_currency=lock.sell_currency,
                   buy_currency=lock.buy_currency, client_rate=lock.client_rate, mid_rate=lock.mid_rate,
                   margin_bp=lock.margin_bp, notional=lock.notional.amount, notional_currency=lock.notional.currency,
                   tolerance=lock.tolerance, cap=lock.cap.amount, used=lock.used.amount,
                   remaining=lock.remaining.amount, usage=lock.usage.value, valid_from=lock.valid_from,
                   valid_to=lock.valid_to, cancelled_at=lock.cancelled_at, state=lock.state_at(now).value)


@router.get("/rates", response_model=CursorPage[RateOut])
def rates(principal: Principal = Depends(money_reader), session: Session = Depends(get_session),
          base: Currency = None, quote: Currency = None,
          source: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
          since: Annotated[date | None, Query(description="first rate date")] = None,
          until: Annotated[date | None, Query(description="last rate date")] = None,
          cursor: Cursor = None, limit: Limit = 100) -> CursorPage[RateOut]:
    """Published rates with their source, newest stored first."""
    known_value(session, FxRateRow.source, source, "rate source")
    query = select(FxRateRow)
    for column, value in ((FxRateRow.base, base), (FxRateRow.quote, quote), (FxRateRow.source, source)):
        if value:
            query = query.where(column == value)
    if since:
        query = query.where(FxRateRow.rate_date >= since)
    if until:
        query = query.where(FxRateRow.rate_date <= until)
    return keyset_page(session, query, order=[FxRateRow.id], kinds=(int,), cursor=cursor, limit=limit,
                       filters={"b": base, "q": quote, "s": source, "f": since, "u": until},
                       out=lambda r: RateOut.model_validate(r, from_attributes=True))


@router.get("/locks", response_model=CursorPage[LockOut])
def locks(principal: Principal = Depends(money_reader), session: Session = Depends(get_session),
          cursor: Cursor = None, limit: Limit = 50) -> CursorPage[LockOut]:
    """Rate locks with what is used and left and their state now, newest first."""
    now = datetime.now(timezone.utc)
    query = principal.scope(select(FxLockRow), FxLockRow.owner_id)
    return keyset_page(session, query, order=[FxLockRow.id], kinds=(int,), cursor=cursor, limit=limit,
                       filters={"o": principal.owner_id},
                       out=lambda r: _lock(r.owner_id, to_domain(session, r), now))


@router.get("/locks/{owner_id:ident}/{lock_id:ident}", response_model=LockDetailOut, responses={304: {"description": "Not modified"}})
def lock(owner_id: PathIdent, lock_id: PathIdent, request: Request, principal: Principal = Depends(money_reader),
         session: Session = Depends(get_session)) -> Response:
    row = None
    if principal.sees(owner_id):
        row = session.scalars(select(FxLockRow).where(FxLockRow.owner_id == owner_id,
                                                      FxLockRow.lock_id == lock_id)).first()
    if row is None:
        raise HTTPException(404, "lock not found")
    domain = to_domain(session, row)
    detail = LockDetailOut(**_lock(owner_id, domain, datetime.now(timezone.utc)).model_dump(), utilisations=[
        UtilisationOut(key=u.key, dealt=u.dealt.amount, dealt_currency=u.dealt.currency, counter=u.counter.amount,
                       counter_currency=u.counter.currency, at=u.at, reference=u.reference)
        for u in domain.utilisations])
    return tagged(request, detail)


@router.get("/receivables", response_model=CursorPage[ReceivableOut])
def receivables(principal: Principal = Depends(money_reader), session: Session = Depends(get_session),
                status: Annotated[Literal["open", "settled"] | None, Query(description="open or settled")] = None,
                cursor: Cursor = None, limit: Limit = 100) -> CursorPage[ReceivableOut]:
    """Foreign-currency receivables at their carrying amount (open until settled), newest first."""
    query = principal.scope(select(FxOpenItemRow), FxOpenItemRow.owner_id)
    if status == "open":
        query = query.where(FxOpenItemRow.settled_on.is_(None))
    elif status == "settled":
        query = query.where(FxOpenItemRow.settled_on.is_not(None))
    return keyset_page(session, query, order=[FxOpenItemRow.id], kinds=(int,), cursor=cursor, limit=limit,
                       filters={"o": principal.owner_id, "s": status},
                       out=lambda r: _receivable(session, r))
