"""Search anything: which records carry an identifier the user typed (``GET /api/v1/lookup?q=``).

The web app's one search box sends whatever was typed — a container number, a bill of lading (master or
house), an air waybill, a customs declaration, an ASN, a lot or a SKU — here and to the orders list's
``q`` (orders by any identifier they touch). The answer names each record found, by kind, with the key
its own route reads it by; it never guesses (nothing found is an empty list, not a near miss).

Every kind is one indexed equality probe; records keyed by owner are probed on ``(owner_id, number)``
for the owners the caller sees (the caller's one owner, or the few owners there are), so the cost is
that of the answer, not of the owners' data. Each kind answers at most ``PER_KIND`` records.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal, get_session, reader
from aggregator.store.models import OrderLineRow, OrderRow, OwnerRow
from aggregator.store.models.logistics import (
    CustomsEntryRow, TransportContainerRow, TransportDocumentLineRow, TransportDocumentRow, TransportMilestoneRow,
)
from aggregator.store.models.warehouse import (
    WarehouseReceiptLineRow, WarehouseReceiptRow, WarehouseShipmentLineRow, WarehouseShipmentRow,
)

router = APIRouter(prefix="/api/v1", tags=["search"])

PER_KIND = 20
Kind = str  # "container" | "transport_document" | "customs_entry" | "receipt" | "lot" | "sku"


class LookupHit(BaseModel):
    kind: Kind
    owner_id: str | None  # None for a container: a physical box several owners may have shared
    key: list[str]  # the path parameters of the record's own route, in order
    label: str  # what the identifier is on that record, e.g. "MBL", "HBL", "ASN", "lot", "SKU"
    detail: str  # one line of context (type, route, status, counts)


class LookupOut(BaseModel):
    hits: list[LookupHit]


def _owners(session: Session, principal: Principal) -> list[str]:
    if principal.owner_id is not None:
        return [principal.owner_id]
    return list(session.scalars(select(OwnerRow.owner_id).order_by(OwnerRow.owner_id)))


def _containers(session: Session, principal: Principal, q: str) -> list[LookupHit]:
    no = q.upper()
    seen = principal.scope(select(TransportDocumentRow.id), TransportDocumentRow.owner_id)
    carried = session.scalar(select(func.count()).select_from(
        select(TransportContainerRow.document_pk).where(TransportContainerRow.container_no == no,
                                                        TransportContainerRow.document_pk.in_(seen))
        .union(select(TransportDocumentLineRow.document_pk).where(TransportDocumentLineRow.container_no == no,
                                                                  TransportDocumentLineRow.document_pk.in_(seen)))
        .subquery()))
    unloaded = session.scalar(principal.scope(select(func.count(WarehouseReceiptRow.id)).where(
        WarehouseReceiptRow.container_no == no), WarehouseReceiptRow.owner_id))
    events = session.scalar(principal.scope(select(func.count(TransportMilestoneRow.id)).where(
        TransportMilestoneRow.equipment_no == no), TransportMilestoneRow.owner_id))
    if not (carried or unloaded or events):
        return []
    return [LookupHit(kind="container", owner_id=None, key=[no], label="container",
                      detail=f"{carried} document(s), {unloaded} receipt(s), {events} milestone(s)")]


def _documents(session: Session, owners: list[str], q: str) -> list[LookupHit]:
    D = TransportDocumentRow
    hits: dict[tuple[str, str], LookupHit] = {}
    for no in dict.fromkeys((q, q.upper())):
        for d in session.scalars(select(D).where(D.owner_id.in_(owners), D.doc_number == no).limit(PER_KIND)):
            hits[(d.owner_id, d.doc_number)] = LookupHit(
                kind="transport_document", owner_id=d.owner_id, key=[d.owner_id, d.doc_number],
                label=f"{'HBL' if d.doc_level == 'HOUSE' else d.doc_type}",
                detail=" ".join(x for x in (d.doc_type, d.port_of_loading, "→", d.port_of_discharge,
                                            d.vessel_or_flight, d.voyage) if x))
        # the house bills filed under a master bill
        for d in session.scalars(select(D).where(D.master_doc_number == no, D.owner_id.in_(owners))
                                 .order_by(D.id).limit(PER_KIND)):
            hits.setdefault((d.owner_id, d.doc_number), LookupHit(
                kind="transport_document", owner_id=d.owner_id, key=[d.owner_id, d.doc_number], label="MBL",
                detail=f"{d.doc_type} {d.doc_number} under master {d.master_doc_number}"))
    return list(hits.values())[:PER_KIND]


def _customs(session: Session, owners: list[str], q: str) -> list[LookupHit]:
    C = CustomsEntryRow
    rows = session.scalars(select(C).where(C.owner_id.in_(owners), C.declaration_no == q).limit(PER_KIND))
    return [LookupHit(kind="customs_entry", owner_id=c.owner_id, key=[c.owner_id, c.country, c.declaration_no],
                      label="customs declaration",
                      detail=" ".join(x for x in (c.country, c.regime, c.status) if x)) for c in rows]


def _receipts(session: Session, owners: list[str], q: str) -> list[LookupHit]:
    R = WarehouseReceiptRow
    rows = session.scalars(select(R).where(R.owner_id.in_(owners), R.asn_no == q).limit(PER_KIND))
    return [LookupHit(kind="receipt", owner_id=r.owner_id, key=[r.owner_id, r.warehouse_code, r.asn_no], label="ASN",
                      detail=" ".join(x for x in (r.warehouse_code, r.status, r.container_no) if x)) for r in rows]


def _lots(session: Session, principal: Principal, q: str) -> list[LookupHit]:
    """A lot where its id is written: the receipt lines it came in on, the outbound lines it left on."""
    R, RL, S, SL = WarehouseReceiptRow, WarehouseReceiptLineRow, WarehouseShipmentRow, WarehouseShipmentLineRow
    received = principal.scope(select(R.owner_id, R.warehouse_code).join(RL, RL.receipt_pk == R.id)
                               .where(RL.lot_id == q), R.owner_id)
    shipped = principal.scope(select(S.owner_id, S.warehouse_code).join(SL, SL.shipment_pk == S.id)
                              .where(SL.lot_id == q), S.owner_id)
    places = sorted(set(session.execute(received.limit(PER_KIND)).all()) | set(session.execute(shipped.limit(PER_KIND)).all()))
    return [LookupHit(kind="lot", owner_id=owner, key=[owner, warehouse, q], label="lot", detail=f"warehouse {warehouse}")
            for owner, warehouse in places[:PER_KIND]]


def _skus(session: Session, principal: Principal, q: str) -> list[LookupHit]:
    rows = session.execute(principal.scope(
        select(OrderRow.owner_id, func.count(OrderLineRow.id)).join(OrderRow, OrderRow.id == OrderLineRow.order_pk)
        .where(OrderLineRow.seller_sku == q), OrderRow.owner_id).group_by(OrderRow.owner_id)
        .order_by(OrderRow.owner_id).limit(PER_KIND)).all()
    return [LookupHit(kind="sku", owner_id=owner, key=[owner, q], label="SKU", detail=f"{n} order line(s)")
            for owner, n in rows]


@router.get("/lookup", response_model=LookupOut)
def lookup(q: Annotated[str, Query(min_length=1, max_length=200, description="any identifier: container, BL/HBL/AWB, "
                                   "customs declaration, ASN, lot or SKU (orders: GET /api/v1/orders?q=)")],
           principal: Principal = Depends(reader), session: Session = Depends(get_session)) -> LookupOut:
    """The records (other than orders) that carry the identifier ``q``, by kind, each with its route's key."""
    text = q.strip()
    if not text:
        return LookupOut(hits=[])
    owners = _owners(session, principal)
    hits = [*_containers(session, principal, text), *_documents(session, owners, text),
            *_customs(session, owners, text), *_receipts(session, owners, text), *_lots(session, principal, text),
            *_skus(session, principal, text)]
    return LookupOut(hits=hits)
