"""Expiry: the batch / expiry columns of the inbound and stock layouts are parsed and validated, and lots
sold first-expiry-first-out show which units will expire before they sell."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.analytics.expiry import expiry_risk
from aggregator.analytics.expiry_report import expiry
from aggregator.ingest.runner import import_file
from aggregator.store.db import session_scope
from aggregator.store.models.logistics import ImportRejectRow
from aggregator.store.models.warehouse import StockSnapshotRow, WarehouseReceiptLineRow
from aggregator.tenancy import add_owner

AS_OF = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _lot(lot_id: str, days: int | None, units: int, sku: str = "A", cost: str | None = "2.00") -> dict:
    return {"warehouse_code": "W", "sku": sku, "lot_id": lot_id, "batch_no": f"B-{lot_id}",
            "expiry_date": None if days is None else AS_OF.date() + timedelta(days=days), "on_hand": units,
            "unit_cost": Decimal(cost) if cost else None, "currency": "MYR"}


def test_value_at_risk_in_a_currency_iso_does_not_list_is_kept_exact() -> None:
    """A stock file may name a well-formed code ISO 4217 does not list (a lot's cost in 'XYZ'): its value at
    risk is the exact product, not a failed report (rounding to minor units raised UnknownCurrency)."""
    lots = pd.DataFrame([{**_lot("L1", 5, 3, cost="1.005"), "currency": "XYZ"}, {**_lot("L2", 5, 3, cost="1.005")},
                         {**_lot("L3", 5, 3, cost="1.005"), "currency": "KWD"}])
    table = expiry_risk(lots, {}, AS_OF).set_index("lot_id")
    assert table.loc["L1", "value_at_risk"] == Decimal("3.015") and table.loc["L1", "currency"] == "XYZ"
    assert table.loc["L2", "value_at_risk"] == Decimal("3.02")  # MYR: two minor units
    assert table.loc["L3", "value_at_risk"] == Decimal("3.015")  # KWD: three


def test_first_expiry_first_out_on_a_hand_built_case() -> None:
    lots = pd.DataFrame([_lot("L2", 40, 50), _lot("L1", 10, 30), _lot("L3", None, 7), _lot("OLD", -1, 4),
                         _lot("IDLE", 90, 12, sku="B")])
    table = expiry_risk(lots, {("W", "A"): 2.0}, AS_OF).set_index("lot_id")
    # L1 sells 2 a day for its 10 days: 20 sold, 10 expire unsold; L2 starts on day 10 and sells out by day 35
    assert table.loc["L1", "sold_before_expiry"] == 20 and table.loc["L1", "at_risk"] == 10
    assert table.loc["L1", "status"] == "AT_RISK" and table.loc["L1", "value_at_risk"] == Decimal("20.00")
    assert table.loc["L2", "at_risk"] == 0 and table.loc["L2", "status"] == "OK"
    assert table.loc["L2", "days_of_cover"] == 10 + 50 / 2
    assert table.loc["OLD", "status"] == "EXPIRED" and table.loc["OLD", "at_risk"] == 4
    assert table.loc["IDLE", "status"] == "AT_RISK" and table.loc["IDLE", "at_risk"] == 12  # no demand at all
    assert table.loc["L3", "status"] == "NO_DATE" and pd.isna(table.loc["L3", "at_risk"])
    assert list(table["status"])[:1] == ["EXPIRED"]  # most urgent first


STOCK = """snapshot_at,lot_id,sku,warehouse_code,received_at,qty_available,unit_landed_cost_myr,batch_no,expiry_date
2026-06-01T08:00:00+00:00,LOT-1,SKU-A,WH1,2026-04-01T00:00:00+00:00,40,3.00,BATCH-1,2026-06-20
2026-06-01T08:00:00+00:00,LOT-2,SKU-A,WH1,2026-04-01T00:00:00+00:00,10,3.00,,
2026-06-01T08:00:00+00:00,LOT-3,SKU-B,WH1,2026-04-01T00:00:00+00:00,5,1.00,BATCH-3,2026-05-30
2026-06-01T08:00:00+00:00,LOT-4,SKU-B,WH1,2026-04-01T00:00:00+00:00,5,1.00,BATCH-4,30/13/2026
"""
INBOUND = """asn_no,warehouse_code,sku,planned_qty,received_good_qty,received_at,line_no,lot_id,batch_no,expiry_date
ASN-1,WH1,SKU-A,10,10,2026-04-01T00:00:00+00:00,1,LOT-2,BATCH-2,2026-09-30
ASN-1,WH1,SKU-B,5,5,2026-04-01T00:00:00+00:00,2,LOT-3,BATCH-3,2026-03-01
"""


def test_expiry_columns_are_imported_validated_and_reported(sqlite_engine, tmp_path: Path) -> None:
    with session_scope(sqlite_engine) as session:
        add_owner(session, "BRAND", "Brand")
    (tmp_path / "stock.csv").write_text(STOCK, encoding="utf-8")
    (tmp_path / "inbound.csv").write_text(INBOUND, encoding="utf-8")
    inbound = import_file(sqlite_engine, "inbound", tmp_path / "inbound.csv", owner_id="BRAND")
    stock = import_file(sqlite_engine, "stock", tmp_path / "stock.csv", owner_id="BRAND")
    assert inbound.rows_rejected == 0 and inbound.problem_counts["expired_on_receipt"] == 1
    assert stock.rows_rejected == 1 and stock.problem_counts["bad_date"] == 1  # 30/13/2026 is no date
    assert stock.problem_counts["expired_in_stock"] == 1
    with Session(sqlite_engine) as session:
        stored = {r.lot_id: (r.batch_no, r.expiry_date) for r in session.scalars(select(StockSnapshotRow))}
        assert stored == {"LOT-1": ("BATCH-1", date(2026, 6, 20)), "LOT-2": (None, None),
                          "LOT-3": ("BATCH-3", date(2026, 5, 30))}
        assert {r.lot_id: r.expiry_date for r in session.scalars(select(WarehouseReceiptLineRow))}["LOT-2"] == \
            date(2026, 9, 30)
        reject = session.scalars(select(ImportRejectRow).where(ImportRejectRow.code == "bad_date")).one()
        assert reject.column == "expiry_date" and reject.value == "30/13/2026"
        report = expiry(session, "BRAND", now=AS_OF)
    lots = report.tables["lots"].set_index("lot_id")
    assert lots.loc["LOT-2", "expiry_date"] == "2026-09-30" and lots.loc["LOT-2", "batch_no"] == "BATCH-2"
    assert lots.loc["LOT-3", "status"] == "EXPIRED"
    assert lots.loc["LOT-1", "status"] == "AT_RISK" and lots.loc["LOT-1", "at_risk"] == 40  # nothing sells
    assert lots.loc["LOT-1", "value_at_risk"] == Decimal("120.00")
    assert "will expire before they sell" in report.notes[0]
