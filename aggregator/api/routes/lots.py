"""Lots (list and one lot, with open quantities) and what upstream records fed: a container's, a
transport document's or a customs entry's lots and the orders that drew from them.

A lot is what matching linked to a receipt (``lot_receipt``), keyed ``owner|warehouse|lot`` in key form
(``matching.keys``); quantities come from ``api/lots.py``, the walk from upstream records to orders from
``api/reach.py``. Every answer is limited to the caller's owner; another owner's lot, document or entry
answers 404 like a missing one.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from aggregator.api import reach
from aggregator.api.auth import Principal, get_session, reader
from aggregator.api.bounds import Cursor, Limit, PathIdent
from aggregator.api.etag import tagged
from aggregator.api.lots import LotQuantities, lot_quantities
from aggregator.api.pagination import (
    COUNT_CAP, CursorPage, after, decode_cursor, encode_cursor, filters_fingerprint, keyset_page,
)
from aggregator.api.routes.orders import order_out
from aggregator.api.schemas import OrderOut
from aggregator.owners.key_form import OwnerOfKey
from aggregator.store.models.logistics import CustomsEntryRow, TransportDocumentRow
from aggregator.store.models.marketplace import OrderRow
from aggregator.store.models.matching import MatchLinkRow
from matching import keys

router = APIRouter(prefix="/api/v1", tags=["lots"])


class LotReceiptOut(BaseModel):
    asn_no: str
    line_no: int
    planned: int
    received: bool = Field(description="the receipt line has been counted")


class LotOut(BaseModel):
    owner_id: str
    warehouse_code: str
    lot_id: str
    sku: str | None
    planned: int
    received_good: int
    received_damaged: int
    in_receiving: int = Field(description="planned units on receipt lines not counted yet")
    shipped: int
    returned: int
    written_off: int = Field(default=0, description="returned units the marketplace's warehouse disposed of")
    open: int = Field(description="received good − shipped + returned − written off")


class LotDetailOut(LotOut):
    receipts: list[LotReceiptOut]
    orders: list[OrderOut] = Field(description="orders that drew from the lot (newest first)")
    orders_truncated: bool


class FedLotOut(LotOut):
    units_in: int = Field(description="units of the lot that came in through this record")


class FedOut(BaseModel):
    """What an upstream record fed: its lots with open quantities, and a page of the orders they fed."""

    lots: list[FedLotOut]
    orders: CursorPage[OrderOut]
    truncated: bool = Field(description="the record touches more than the walk follows in one answer")


def lot_out(q: LotQuantities, owner_of: OwnerOfKey) -> LotOut:
    """``q`` as answered; its owner (in key form in the links) as registered."""
    return LotOut(owner_id=owner_of(q.owner_id) or q.owner_id, warehouse_code=q.warehouse_code, lot_id=q.lot_id, sku=q.sku, planned=q.planned,
                  received_good=q.received_good, received_damaged=q.received_damaged, in_receiving=q.in_receiving,
                  shipped=q.shipped, returned=q.returned, written_off=q.written_off, open=q.open)


def _lot_keys(principal: Principal):
    query = select(MatchLinkRow.left_key).where(MatchLinkRow.step == "lot_receipt").distinct()
    if principal.owner_id is not None:
        query = query.where(MatchLinkRow.owner_id == keys.normalize_code(principal.owner_id))
    return query


@router.get("/lots", response_model=CursorPage[LotOut])
def list_lots(principal: Principal = Depends(reader), session: Session = Depends(get_session),
              cursor: Cursor = None, limit: Limit = 50) -> CursorPage[LotOut]:
    """Lots matching has linked to a receipt, in key order, with their open quantities."""
    fingerprint = filters_fingerprint({"o": principal.owner_id, "list": "lots"})
    query = _lot_keys(principal)
    counted = session.scalar(select(func.count()).select_from(query.limit(COUNT_CAP + 1).subquery())) or 0
    if cursor:
        query = query.where(after([MatchLinkRow.left_key], decode_cursor(cursor, (str,), fingerprint),
                                  descending=False))
    page = list(session.scalars(query.order_by(MatchLinkRow.left_key).limit(limit + 1)))
    more = len(page) > limit
    page = page[:limit]
    quantities = lot_quantities(session, page)
    owner_of = OwnerOfKey(session)
    return CursorPage[LotOut](items=[lot_out(quantities[k], owner_of) for k in page if k in quantities],
                              next_cursor=encode_cursor([page[-1]], fingerprint) if more else None,
                              count=min(counted, COUNT_CAP), count_exact=counted <= COUNT_CAP, limit=limit)


@router.get("/lots/{owner_id:ident}/{warehouse_code:ident}/{lot_id:ident}", response_model=LotDetailOut,
            responses={304: {"description": "Not modified"}})
def get_lot(owner_id: PathIdent, warehouse_code: PathIdent, lot_id: PathIdent, request: Request,
            principal: Principal = Depends(reader), session: Session = Depends(get_session)) -> Response:
    """One lot: quantities, the receipt lines it came in on, and the orders that drew from it."""
    key = reach.lot_key(owner_id, warehouse_code, lot_id)
    found = lot_quantities(session, [key]).get(key) if principal.sees(owner_id) else None
    if found is None or not found.receipts:
        raise HTTPException(404, "lot not found (a lot appears once matching has linked it to a receipt)")
    ids = reach.orders_of_line_keys(session, principal.owner_id, reach.order_line_keys_of_lots(session, [key]))
    shown = ids[-500:]
    orders = session.scalars(select(OrderRow).where(OrderRow.id.in_(shown))
                             .order_by(OrderRow.source_updated_at.desc(), OrderRow.id.desc())) if shown else []
    return tagged(request, LotDetailOut(**lot_out(found, OwnerOfKey(session)).model_dump(),
                                        receipts=[LotReceiptOut(**r) for r in found.receipts],
                                        orders=[order_out(o) for o in orders], orders_truncated=len(ids) > 500))


def _fed(session: Session, principal: Principal, found: reach.Reach, cursor: str | None, limit: int,
         scope: str) -> FedOut:
    quantities = lot_quantities(session, sorted(found.lots))
    owner_of = OwnerOfKey(session)
    lots = [FedLotOut(**lot_out(q, owner_of).model_dump(), units_in=found.lots[k]) for k, q in quantities.items()]
    query = select(OrderRow).where(OrderRow.id.in_(found.order_ids))
    orders = keyset_page(session, query, order=[OrderRow.id], kinds=(int,), cursor=cursor, limit=limit,
                         filters={"o": principal.owner_id, "of": scope}, out=order_out)
    return FedOut(lots=lots, orders=orders, truncated=found.truncated)


@router.get("/containers/{container_no:ident}/orders", response_model=FedOut)
def container_orders(container_no: PathIdent, principal: Principal = Depends(reader),
                     session: Session = Depends(get_session), cursor: Cursor = None, limit: Limit = 50) -> FedOut:
    """The lots that came in a container (through the receipts unloaded from it and the transport document
    lines that carried it) and the orders they fed."""
    lines = reach.receipt_lines_of_container(session, principal.owner_id, container_no)
    if not lines:
        raise HTTPException(404, "container not found among your receipts and transport documents")
    found = reach.reach_of_receipt_lines(session, principal.owner_id, lines)
    return _fed(session, principal, found, cursor, limit, f"container:{container_no}")


@router.get("/documents/{owner_id:ident}/{doc_number:ident}/orders", response_model=FedOut)
def document_orders(owner_id: PathIdent, doc_number: PathIdent, principal: Principal = Depends(reader),
                    session: Session = Depends(get_session), cursor: Cursor = None, limit: Limit = 50) -> FedOut:
    """The lots a bill of lading (with its house bills) or an air waybill brought in, and the orders they fed."""
    exists = principal.sees(owner_id) and session.scalar(select(TransportDocumentRow.id).where(
        TransportDocumentRow.owner_id == owner_id, TransportDocumentRow.doc_number == doc_number).limit(1))
    if not exists:
        raise HTTPException(404, "document not found")
    lines = reach.receipt_lines_of_document(session, owner_id, doc_number)
    found = reach.reach_of_receipt_lines(session, owner_id, lines)
    return _fed(session, principal, found, cursor, limit, f"document:{owner_id}:{doc_number}")


@router.get("/customs-entries/{owner_id:ident}/{country:ident}/{declaration_no:ident}/orders", response_model=FedOut)
def declaration_orders(owner_id: PathIdent, country: PathIdent, declaration_no: PathIdent,
                       principal: Principal = Depends(reader), session: Session = Depends(get_session),
                       cursor: Cursor = None, limit: Limit = 50) -> FedOut:
    """The lots a customs declaration cleared and the orders they fed."""
    exists = principal.sees(owner_id) and session.scalar(select(CustomsEntryRow.id).where(
        CustomsEntryRow.owner_id == owner_id, CustomsEntryRow.country == country,
        CustomsEntryRow.declaration_no == declaration_no).limit(1))
    if not exists:
        raise HTTPException(404, "customs entry not found")
    lines = reach.receipt_lines_of_declaration(session, owner_id, declaration_no)
    found = reach.reach_of_receipt_lines(session, owner_id, lines)
    return _fed(session, principal, found, cursor, limit, f"customs:{owner_id}:{country}:{declaration_no}")
