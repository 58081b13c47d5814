"""Feeds the configured inventory core with movements derived from stored warehouse records."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from aggregator.inventory.movements import (
    ReceiptLineFact, ShipmentLineFact, receipt_movements, shipment_movements, superseded_ids,
)
from aggregator.inventory.port import InventoryCore, RecordResult
from aggregator.store.db import session_scope
from aggregator.store.models.warehouse import (
    WarehouseReceiptLineRow, WarehouseReceiptRow, WarehouseShipmentLineRow, WarehouseShipmentRow,
)


@dataclass(frozen=True, slots=True)
class FeedSummary:
    recorded: RecordResult
    retracted: int
    movements: int


def feed_inventory(engine: Engine, core: InventoryCore, owner_id: str | None = None) -> FeedSummary:
    movements, retract = [], []
    with session_scope(engine) as session:
        receipts = select(WarehouseReceiptRow, WarehouseReceiptLineRow).join(
            WarehouseReceiptLineRow, WarehouseReceiptLineRow.receipt_pk == WarehouseReceiptRow.id)
        shipments = select(WarehouseShipmentRow, WarehouseShipmentLineRow).join(
            WarehouseShipmentLineRow, WarehouseShipmentLineRow.shipment_pk == WarehouseShipmentRow.id)
        if owner_id:
            receipts = receipts.where(WarehouseReceiptRow.owner_id == owner_id)
            shipments = shipments.where(WarehouseShipmentRow.owner_id == owner_id)
        for head, line in session.execute(receipts.order_by(WarehouseReceiptRow.id, WarehouseReceiptLineRow.line_no)):
            movements += receipt_movements(ReceiptLineFact(
                head.owner_id, head.warehouse_code, head.asn_no, line.line_no, line.sku,
                line.received_good_qty, head.received_at, line.lot_id))
        for head, line in session.execute(shipments.order_by(WarehouseShipmentRow.id, WarehouseShipmentLineRow.line_no)):
            fact = ShipmentLineFact(head.owner_id, head.warehouse_code, head.wms_outbound_no, line.line_no, line.sku,
                                    line.quantity, head.status, head.wms_created_at, head.shipped_at,
                                    head.returned_at, line.lot_id)
            movements += shipment_movements(fact)
            retract += superseded_ids(fact)
    recorded = core.record(movements)
    return FeedSummary(recorded=recorded, retracted=core.retract(retract), movements=len(movements))
