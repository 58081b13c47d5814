"""Analytics of the caller's owner (``aggregator.analytics``): the same reports as ``aggregator report``,
as JSON tables. An owner-bound key reads its owner; an unbound staff key names one with ``?owner=``.

``GET /api/v1/analytics/{cash-cycle|in-transit|ageing|expiry|demand|collaboration|resilience}[?period=YYYY-MM]``
(all but cash-cycle also ``[&at=INSTANT]``, the as-of instant with a UTC offset, as ``aggregator report … --at``)
answers ``{report, owner_id, period, notes, tables: {name: {columns, rows}}}``: every duration column is
named ``…_days``, money values at cost are exact decimal strings, a value not measured is ``null``. Values
at cost (in transit, ageing, expiry) need ``read_money``; the others ``read``.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal, get_session, money_reader, reader
from aggregator.api.instants import aware_or_none
from aggregator.store.jsonutil import to_jsonable

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
Period = Annotated[str | None, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
                                     description="YYYY-MM: only this month (default: everything stored, or now)")]
AsOf = Annotated[datetime | None, Query(description="as-of instant (the report's now), ISO 8601 with a UTC offset "
                                                    "(default: now)")]


class TableOut(BaseModel):
    columns: list[str]
    rows: list[list[Any]]


class ReportOut(BaseModel):
    report: str
    owner_id: str
    period: str | None = None
    notes: list[str] = Field(description="one line each, for people")
    tables: dict[str, TableOut] = Field(description="named tables; the first is the report's main table")


def _owner(principal: Principal) -> str:
    if principal.owner_id is None:
        raise HTTPException(422, "an analytics report is one owner's: name it with ?owner=")
    return principal.owner_id


def _cell(value: Any) -> Any:
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or (not isinstance(value, (str, bytes, list, dict)) and pd.isna(value)):
        return None
    return to_jsonable(value)


def _answer(make: Callable[..., Any], session: Session, principal: Principal, period: str | None,
            **kwargs: Any) -> ReportOut:
    try:
        report = make(session, _owner(principal), period, **kwargs)
    except ValueError as exc:  # a period the months do not have, a lead time that cannot be measured
        raise HTTPException(422, str(exc)) from None
    tables = {name: TableOut(columns=[str(c) for c in frame.columns],
                             rows=[[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)])
              for name, frame in report.tables.items()}
    return ReportOut(report=report.name, owner_id=report.owner_id, period=report.period, notes=report.notes,
                     tables=tables)


@router.get("/cash-cycle", response_model=ReportOut)
def cash_cycle(principal: Principal = Depends(reader), session: Session = Depends(get_session),
               period: Period = None) -> ReportOut:
    """Legs in days per order and their distributions (p50, p90, std) per owner, platform, shop, country and
    month (tables ``distribution`` and ``orders``)."""
    from aggregator.analytics.cash_cycle import cash_cycle as make

    return _answer(make, session, principal, period)


@router.get("/in-transit", response_model=ReportOut)
def in_transit(principal: Principal = Depends(money_reader), session: Session = Depends(get_session),
               period: Period = None,
               at: Annotated[datetime | None, Query(description="as-of instant, ISO 8601 with offset (default: the "
                                                                "data's end, when the last title event takes effect)")]
               = None) -> ReportOut:
    """Units and value at cost in the owner's base currency per day by title state and stage from the title
    ledger, up to the as-of instant (``totals``, ``series``; the notes name the instant and the rate paths)."""
    from aggregator.analytics.in_transit import in_transit as make

    return _answer(make, session, principal, period, at=aware_or_none("at", at, utc=True))


@router.get("/ageing", response_model=ReportOut)
def ageing(principal: Principal = Depends(money_reader), session: Session = Depends(get_session),
           period: Period = None, at: AsOf = None) -> ReportOut:
    """Lots on hand at the latest stock snapshot: days in warehouse, turnover, slow-moving share over 90 days
    (``summary``, ``lots``)."""
    from aggregator.analytics.stock_ageing import ageing as make

    return _answer(make, session, principal, period, now=aware_or_none("at", at, utc=True))


@router.get("/demand", response_model=ReportOut)
def demand(principal: Principal = Depends(reader), session: Session = Depends(get_session), period: Period = None,
           lead_days: Annotated[float | None, Query(ge=0, le=3660, description="supply lead time in days (default: "
                                                    "the owner's measured p90 on board → receipt)")] = None,
           at: AsOf = None) -> ReportOut:
    """Weekly sales per SKU × warehouse, forecast, rolling 3-month WAPE, days of cover, reorder signal
    (``demand``, ``weekly``)."""
    from aggregator.analytics.demand_report import demand as make

    return _answer(make, session, principal, period, lead_days=lead_days, now=aware_or_none("at", at, utc=True))


@router.get("/expiry", response_model=ReportOut)
def expiry(principal: Principal = Depends(money_reader), session: Session = Depends(get_session),
           period: Period = None, at: AsOf = None) -> ReportOut:
    """Lots with expiry dates sold first-expiry-first-out at the forecast demand: units and value that will
    expire unsold (``lots``, ``summary``)."""
    from aggregator.analytics.expiry_report import expiry as make

    return _answer(make, session, principal, period, now=aware_or_none("at", at, utc=True))


@router.get("/collaboration", response_model=ReportOut)
def collaboration(principal: Principal = Depends(reader), session: Session = Depends(get_session),
                  period: Period = None, at: AsOf = None) -> ReportOut:
    """Exception resolution times (first seen → resolved) by kind (``resolution``)."""
    from aggregator.analytics.collaboration_report import collaboration as make

    return _answer(make, session, principal, period, now=aware_or_none("at", at, utc=True))


@router.get("/resilience", response_model=ReportOut)
def resilience(principal: Principal = Depends(reader), session: Session = Depends(get_session),
               period: Period = None, at: AsOf = None) -> ReportOut:
    """The resilience index 0–100 and its four parts over the owner's own last months (``history``, ``parts``)."""
    from aggregator.analytics.resilience_report import resilience as make

    return _answer(make, session, principal, period, now=aware_or_none("at", at, utc=True))
