"""Orders visible to the caller: a keyset-paged list with filters and identifier search, and one order
with its lines, packages, chain and timeline (ETag'd), read by indexed lookups (``api/order_detail.py``)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from aggregator.api.auth import Principal, get_session, get_statement_session, reader, statement_reader
from aggregator.api.bounds import Cursor, Ident, Limit, PathIdent, Text
from aggregator.api.etag import tagged
from aggregator.api.instants import aware_or_none
from aggregator.api.filters import known_shop
from aggregator.api.pagination import (
    CursorPage, after, bounded_count, decode_cursor, encode_cursor, filters_fingerprint,
)
from aggregator.api.order_detail import order_detail
from aggregator.api.schemas import OrderDetailOut, OrderOut
from aggregator.api.search import order_ids_matching
from aggregator.store.models import OrderLineRow, OrderRow
from aggregator.api.platforms import PlatformParam, PlatformPath, checked_platform
from platform_adapters.canonical import OrderStatus

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])

StatusName = Literal[tuple(s.value for s in OrderStatus)]  # type: ignore[valid-type]
Instant = Annotated[datetime | None, Query(description="ISO 8601 with a UTC offset")]
_PAGE_COLUMNS = tuple(getattr(OrderRow, f) for f in OrderOut.model_fields if f != "id")


def order_out(row) -> OrderOut:
    """An order as answered, from its ORM row or a row of its columns."""
    return OrderOut.model_validate(row, from_attributes=True)


@router.get("", response_model=CursorPage[OrderOut])
def list_orders(
    principal: Principal = Depends(reader),
    session: Session = Depends(get_session),
    status: Annotated[StatusName | None, Query(description="unified status")] = None,
    platform: PlatformParam = None,
    shop_id: Ident = None,
    sku: Annotated[str | None, Query(min_length=1, max_length=128, description="a seller SKU on a line")] = None,
    q: Annotated[Text, Query(description="any identifier the order touches: order id, order line ref, package, "
                                         "tracking number, and (once matched) container, BL/HBL/AWB, customs "
                                         "declaration, ASN, lot")] = None,
    ordered_from: Instant = None,
    ordered_to: Instant = None,
    updated_since: Instant = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> CursorPage[OrderOut]:
    platform = checked_platform(platform)
    filters = {"owner": principal.owner_id, "status": status, "platform": platform, "shop_id": shop_id,
               "sku": sku, "q": q, "from": ordered_from, "to": ordered_to, "since": updated_since}
    # the page's columns as rows (no ORM objects); id for the cursor
    query = principal.scope(select(OrderRow.id, *_PAGE_COLUMNS), OrderRow.owner_id)
    if status:
        query = query.where(OrderRow.status == status)
    if platform:
        query = query.where(OrderRow.platform == platform)
    if shop_id:
        known_shop(session, principal, platform, shop_id)
        query = query.where(OrderRow.shop_id == shop_id)
    if sku:
        query = query.where(exists().where(OrderLineRow.order_pk == OrderRow.id, OrderLineRow.seller_sku == sku))
    if q:  # the few matching ids first: as a subquery the planner may walk the owner's whole page index
        query = query.where(OrderRow.id.in_(order_ids_matching(session, principal.owner_id, q)))
    if aware_or_none("ordered_from", ordered_from):
        query = query.where(OrderRow.ordered_at >= ordered_from)
    if aware_or_none("ordered_to", ordered_to):
        query = query.where(OrderRow.ordered_at < ordered_to)
    if aware_or_none("updated_since", updated_since):
        query = query.where(OrderRow.source_updated_at >= updated_since)
    count, exact = bounded_count(session, query)
    fingerprint = filters_fingerprint(filters)
    order = [OrderRow.source_updated_at, OrderRow.id]
    if cursor:
        query = query.where(after(order, decode_cursor(cursor, (datetime, int), fingerprint)))
    rows = session.execute(query.order_by(*(c.desc() for c in order)).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].source_updated_at, rows[-1].id], fingerprint) if more else None
    return CursorPage[OrderOut](items=[order_out(r) for r in rows], next_cursor=next_cursor, count=count,
                                count_exact=exact, limit=limit)


@router.get("/{platform}/{shop_id:ident}/{order_id:ident}", response_model=OrderDetailOut,
            responses={304: {"description": "Not modified (If-None-Match matched the ETag)"}})
def get_order(platform: PlatformPath, shop_id: PathIdent, order_id: PathIdent, request: Request,
              principal: Principal = Depends(statement_reader),
              session: Session = Depends(get_statement_session)) -> Response:
    platform = checked_platform(platform)
    try:  # the key was one statement; the detail is one more on PostgreSQL (``api/order_detail.py``)
        detail = order_detail(session.connection(), platform, shop_id, order_id, principal.sees)
    finally:
        session.close()  # in this thread: the session's dependency is then left nothing to close
    if detail is None:  # no such order, or another owner's: the same answer
        raise HTTPException(404, "order not found")
    return tagged(request, detail)
