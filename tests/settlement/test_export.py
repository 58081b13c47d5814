"""The settlement export on the month of tests/settlement/test_booking_month.py: one row per order,
book amounts and realized FX spread so that a statement's rows sum to its journals, checked by hand;
re-export is byte-identical; cells a spreadsheet would run are neutralised."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from aggregator.exports import settlement as layout
from aggregator.settlement.booking import book_owner
from aggregator.settlement.service import reconcile_owner
from tests.settlement.test_booking_month import _at, _line, _statement
from tests.settlement import test_booking_month as month


def _setup(session) -> None:
    month._line.session = session
    from aggregator.store.models import OwnerRow

    session.add(OwnerRow(owner_id=month.OWNER, name="Lumina", base_currency="CNY"))
    month._rates(session)
    # S1: two orders and a statement-level fee; 9300 THB; paid 5 Mar (realized gain 97.89 in total)
    _statement(session, "2026-W10", _at(2), "9300.00", [
        ("A", "REVENUE", "6000.00"), ("A", "COMMISSION", "-300.00"), ("=HYPERLINK(1)", "REVENUE", "3700.00"),
        (None, "SERVICE_FEE", "-100.00")], paid=_at(5, 10))
    _statement(session, "2026-W10B", _at(7, 3), "5000.00", [("B", "REVENUE", "5000.00")])
    session.flush()
    reconcile_owner(session, month.OWNER, now=_at(13))
    book_owner(session, month.OWNER, sources=("ECB",), now=_at(13))


def test_rows_by_hand_and_identical_reexport(session) -> None:
    _setup(session)
    rows = layout.load(session, month.OWNER, date(2026, 3, 1), date(2026, 3, 31))
    by_order = {(r.platform, r.order_id or "~" + r.statements[0]): r for r in rows}
    a, h, fee = by_order[("lazada", "A")], by_order[("lazada", "=HYPERLINK(1)")], by_order[("lazada", "~2026-W10")]
    # 9300 THB carried at 1860.00 CNY, by net 5700 : 3700 : -100 -> 1140.00, 740.00, -20.00
    assert (a.book_amount, h.book_amount, fee.book_amount) == (Decimal("1140.00"), Decimal("740.00"), Decimal("-20.00"))
    # realized gain 97.89 the same way: 97.89 x 5700/9300 = 59.997 -> 60.00; x 3700/9300 = 38.945 -> 38.95;
    # x -100/9300 = -1.0526 -> -1.05; they sum to 97.90, so the 0.01 residue goes to A (largest): 59.99
    assert (a.realized, h.realized, fee.realized) == (Decimal("59.99"), Decimal("38.95"), Decimal("-1.05"))
    assert a.by_category == {"REVENUE": Decimal("6000.00"), "COMMISSION": Decimal("-300.00")} and a.settled == Decimal("5700.00")
    assert a.status == "settled_without_order"  # no order synced in this test
    b = by_order[("lazada", "B")]
    assert (b.book_amount, b.realized, b.rates[0][3]) == (Decimal("1000.00"), Decimal("0"), date(2026, 3, 6))
    data = layout.csv_bytes(rows)
    assert data == layout.csv_bytes(layout.load(session, month.OWNER, date(2026, 3, 1), date(2026, 3, 31)))
    parsed = list(csv.reader(io.StringIO(data.decode())))
    assert parsed[0] == list(layout.COLUMNS)
    order_ids = [row[3] for row in parsed[1:]]
    assert "'=HYPERLINK(1)" in order_ids and "=HYPERLINK(1)" not in order_ids
    about = {"owner": month.OWNER}
    first = layout.xlsx_bytes(rows, about, stamp_day=date(2026, 3, 31))
    assert first == layout.xlsx_bytes(rows, about, stamp_day=date(2026, 3, 31))
    assert len({info.date_time for info in zipfile.ZipFile(io.BytesIO(first)).infolist()}) == 1  # one fixed time
    sheet = load_workbook(io.BytesIO(first))["settlement"]
    header = [c.value for c in sheet[1]]
    values = {sheet.cell(row=i, column=4).value: sheet.cell(row=i, column=header.index("book_amount") + 1).value
              for i in range(2, sheet.max_row + 1)}
    assert values["A"] == 1140.0 and values["=HYPERLINK(1)"] == 740.0  # a number; the id a text cell (never a formula)
