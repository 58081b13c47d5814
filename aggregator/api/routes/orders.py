"""Orders of the caller's owner: list with filters, and one order with lines, packages and timeline."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal, get_principal, get_session
from aggregator.api.schemas import OrderDetailOut, OrderLineOut, OrderOut, Page
from aggregator.api.timeline import order_timeline
from aggregator.store.models import OrderLineRow, OrderPackageRow, OrderRow

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


def order_out(row: OrderRow) -> OrderOut:
    return OrderOut.model_validate(row, from_attributes=True)


@router.get("", response_model=Page)
def list_orders(
    principal: Principal = Depends(get_principal),
    session: Session = Depends(get_session),
    status: str | None = Query(default=None, description="unified status, e.g. SHIPPED"),
    platform: str | None = None,
    shop_id: str | None = None,
    q: str | None = Query(default=None, description="order id prefix"),
    updated_since: datetime | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> Page:
    query = select(OrderRow).where(OrderRow.owner_id == principal.owner_id)
    if status:
        query = query.where(OrderRow.status == status.upper())
    if platform:
        query = query.where(OrderRow.platform == platform.lower())
    if shop_id:
        query = query.where(OrderRow.shop_id == shop_id)
    if q:
        query = query.where(OrderRow.order_id.startswith(q.strip(), autoescape=True))
    if updated_since:
        if updated_since.tzinfo is None:
            raise HTTPException(422, "updated_since must carry a UTC offset")
        query = query.where(OrderRow.source_updated_at >= updated_since)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(OrderRow.source_updated_at.desc(), OrderRow.id.desc())
                           .limit(limit).offset(offset))
    return Page(items=[order_out(r) for r in rows], total=total or 0, limit=limit, offset=offset)


@router.get("/{platform}/{shop_id}/{order_id}", response_model=OrderDetailOut)
def get_order(platform: str, shop_id: str, order_id: str,
              principal: Principal = Depends(get_principal),
              session: Session = Depends(get_session)) -> OrderDetailOut:
    row = session.scalars(select(OrderRow).where(
        OrderRow.owner_id == principal.owner_id, OrderRow.platform == platform.lower(),
        OrderRow.shop_id == shop_id, OrderRow.order_id == order_id)).first()
    if row is None:  # another owner's order is indistinguishable from a missing one
        raise HTTPException(404, "order not found")
    lines = session.scalars(select(OrderLineRow).where(OrderLineRow.order_pk == row.id).order_by(OrderLineRow.id))
    packages = session.scalars(select(OrderPackageRow).where(OrderPackageRow.order_pk == row.id)
                               .order_by(OrderPackageRow.id))
    return OrderDetailOut(
        **order_out(row).model_dump(),
        lines=[OrderLineOut.model_validate(line, from_attributes=True) for line in lines],
        packages=[{"package_id": p.package_id, "tracking_number": p.tracking_number, "carrier": p.carrier,
                   "status": p.status, "line_refs": p.line_refs.split()} for p in packages],
        timeline=order_timeline(session, row),
    )
