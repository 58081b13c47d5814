"""Pure derivation of stock movements from warehouse receipt and shipment facts.

* a receipt line's good quantity → RECEIPT (id per receipt line: later confirmations replace it);
* an outbound line not yet shipped → ALLOCATION; shipped/delivered/returned → DISPATCH;
* a returned outbound → RETURN of the same quantity; cancelled outbounds release their allocation.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aggregator.inventory.port import MovementKind, StockMovement

DISPATCHED = {"SHIPPED", "DELIVERED", "RETURNED"}
OPEN = {"CREATED", "PICKED", "EXCEPTION", None}


@dataclass(frozen=True, slots=True)
class ReceiptLineFact:
    owner_id: str
    warehouse_code: str
    asn_no: str
    line_no: int
    sku: str
    good_qty: int
    received_at: datetime | None
    lot_id: str | None = None


@dataclass(frozen=True, slots=True)
class ShipmentLineFact:
    owner_id: str
    warehouse_code: str
    wms_outbound_no: str
    line_no: int
    sku: str
    quantity: int
    status: str | None
    created_at: datetime | None
    shipped_at: datetime | None
    returned_at: datetime | None
    lot_id: str | None = None


def receipt_movements(fact: ReceiptLineFact) -> list[StockMovement]:
    if fact.received_at is None or fact.good_qty <= 0:
        return []
    return [StockMovement(
        movement_id=f"RCPT:{fact.owner_id}:{fact.warehouse_code}:{fact.asn_no}:{fact.line_no}",
        owner_id=fact.owner_id, warehouse_code=fact.warehouse_code, sku=fact.sku, kind=MovementKind.RECEIPT,
        quantity=fact.good_qty, occurred_at=fact.received_at, lot_id=fact.lot_id, reference=fact.asn_no)]


def shipment_movements(fact: ShipmentLineFact) -> list[StockMovement]:
    base = f"{fact.owner_id}:{fact.warehouse_code}:{fact.wms_outbound_no}:{fact.line_no}"
    common = dict(owner_id=fact.owner_id, warehouse_code=fact.warehouse_code, sku=fact.sku,
                  lot_id=fact.lot_id, reference=fact.wms_outbound_no)
    status = (fact.status or "").upper() or None
    moves: list[StockMovement] = []
    if status in OPEN and fact.created_at is not None:
        moves.append(StockMovement(movement_id=f"ALLOC:{base}", kind=MovementKind.ALLOCATION,
                                   quantity=fact.quantity, occurred_at=fact.created_at, **common))
    when = fact.shipped_at or fact.created_at
    if status in DISPATCHED and when is not None:
        moves.append(StockMovement(movement_id=f"DISP:{base}", kind=MovementKind.DISPATCH,
                                   quantity=fact.quantity, occurred_at=when, **common))
        if status == "RETURNED":
            moves.append(StockMovement(movement_id=f"RTN:{base}", kind=MovementKind.RETURN, quantity=fact.quantity,
                                       occurred_at=fact.returned_at or when, **common))
    return moves


def superseded_ids(fact: ShipmentLineFact) -> list[str]:
    """Movement ids that no longer hold once the outbound moved on (an allocation that shipped or
    was cancelled)."""
    status = (fact.status or "").upper() or None
    if status in OPEN:
        return []
    return [f"ALLOC:{fact.owner_id}:{fact.warehouse_code}:{fact.wms_outbound_no}:{fact.line_no}"]
