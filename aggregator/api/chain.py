"""One order's chain and timeline from indexed lookups on the stored links and records.

The cost is that of the order's own chain (a handful of index probes per step), never the owner's
whole matching input: order lines → ``order_shipment`` links (by the lines' normalised keys) →
warehouse shipment lines → ``shipment_lot`` links → lots → ``lot_receipt`` → receipt lines →
``receipt_document`` / ``receipt_customs`` → transport document and customs lines. Warehouse
shipments that name the order and its settlement lines are read by the order id directly, so
dispatch, delivery and payout show before any matching run. Steps and their order follow
``matching.timeline`` (the same facts as the engine's whole-frame timeline).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.store.models.logistics import (
    CustomsEntryLineRow, CustomsEntryRow, TransportDocumentLineRow, TransportDocumentRow,
)
from aggregator.store.models.marketplace import OrderLineRow, OrderRow, SettlementLineRow
from aggregator.store.models.matching import MatchLinkRow
from aggregator.store.models.warehouse import WarehouseReceiptLineRow, WarehouseReceiptRow, WarehouseShipmentRow
from matching import keys
from matching.timeline import _RANK  # the engine's order of steps at one instant (one copy)


@dataclass
class OrderChain:
    timeline: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)  # one row per (order line, lot)


def _instant(value: datetime | date | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), tzinfo=timezone.utc)


def line_key(order: OrderRow, line_ref: str) -> str:
    return "|".join(part or "" for part in (keys.normalize_code(order.platform), keys.normalize_code(order.shop_id),
                                            keys.normalize_order_id(order.order_id),
                                            keys.normalize_line_ref(line_ref)))


def _links(session: Session, step: str, lefts: list[str]) -> list[MatchLinkRow]:
    if not lefts:
        return []
    return list(session.scalars(select(MatchLinkRow).where(MatchLinkRow.step == step,
                                                           MatchLinkRow.left_key.in_(sorted(set(lefts))))
                                .order_by(MatchLinkRow.left_key, MatchLinkRow.right_key)))


def _parts(key: str, n: int) -> list[str] | None:
    parts = key.split("|")
    return parts if len(parts) == n else None


def order_chain(session: Session, order: OrderRow, lines: list[OrderLineRow]) -> OrderChain:
    out = OrderChain()
    steps: list[dict[str, Any]] = []

    def add(step: str, at: Any, source: str, record: str, detail: str) -> None:
        at = _instant(at)
        if at is not None:
            steps.append({"step": step, "at": at, "source": source, "record": record, "detail": detail})

    order_key = f"{order.platform}|{order.shop_id}|{order.order_id}"
    add("ordered", order.ordered_at, "marketplace", order_key, f"{order.platform} order {order.order_id}")
    add("paid", order.paid_at, "marketplace", order_key, "buyer paid")

    by_key = {line_key(order, line.line_ref): line for line in lines}
    os_links = _links(session, "order_shipment", list(by_key))
    shipments: dict[str, WarehouseShipmentRow] = {}
    for link in os_links:
        parts = _parts(link.right_key, 4)
        if parts and link.right_key not in shipments:
            row = session.scalars(select(WarehouseShipmentRow).where(
                WarehouseShipmentRow.owner_id == parts[0], WarehouseShipmentRow.warehouse_code == parts[1],
                WarehouseShipmentRow.wms_outbound_no == parts[2])).first()
            if row is not None:
                shipments[link.right_key] = row
    direct = session.scalars(select(WarehouseShipmentRow).where(
        WarehouseShipmentRow.order_id == order.order_id, WarehouseShipmentRow.owner_id == order.owner_id)).all()
    seen_outbound = set()
    for key, s in [*shipments.items(), *((None, s) for s in direct)]:
        if s.id in seen_outbound:
            continue
        seen_outbound.add(s.id)
        record = f"outbound {s.wms_outbound_no}"
        add("dispatched", s.shipped_at, "warehouse", record,
            f"{s.carrier_code or ''} tracking {s.tracking_number or '-'}".strip())
        add("delivered", s.delivered_at, "last mile", record, "delivered to the buyer")
        add("returned", s.returned_at, "warehouse", record, "returned to the warehouse")

    sl_links = _links(session, "shipment_lot", [link.right_key for link in os_links])
    lots = [link.right_key for link in sl_links]
    receipt_of = {}
    for link in _links(session, "lot_receipt", lots):
        receipt_of.setdefault(link.left_key, link.right_key)
    receipts = sorted(set(receipt_of.values()))
    doc_of = {link.left_key: link.right_key for link in reversed(_links(session, "receipt_document", receipts))}
    customs_of = {link.left_key: link.right_key for link in reversed(_links(session, "receipt_customs", receipts))}
    line_of_shipment = {link.right_key: link for link in os_links}

    for link in sl_links:
        lot_id = (_parts(link.right_key, 3) or ["", "", link.right_key])[2]
        shipment = shipments.get(link.left_key)
        if shipment is not None:
            add("lot", shipment.wms_created_at or shipment.shipped_at, "matching", lot_id,
                f"{link.qty} unit(s) from lot {lot_id} ({link.method})")
        chain = {"order_line_ref": None, "lot_id": lot_id, "qty": link.qty, "method": link.method,
                 "confidence": link.confidence, "warehouse_code": None, "asn_no": None, "container_no": None,
                 "transport_document_no": None, "customs_declaration_no": None}
        upstream = line_of_shipment.get(link.left_key)
        if upstream is not None and upstream.left_key in by_key:
            chain["order_line_ref"] = by_key[upstream.left_key].line_ref
            chain["confidence"] = min(chain["confidence"], upstream.confidence)
        receipt = receipt_of.get(link.right_key)
        parts = _parts(receipt, 4) if receipt else None
        if parts:
            chain["warehouse_code"], chain["asn_no"] = parts[1], parts[2]
            header = session.scalars(select(WarehouseReceiptRow).where(
                WarehouseReceiptRow.owner_id == parts[0], WarehouseReceiptRow.warehouse_code == parts[1],
                WarehouseReceiptRow.asn_no == parts[2])).first()
            if header is not None:
                chain["container_no"] = header.container_no
                rline = session.scalars(select(WarehouseReceiptLineRow).where(
                    WarehouseReceiptLineRow.receipt_pk == header.id,
                    WarehouseReceiptLineRow.line_no == int(parts[3]) if parts[3].isdigit() else False)).first()
                received = header.received_at is not None and not (
                    rline is not None and rline.received_good_qty + rline.received_damaged_qty == 0
                    and (header.status or "") in ("RECEIVING", "PARTIAL"))
                if received:
                    add("received", header.received_at, "warehouse", f"ASN {header.asn_no}", f"lot {lot_id} received")
            doc_parts = _parts(doc_of.get(receipt, ""), 3)
            doc = None
            if doc_parts:
                doc = session.scalars(select(TransportDocumentRow).where(
                    TransportDocumentRow.owner_id == doc_parts[0],
                    TransportDocumentRow.doc_number == doc_parts[1])).first()
            if doc is not None:
                dline = session.scalars(select(TransportDocumentLineRow).where(
                    TransportDocumentLineRow.document_pk == doc.id,
                    TransportDocumentLineRow.line_no == int(doc_parts[2]) if doc_parts[2].isdigit() else False)).first()
                container = (dline.container_no if dline else None) or chain["container_no"]
                chain["transport_document_no"], chain["container_no"] = doc.doc_number, container
                add("on_board", doc.shipped_on_board_date, "forwarder", f"{doc.doc_type} {doc.doc_number}",
                    f"lot {lot_id} on board" + (f", container {container}" if container else ""))
            customs_parts = _parts(customs_of.get(receipt, ""), 3)
            entry = None
            if customs_parts:
                entry = session.scalars(select(CustomsEntryRow).where(
                    CustomsEntryRow.owner_id == customs_parts[0],
                    CustomsEntryRow.declaration_no == customs_parts[1])).first()
            if entry is not None:
                chain["customs_declaration_no"] = entry.declaration_no
                add("arrived", entry.arrival_date or (doc.eta if doc else None), "customs",
                    f"declaration {entry.declaration_no}", f"lot {lot_id} arrived")
                add("customs_released", entry.released_at, "customs", f"declaration {entry.declaration_no}",
                    f"lot {lot_id} released")
            elif doc is not None:
                add("arrived", doc.eta, "forwarder", f"document {doc.doc_number}", f"lot {lot_id} ETA")
        out.links.append(chain)

    for s in session.scalars(select(SettlementLineRow).where(
            SettlementLineRow.order_id == order.order_id, SettlementLineRow.platform == order.platform,
            SettlementLineRow.shop_id == order.shop_id).order_by(SettlementLineRow.id)):
        add("settled", s.occurred_at, "marketplace", f"settlement {s.kind}", f"{format(s.amount, 'f')} {s.currency}")

    unique = {(s["step"], s["at"], s["record"], s["detail"]): s for s in steps}
    out.timeline = sorted(unique.values(), key=lambda s: (s["at"], _RANK.get(s["step"], 99), s["record"], s["detail"]))
    return out
