"""One order's chain and timeline from indexed lookups on the stored links and records.

The cost is that of the order's own chain (one index probe per step and record), never the owner's
whole matching input: order lines → ``order_shipment`` links (by the lines' normalised keys) →
warehouse shipment lines → ``shipment_lot`` links → lots → ``lot_receipt`` → receipt lines →
``receipt_document`` / ``receipt_customs`` (else the document-level ``receipt_transport_doc`` /
``receipt_customs_entry``) → transport document and customs lines. Warehouse
shipments that name the order and its settlement lines are read by the order id directly, so
dispatch, delivery and payout show before any matching run; so are its returns, refunds and
cancellations (``returns`` by ``ix_returns_order``): the request, then the state it reached, and for a
received return of goods disposed of (disposition SCRAP) the write-off that ends the owner's title (as the
title ledger's ``WRITTEN_OFF`` event: same units, same time). Steps and their order follow
``matching.timeline`` (the same facts as the engine's whole-frame timeline; tested).

The questions are asked of a ``StatementReads`` (``api/order_reads.py``: one statement each, the
reference path; its subclass in ``api/order_prefetch.py`` answers from one combined statement on
PostgreSQL): this module is pure assembly, so both paths shape the same answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy.orm import Session

from aggregator.api.order_reads import DOCUMENT_STEPS, UPSTREAM_STEPS, StatementReads
from aggregator.digits import digits_value
from aggregator.store.models.marketplace import OrderRow, order_key
from matching import keys
from matching.frames import RECEIPT_IN_PROGRESS
from matching.timeline import _RANK  # the engine's order of steps at one instant (one copy)


@dataclass
class OrderChain:
    timeline: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)  # one row per (order line, lot)


def _instant(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), tzinfo=timezone.utc)


def line_key(order: Any, line_ref: str) -> str:
    """The key matching stores an order line's links under (``matching.frames``: platform|shop|order|line)."""
    return f"{order_key(order.platform, order.shop_id, order.order_id)}|{keys.normalize_line_ref(line_ref) or ''}"


def _parts(key: str | None, n: int) -> list[str] | None:
    parts = key.split("|") if key else []
    return parts if len(parts) == n else None


def _document_parts(key: str | None) -> list[str] | None:
    """[owner, number, line no or ''] of a document / customs key (``owner|number`` or ``owner|number|line``)."""
    parts = (key or "").split("|")
    if len(parts) == 2:
        return [*parts, ""]
    return parts if len(parts) == 3 else None


def _line_no(text: str) -> int | None:
    return digits_value(text, 9)


def order_chain(session: Session, order: OrderRow, line_refs: list[str]) -> OrderChain:
    """``order``'s chain and timeline, read one statement at a time on the session's connection."""
    return assemble_chain(StatementReads(session.connection()), order, line_refs)


def assemble_chain(reads: StatementReads, order: Any, line_refs: list[str]) -> OrderChain:
    """``order``'s chain and timeline from the answers of ``reads`` (``order``: its row, ``line_refs``: its
    lines' references)."""
    out = OrderChain()
    steps: list[dict[str, Any]] = []

    def add(step: str, at: Any, source: str, record: str, detail: str) -> None:
        at = _instant(at)
        if at is not None:
            steps.append({"step": step, "at": at, "source": source, "record": record, "detail": detail})

    def links(step: str, lefts) -> list:
        return reads.links(step, sorted(set(lefts)))

    order_key = f"{order.platform}|{order.shop_id}|{order.order_id}"
    add("ordered", order.ordered_at, "marketplace", order_key, f"{order.platform} order {order.order_id}")
    add("paid", order.paid_at, "marketplace", order_key, "buyer paid")

    ref_of = {line_key(order, ref): ref for ref in line_refs}
    os_links = links("order_shipment", ref_of)
    direct = [s for s in reads.shipments_of_order(order.order_id) if s.owner_id == order.owner_id]
    # an outbound that names the order is already read; only one linked without naming it costs a probe
    named = {(keys.normalize_code(s.owner_id), keys.normalize_code(s.warehouse_code),
              keys.normalize_code(s.wms_outbound_no)): s for s in direct}
    shipments: dict[str, Any] = {}
    for link in os_links:
        parts = _parts(link.right_key, 4)
        if parts and link.right_key not in shipments:
            row = named.get(tuple(parts[:3])) or reads.shipment(parts[0], parts[1], parts[2])
            if row is not None:
                shipments[link.right_key] = row
    told = set()
    for s in [*shipments.values(), *direct]:
        if s.id in told:
            continue
        told.add(s.id)
        record = f"outbound {s.wms_outbound_no}"
        add("dispatched", s.shipped_at, "warehouse", record, f"{s.carrier_code or ''} tracking {s.tracking_number or '-'}".strip())
        add("delivered", s.delivered_at, "last mile", record, "delivered to the buyer")
        add("returned", s.returned_at, "warehouse", record, "returned to the warehouse")

    sl_links = links("shipment_lot", [link.right_key for link in os_links])
    receipt_of: dict[str, str] = {}
    for link in links("lot_receipt", [link.right_key for link in sl_links]):
        receipt_of.setdefault(link.left_key, link.right_key)
    receipts = set(receipt_of.values())
    # the line-level link when there is one, else the receipt's document-level link (``owner|number``): a
    # receipt linked at either level carries its bill of lading and customs entry
    doc_of: dict[str, str] = {}
    customs_of: dict[str, str] = {}
    receipt_links = reads.upstream(sorted(receipts))
    for step in UPSTREAM_STEPS:  # the order of preference: line level first
        target = doc_of if step in DOCUMENT_STEPS else customs_of
        for link in receipt_links:
            if link.step == step:
                target.setdefault(link.left_key, link.right_key)
    upstream_of = {link.right_key: link for link in os_links}

    for link in sl_links:
        lot_id = (_parts(link.right_key, 3) or ["", "", link.right_key])[2]
        shipment = shipments.get(link.left_key)
        if shipment is not None:
            add("lot", shipment.wms_created_at or shipment.shipped_at, "matching", lot_id,
                f"{link.qty} unit(s) from lot {lot_id} ({link.method})")
        chain = {"order_line_ref": None, "lot_id": lot_id, "qty": link.qty, "method": link.method,
                 "confidence": link.confidence, "warehouse_code": None, "asn_no": None, "container_no": None,
                 "transport_document_no": None, "customs_declaration_no": None, "shipment_line_key": link.left_key}
        upstream = upstream_of.get(link.left_key)
        if upstream is not None and upstream.left_key in ref_of:
            chain["order_line_ref"] = ref_of[upstream.left_key]
            chain["confidence"] = min(chain["confidence"], upstream.confidence)
        out.links.append(chain)
        receipt = receipt_of.get(link.right_key)
        parts = _parts(receipt, 4)
        if not parts:
            continue
        chain["warehouse_code"], chain["asn_no"] = parts[1], parts[2]
        header = reads.receipt(parts[0], parts[1], parts[2], _line_no(parts[3]))
        if header is not None:
            chain["container_no"] = header.container_no
            nothing_yet = header.received_good_qty is not None and \
                header.received_good_qty + header.received_damaged_qty == 0
            if header.received_at is not None and not (nothing_yet and (header.status or "") in RECEIPT_IN_PROGRESS):
                add("received", header.received_at, "warehouse", f"ASN {header.asn_no}", f"lot {lot_id} received")
        doc_parts, doc = _document_parts(doc_of.get(receipt)), None
        if doc_parts:
            doc = reads.document(doc_parts[0], doc_parts[1], _line_no(doc_parts[2]))
        if doc is not None:
            container = doc.container_no or chain["container_no"]
            chain["transport_document_no"], chain["container_no"] = doc.doc_number, container
            add("on_board", doc.shipped_on_board_date, "forwarder", f"{doc.doc_type} {doc.doc_number}",
                f"lot {lot_id} on board" + (f", container {container}" if container else ""))
        customs_parts, entry = _document_parts(customs_of.get(receipt)), None
        if customs_parts:
            entry = reads.customs(customs_parts[0], customs_parts[1])
        if entry is not None:
            chain["customs_declaration_no"] = entry.declaration_no
            add("arrived", entry.arrival_date or (doc.eta if doc is not None else None), "customs",
                f"declaration {entry.declaration_no}", f"lot {lot_id} arrived")
            add("customs_released", entry.released_at, "customs", f"declaration {entry.declaration_no}",
                f"lot {lot_id} released")
        elif doc is not None:
            add("arrived", doc.eta, "forwarder", f"document {doc.doc_number}", f"lot {lot_id} ETA")

    for s in reads.settlements(order.platform, order.shop_id, order.order_id):
        add("settled", s.occurred_at, "marketplace", f"settlement {s.kind}", f"{format(s.amount, 'f')} {s.currency}")

    returns = reads.returns(order.platform, order.shop_id, order.order_id)
    units: dict[int, int] = {}
    scrapped: dict[int, int] = {}  # units of a return of goods its disposition (the line's, else the case's) scraps
    disposition_of = {r.id: r.disposition for r in returns}
    for pk, quantity, disposition in reads.return_units([r.id for r in returns]):
        units[pk] = units.get(pk, 0) + quantity
        if (disposition or disposition_of[pk]) == "SCRAP":
            scrapped[pk] = scrapped.get(pk, 0) + quantity
    for r in returns:
        record, what = f"{r.kind.lower()} {r.return_id}", "cancellation" if r.kind == "CANCELLATION" else "return"
        add(f"{what}_requested", r.requested_at, "marketplace", record, f"{units.get(r.id, 0)} unit(s)")
        money = f", {format(r.refund_amount, 'f')} {r.currency} refund" if r.refund_amount is not None else ""
        goods = f", goods {r.disposition.lower()}" if r.disposition else ""
        if r.status != "REQUESTED":
            add(f"{what}_{r.status.lower()}", r.source_updated_at, "marketplace", record,
                f"{r.raw_status}{money}{goods}")
        if r.kind == "RETURN" and r.status in ("RECEIVED", "REFUNDED") and scrapped.get(r.id):
            add("written_off", r.source_updated_at, "marketplace", record,
                f"{scrapped[r.id]} returned unit(s) disposed of: written off, the owner's title ends")

    unique = {(s["step"], s["at"], s["record"], s["detail"]): s for s in steps}
    out.timeline = sorted(unique.values(), key=lambda s: (s["at"], _RANK.get(s["step"], 99), s["record"], s["detail"]))
    return out
