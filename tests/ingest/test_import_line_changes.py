"""A 3PL's next file changes a line and nothing else — a receipt's received quantity, an outbound's
shipped quantity — or drops a line: the re-import stores the new lines (counted updated, one audit entry
naming what changed: the lines gone and the lines new when the header is the same), on both paths and both databases; a file whose text changed but
whose values did not (another time zone for the same instant, quantities written "5.0") stays unchanged
with no audit entry; the same file again is unchanged.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models import AuditEntry
from aggregator.store.models.warehouse import (
    WarehouseReceiptLineRow,
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)

RECEIPT = "asn_no,wms_receipt_no,warehouse_code,status,received_at,line_no,sku,planned_qty,received_good_qty"
OUTBOUND = ("wms_outbound_no,outbound_type,status,platform,shop_id,marketplace_order_id,order_line_ref,sku,qty,"
            "stock_lot_id,warehouse_code,created_at,shipped_at,weight_g,remark")


def _receipt(received: dict[int, str], at: str = "2026-03-03T16:00:00+08:00") -> list[str]:
    return [f"R1,WR1,WH1,FULFILLED,{at},{ln},SKU-{ln},5,{q}" for ln, q in received.items()] + [
        f"R2,WR2,WH1,FULFILLED,{at},1,SKU-9,4,4"]


def _outbound(qty: dict[int, str]) -> list[str]:
    return [f"OB-1,JYCK,SHIPPED,SHOPEE,S1,O1,1-{ln},SKU-{ln},{q},LOT-1,WH1,2026-03-01T08:00:00+08:00,"
            f"2026-03-01T16:00:00+08:00,10,r" for ln, q in qty.items()] + [
        "OB-2,JYCK,SHIPPED,SHOPEE,S1,O2,2-1,SKU-1,1,LOT-1,WH1,2026-03-01T08:00:00+08:00,2026-03-01T16:00:00+08:00,10,r"]


def _import(engine, kind: str, path: Path, header: str, rows: list[str], bulk: bool):
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    summary = import_file(engine, kind, path, owner_id="LUMINA", bulk=bulk)
    assert summary.rows_rejected == 0, summary.problem_counts
    return summary.created, summary.updated, summary.unchanged


def _updates(engine, entity: str) -> list[dict]:
    with session_factory(engine)() as session:
        found = session.scalars(select(AuditEntry.changes).where(AuditEntry.entity == entity,
                                                                AuditEntry.action == "update")).all()
    return [json.loads(c) if isinstance(c, str) else c for c in found]


@pytest.mark.parametrize("bulk", [True, False])
def test_a_received_quantity_changed_in_the_next_file_is_stored_and_audited(engine, tmp_path: Path,
                                                                          bulk: bool) -> None:
    assert _import(engine, "inbound", tmp_path / "day1.csv", RECEIPT, _receipt({1: "5", 2: "5"}), bulk) == (2, 0, 0)
    day2 = _receipt({1: "5", 2: "3"})
    assert _import(engine, "inbound", tmp_path / "day2.csv", RECEIPT, day2, bulk) == (0, 1, 1)
    with session_factory(engine)() as session:
        lines = session.execute(select(WarehouseReceiptLineRow.line_no, WarehouseReceiptLineRow.received_good_qty)
                                .join(WarehouseReceiptRow, WarehouseReceiptRow.id == WarehouseReceiptLineRow.receipt_pk)
                                .where(WarehouseReceiptRow.asn_no == "R1")
                                .order_by(WarehouseReceiptLineRow.line_no)).all()
    assert [tuple(line) for line in lines] == [(1, 5), (2, 3)]
    [entry] = _updates(engine, WarehouseReceiptRow.__tablename__)
    [(table, (gone, new))] = entry.items()
    assert table == WarehouseReceiptLineRow.__tablename__
    assert [(r["line_no"], r["received_good_qty"]) for r in gone] == [(2, 5)]
    assert [(r["line_no"], r["received_good_qty"]) for r in new] == [(2, 3)]
    day3 = [*day2, "R3,WR3,WH1,FULFILLED,2026-03-04T16:00:00+08:00,1,SKU-8,2,2"]  # the next day: R1, R2 as they were
    assert _import(engine, "inbound", tmp_path / "day3.csv", RECEIPT, day3, bulk) == (1, 0, 2)
    assert len(_updates(engine, WarehouseReceiptRow.__tablename__)) == 1


@pytest.mark.parametrize("bulk", [True, False])
def test_a_line_dropped_from_an_outbound_in_the_next_file_is_removed(engine, tmp_path: Path, bulk: bool) -> None:
    assert _import(engine, "outbound", tmp_path / "a.csv", OUTBOUND, _outbound({1: "1", 2: "2", 3: "1"}),
                   bulk) == (2, 0, 0)
    assert _import(engine, "outbound", tmp_path / "b.csv", OUTBOUND, _outbound({1: "1", 2: "2"}), bulk) == (0, 1, 1)
    with session_factory(engine)() as session:
        refs = session.scalars(select(WarehouseShipmentLineRow.order_line_ref)
                               .join(WarehouseShipmentRow, WarehouseShipmentRow.id == WarehouseShipmentLineRow.shipment_pk)
                               .where(WarehouseShipmentRow.wms_outbound_no == "OB-1")).all()
    assert sorted(refs) == ["1-1", "1-2"]
    assert len(_updates(engine, WarehouseShipmentRow.__tablename__)) == 1


@pytest.mark.parametrize("bulk", [True, False])
def test_the_same_values_written_otherwise_stay_unchanged(engine, tmp_path: Path, bulk: bool) -> None:
    assert _import(engine, "inbound", tmp_path / "day1.csv", RECEIPT, _receipt({1: "5", 2: "5"}), bulk) == (2, 0, 0)
    same = _receipt({1: "5.0", 2: "5"}, at="2026-03-03T08:00:00Z")  # the same instant, the same quantity
    assert _import(engine, "inbound", tmp_path / "day1-utc.csv", RECEIPT, same, bulk) == (0, 0, 2)
    assert _updates(engine, WarehouseReceiptRow.__tablename__) == []
