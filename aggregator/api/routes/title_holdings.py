"""What is behind a cell of the title position: the lots (and allocations of lots to orders) an owner's
goods sit in at an instant, each with its stage, who holds title, the title and location states, the
basis and evidence of its latest title event, and its unit cost (``GET /api/v1/title/holdings``); and
one lot's title events in order — who held title, bore the risk and had custody after each, and why
(``GET /api/v1/title/lots/{owner}/{warehouse}/{lot}/events[?shipment=KEY]``: index probes on the lot's key
and, with ``shipment``, on its allocation to that warehouse shipment line, whose events carry the last
mile and the delivery, and on that allocation's write-off (returned units disposed of); the order page draws
them on its chain).

The same fold of the title ledger as the position (``matching.title.position.holdings_at``: a lot's units
in an active allocation count under the allocation), so the rows of a stage add up to the position's
quantity for it. Scoped to the caller's owner; the cost is that of reading the owner's ledger once, as
for the position itself. At most ``limit`` rows (largest quantities first), flagged when cut.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal, get_session, reader
from aggregator.api.instants import aware
from aggregator.api.bounds import Limit, PathIdent
from aggregator.api.reach import lot_key
from aggregator.api.schemas import DecimalStr
from aggregator.matching_service.queries import load_ledger
from aggregator.matching_service.valuation import STAGE_OF_LOCATION, STAGES
from aggregator.store.models.matching import TitleEventRow
from matching.title.derive import write_off_key
from matching.title.position import holdings_at

router = APIRouter(prefix="/api/v1/title", tags=["title"])
StageName = Literal[STAGES]  # type: ignore[valid-type]


class HoldingOut(BaseModel):
    owner_id: str
    stage: str
    subject_kind: str = Field(description="LOT (units not allocated) or ALLOCATION (units allocated to an order)")
    subject_key: str
    lot_key: str = Field(description="owner|warehouse|lot, as matching keys it")
    warehouse_code: str | None
    lot_id: str
    qty: int
    title_holder: str
    title_state: str
    location_state: str
    basis: str
    evidence: str
    effective_at: datetime = Field(description="when its latest title event took effect")
    unit_value: DecimalStr | None = Field(description="the lot's unit cost, in its own currency (None: no cost known)")
    currency: str | None


class HoldingsOut(BaseModel):
    at: datetime
    items: list[HoldingOut]
    truncated: bool


def _lot_parts(key: str) -> tuple[str | None, str]:
    parts = key.split("|")
    if len(parts) == 3:
        return parts[1] or None, parts[2]
    return None, key


@router.get("/holdings", response_model=HoldingsOut)
def holdings(at: Annotated[datetime, Query(description="ISO 8601 instant with a UTC offset")],
             stage: Annotated[StageName | None, Query(description="only this stage")] = None,
             principal: Principal = Depends(reader), session: Session = Depends(get_session),
             limit: Limit = 200) -> HoldingsOut:
    """The lots and allocations behind the title position at ``at`` (one stage, or every stage)."""
    at = aware("at", at)
    ledger, values = load_ledger(session, principal.owner_id)
    rows = holdings_at(ledger, at, owner_id=principal.owner_id) if not ledger.empty else ledger
    items: list[HoldingOut] = []
    for row in rows.itertuples(index=False):
        where = STAGE_OF_LOCATION.get(row.location_state, "OTHER")
        if stage is not None and where != stage:
            continue
        warehouse, lot_id = _lot_parts(row.lot)
        unit, currency = values.get(row.lot, (None, None))
        items.append(HoldingOut(
            owner_id=row.owner_id, stage=where, subject_kind=row.subject_kind, subject_key=row.subject_key,
            lot_key=row.lot, warehouse_code=warehouse, lot_id=lot_id, qty=int(row.qty), title_holder=row.title_holder,
            title_state=row.title_state, location_state=row.location_state, basis=row.basis,
            evidence=row.evidence or "", effective_at=row.effective_at,
            unit_value=Decimal(unit) if unit is not None else None, currency=currency))
    items.sort(key=lambda h: (-h.qty, h.owner_id, h.lot_key, h.subject_key))
    return HoldingsOut(at=at, items=items[:limit], truncated=len(items) > limit)


class TitleEventOut(BaseModel):
    subject_kind: str = Field(description="LOT (the lot's own units), ALLOCATION (the units allocated to one "
                                          "warehouse shipment line: last mile and delivery) or WRITE_OFF (returned "
                                          "units of that allocation disposed of: title ended)")
    kind: str
    effective_at: datetime
    qty: int
    title_holder: str
    risk_bearer: str
    custodian: str
    document_holder: str | None
    title_state: str
    location_state: str
    stage: str
    basis: str
    basis_note: str
    evidence: str
    confidence: str


ShipmentLine = Annotated[str | None, Query(min_length=1, max_length=300, description=(
    "a warehouse shipment line key (OWNER|WAREHOUSE|OUTBOUND_NO|LINE_NO, as an order's chain names it): the "
    "events of the lot's units allocated to it (dispatch, delivery) follow the lot's own"))]


@router.get("/lots/{owner_id:ident}/{warehouse_code:ident}/{lot_id:ident}/events", response_model=list[TitleEventOut])
def lot_events(owner_id: PathIdent, warehouse_code: PathIdent, lot_id: PathIdent, shipment: ShipmentLine = None,
               principal: Principal = Depends(reader), session: Session = Depends(get_session)) -> list[TitleEventOut]:
    """The lot's title events (not retracted), oldest first, then those of its units allocated to the shipment
    line ``shipment`` (who held title in the last mile and after delivery); an unknown lot or another owner's
    is 404. One probe of the subject index per subject (lot, allocation, its write-off)."""
    key = lot_key(owner_id, warehouse_code, lot_id)
    subjects = [key, f"{shipment}>{key}", write_off_key(f"{shipment}>{key}")] if shipment else [key]
    kind_order = case({"LOT": 0, "ALLOCATION": 1}, value=TitleEventRow.subject_kind, else_=2)
    rows = [] if not principal.sees(owner_id) else session.scalars(
        select(TitleEventRow).where(TitleEventRow.subject_key.in_(subjects), TitleEventRow.retracted_at.is_(None))
        .order_by(kind_order, TitleEventRow.effective_at, TitleEventRow.seq)).all()
    if not rows:
        raise HTTPException(404, "no title events for this lot (unknown lot, or matching has not reached it)")
    return [TitleEventOut(subject_kind=r.subject_kind, kind=r.kind, effective_at=r.effective_at, qty=r.qty, title_holder=r.title_holder,
                          risk_bearer=r.risk_bearer, custodian=r.custodian, document_holder=r.document_holder,
                          title_state=r.title_state, location_state=r.location_state,
                          stage=STAGE_OF_LOCATION.get(r.location_state, "OTHER"), basis=r.basis,
                          basis_note=r.basis_note or "", evidence=r.evidence or "", confidence=r.confidence)
            for r in rows]
