"""Title to goods in transit: the position at an instant and as a time series, per owner and stage, in
each owner's base currency (``aggregator.matching_service.queries.valued_positions``: the same figures
as ``aggregator title position``). Scoped to the caller's owner; an unscoped staff key sees every owner.

The position is an aggregate over the owner's title ledger: its cost follows the ledger's size, read
once per request whatever the number of instants asked for.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import pandas as pd
from dateutil.relativedelta import relativedelta
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal, get_session, reader
from aggregator.api.instants import aware
from aggregator.api.schemas import DecimalStr
from aggregator.matching_service.queries import valued_positions
from aggregator.matching_service.valuation import MissingBaseCurrency

router = APIRouter(prefix="/api/v1/title", tags=["title"])
Instant = Annotated[datetime, Query(description="ISO 8601 instant with a UTC offset, e.g. 2026-03-05T00:00:00+08:00")]
#: the most instants one series answers
MAX_POINTS = 400
STEPS = {"day": relativedelta(days=1), "week": relativedelta(weeks=1), "month": relativedelta(months=1)}


class PositionRow(BaseModel):
    owner_id: str
    stage: str = Field(description="ON_THE_WATER, AT_PORT_AND_CUSTOMS, IN_WAREHOUSE, IN_LAST_MILE, DELIVERED, "
                                   "OTHER, or TOTAL (what the owner holds title to)")
    title_holder: str
    title_state: str | None = None
    location_state: str | None = None
    qty: int
    value: DecimalStr = Field(description="at cost, in the owner's base currency (exact)")
    currency: str
    unvalued_qty: int = Field(description="units with no known cost (outside value)")
    rate_path: str = Field(description="how each foreign cost was converted (source and rate date)")
    unconverted: str = Field(description="costs that could not be converted (no rate), outside value")


class PositionOut(BaseModel):
    at: datetime
    rows: list[PositionRow]


class SeriesOut(BaseModel):
    points: list[PositionOut]


def _rows(frame: pd.DataFrame) -> list[PositionRow]:
    return [PositionRow(**{k: v for k, v in record.items() if v is not None})
            for record in frame.astype(object).where(frame.notna(), None).to_dict("records")]


def _positions(session: Session, principal: Principal, instants: list[datetime], detail: bool) -> list[PositionOut]:
    try:
        frames = valued_positions(session, [pd.Timestamp(at) for at in instants], principal.owner_id, detail=detail)
    except MissingBaseCurrency as exc:
        raise HTTPException(422, str(exc)) from None
    return [PositionOut(at=at, rows=_rows(frame)) for at, frame in zip(instants, frames)]


@router.get("/position", response_model=PositionOut)
def position(at: Instant, principal: Principal = Depends(reader), session: Session = Depends(get_session),
             detail: Annotated[bool, Query(description="split each stage by title state and location state")] = False
             ) -> PositionOut:
    """Goods on the water, at port / in customs, in warehouse, in last mile and delivered at ``at``, per owner
    and title holder, with each owner's total."""
    return _positions(session, principal, [aware("at", at)], detail)[0]


@router.get("/series", response_model=SeriesOut)
def series(start: Annotated[datetime, Query(alias="from", description="first instant (ISO 8601 with offset)")],
           end: Annotated[datetime, Query(alias="to", description="last instant, included")],
           step: Annotated[Literal["day", "week", "month"], Query(description="distance between points")] = "day",
           principal: Principal = Depends(reader), session: Session = Depends(get_session)) -> SeriesOut:
    """The position at ``from``, ``from`` + step, … up to ``to`` (at most 400 points)."""
    start, end = aware("from", start), aware("to", end)
    if end < start:
        raise HTTPException(422, "'to' is before 'from'")
    instants, n = [], 0
    while (at := start + STEPS[step] * n) <= end:
        if n == MAX_POINTS:
            raise HTTPException(422, f"more than {MAX_POINTS} points: shorten the range or take a longer step")
        instants.append(at)
        n += 1
    return SeriesOut(points=_positions(session, principal, instants, detail=False))

