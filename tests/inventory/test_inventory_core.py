"""Inventory mode: movements derived from warehouse facts, the reference core's ledger, mode switching."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.config import Settings
from aggregator.inventory.feed import feed_inventory
from aggregator.inventory.loader import core_for
from aggregator.inventory.movements import ReceiptLineFact, ShipmentLineFact, receipt_movements, shipment_movements
from aggregator.inventory.port import InventoryModeError, MovementKind, NullCore
from aggregator.inventory.reference import ReferenceCore
from aggregator.store.db import session_scope
from aggregator.store.models.warehouse import (
    WarehouseReceiptLineRow, WarehouseReceiptRow, WarehouseShipmentLineRow, WarehouseShipmentRow,
)

T = datetime(2026, 3, 13, 10, tzinfo=timezone.utc)


def shipment(n: int, status: str | None, qty: int = 1) -> ShipmentLineFact:
    return ShipmentLineFact("O", "WH", f"OC{n}", 1, "SKU", qty, status, T, T + timedelta(hours=1)
                            if status in ("SHIPPED", "DELIVERED", "RETURNED") else None,
                            T + timedelta(days=3) if status == "RETURNED" else None)


@given(received=st.lists(st.integers(0, 500), max_size=5),
       outbound=st.lists(st.tuples(st.sampled_from(["CREATED", "PICKED", "SHIPPED", "DELIVERED", "RETURNED",
                                                    "CANCELLED"]), st.integers(1, 20)), max_size=12))
def test_on_hand_is_received_minus_dispatched_plus_returned(received, outbound) -> None:
    moves = []
    for i, qty in enumerate(received):
        moves += receipt_movements(ReceiptLineFact("O", "WH", "ASN", i, "SKU", qty, T))
    for i, (status, qty) in enumerate(outbound):
        moves += shipment_movements(shipment(i, status, qty))
    on_hand = sum(m.quantity * {"RECEIPT": 1, "RETURN": 1, "DISPATCH": -1}.get(m.kind.value, 0) for m in moves)
    expected = sum(received) - sum(q for s, q in outbound if s in ("SHIPPED", "DELIVERED"))
    assert on_hand == expected
    assert sum(m.quantity for m in moves if m.kind is MovementKind.ALLOCATION) == sum(
        q for s, q in outbound if s in ("CREATED", "PICKED"))
    assert len({m.movement_id for m in moves}) == len(moves)


def test_inventory_less_mode_refuses_availability(engine) -> None:
    core = core_for(Settings(inventory_mode="inventory-less"), engine)
    assert isinstance(core, NullCore)
    with pytest.raises(InventoryModeError):
        core.availability("O", "WH", "SKU")
    with pytest.raises(LookupError, match="no inventory core named 'acme'"):
        core_for(Settings(inventory_mode="core", inventory_core="acme"), engine)


def seed_warehouse(engine) -> None:
    with session_scope(engine) as s:
        receipt = WarehouseReceiptRow(owner_id="O", warehouse_code="WH", asn_no="ASN1", received_at=T,
                                      content_hash="h")
        s.add(receipt)
        s.flush()
        s.add(WarehouseReceiptLineRow(receipt_pk=receipt.id, line_no=1, sku="SKU", planned_qty=100,
                                      received_good_qty=98, received_damaged_qty=2))
        for n, status in enumerate(["SHIPPED", "RETURNED", "CREATED", "CANCELLED"]):
            head = WarehouseShipmentRow(owner_id="O", warehouse_code="WH", wms_outbound_no=f"OC{n}", status=status,
                                        wms_created_at=T + timedelta(hours=n), content_hash="h",
                                        shipped_at=T + timedelta(days=1) if status in ("SHIPPED", "RETURNED") else None,
                                        returned_at=T + timedelta(days=4) if status == "RETURNED" else None)
            s.add(head)
            s.flush()
            s.add(WarehouseShipmentLineRow(shipment_pk=head.id, line_no=1, sku="SKU", quantity=3))


def test_reference_core_is_fed_idempotently_and_answers_at_an_instant(engine) -> None:
    seed_warehouse(engine)
    core = core_for(Settings(inventory_mode="core", inventory_core="reference"), engine)
    assert isinstance(core, ReferenceCore)
    first = feed_inventory(engine, core)
    assert first.recorded.created == first.movements == 5  # receipt, 2 dispatch, 1 return, 1 allocation
    again = feed_inventory(engine, core)
    assert (again.recorded.created, again.recorded.updated, again.recorded.unchanged) == (0, 0, 5)
    now = core.availability("O", "WH", "SKU")
    assert (now.on_hand, now.allocated, now.available) == (98 - 6 + 3, 3, 92)
    before_return = core.availability("O", "WH", "SKU", at=T + timedelta(days=2))
    assert before_return.on_hand == 98 - 6
    assert core.availability("OTHER", "WH", "SKU").on_hand == 0  # never across owners

    with session_scope(engine) as s:  # the open outbound ships: its allocation is retracted
        head = s.query(WarehouseShipmentRow).filter_by(wms_outbound_no="OC2").one()
        head.status, head.shipped_at = "SHIPPED", T + timedelta(days=2)
    third = feed_inventory(engine, core)
    assert third.retracted == 1
    final = core.availability("O", "WH", "SKU")
    assert (final.on_hand, final.allocated) == (98 - 9 + 3, 0)
