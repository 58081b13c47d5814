"""The small pieces: amount and rate text, finding a line's receivable, the dBase writer's refusals,
Xero file splitting, QuickBooks journal numbers."""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.exports.canonical import canonical_xlsx
from aggregator.exports.dbase import DbfField, DbfValueError, dbf_bytes
from aggregator.exports.quickbooks import QuickBooksLayoutError, journal_no, quickbooks_file
from aggregator.exports.rows import STATEMENT_LINE_MEMOS, ExportRow, format_amount, format_rate
from aggregator.exports.xero import XeroLayoutError, split_journals, xero_files
from aggregator.fx_service.journal_keys import find_item
from fx.recognition import DEFAULT_CHART
from tests.exports.readers import read_csv, read_dbf


def test_amount_and_rate_text() -> None:
    assert format_amount(Decimal(-13990), "THB") == "-13990.00"
    assert format_amount(Decimal("-0.00"), "CNY") == "0.00"
    assert format_amount(Decimal(125000), "VND") == "125000"
    assert format_amount(Decimal("0.125"), "CNY") == "0.125"  # more digits are shown, never rounded away
    assert format_rate(Decimal("0.2109437623930000")) == "0.210943762393"
    assert format_rate(Decimal("1.000")) == "1" and format_rate(Decimal("2E+2")) == "200" and format_rate(None) == ""


@settings(deadline=None)
@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=4),
       st.sampled_from(["CNY", "VND", "IDR", "USD", "KWD"]))
def test_amount_text_is_exact(value: Decimal, currency: str) -> None:
    text = format_amount(value, currency)
    assert Decimal(text) == value and "E" not in text
    assert not (value == 0 and text.startswith("-"))
    digits = {"CNY": 2, "VND": 0, "IDR": 2, "USD": 2, "KWD": 3}[currency]
    if value == value.quantize(Decimal(1).scaleb(-digits)):  # at the currency's decimals: exactly that many
        assert len(text.partition(".")[2]) == digits


def test_find_item_takes_the_longest_known_receivable() -> None:
    items = {"lazada:LZ-TH-0001:STMT-1", "STMT-1", "lazada:LZ-TH-0001:STMT-10"}
    assert find_item(["FWD-TH:lazada:LZ-TH-0001:STMT-1:CASH"], items) == "lazada:LZ-TH-0001:STMT-1"
    assert find_item(["REVAL:2026-12:lazada:LZ-TH-0001:STMT-10:AR:REV"], items) == "lazada:LZ-TH-0001:STMT-10"
    assert find_item(["REC-lazada:LZ-TH-0001:STMT-1"], {"lazada:LZ-TH-0001:STMT-1"}) is None  # not a run
    assert find_item(["MANUAL-1:1"], items) is None


def test_dbase_writer_round_trip_and_refusals() -> None:
    fields = (DbfField("NAME", "C", 6), DbfField("AMT", "N", 8, 2), DbfField("DAY", "D", 8),
              DbfField("OK", "L", 1), DbfField("NOTE", "C", 5, truncate=True))
    data = dbf_bytes(fields, [{"NAME": "记账", "AMT": Decimal("-12.5"), "DAY": date(2026, 12, 31), "OK": True,
                               "NOTE": "汇兑损益调整"}], updated=date(2026, 12, 31))
    assert data[29] == 0x7A  # GBK code page mark
    described, records = read_dbf(data)
    assert described == [("NAME", "C", 6, 0), ("AMT", "N", 8, 2), ("DAY", "D", 8, 0), ("OK", "L", 1, 0),
                         ("NOTE", "C", 5, 0)]
    assert records == [{"NAME": "记账", "AMT": "-12.50", "DAY": "20261231", "OK": "T", "NOTE": "汇兑"}]
    for record, reason in (({"AMT": Decimal("0.125")}, "more than 2 decimals"),
                           ({"AMT": Decimal("123456.78")}, "does not fit"),
                           ({"NAME": "ACCOUNT-1"}, "longer than 6 bytes"),
                           ({"NAME": "ทดสอบ"}, "cannot be written in gbk"),
                           ({"AMT": 1.5}, "take Decimal or int")):
        with pytest.raises(DbfValueError, match=reason):
            dbf_bytes(fields, [record], updated=date(2026, 12, 31))


def _row(journal_id: str, line_no: int, amount: str, currency: str = "CNY") -> ExportRow:
    return ExportRow(journal_id, line_no, "E", date(2026, 11, 2), currency, "1002", currency, Decimal(0), Decimal(1),
                     "", "", Decimal(amount), "", "", "", "", "", "ADJUSTMENT", "", "memo", f"{journal_id}:{line_no}",
                     "ROUND_HALF_UP")


def test_xero_files_split_between_whole_journals() -> None:
    rows = [_row(f"J{j}", n, "1.00" if n == 1 else "-1.00") for j in range(5) for n in (1, 2)]
    assert [[r.journal_id for r in part] for part in split_journals(rows, 5)] == [
        ["J0", "J0", "J1", "J1"], ["J2", "J2", "J3", "J3"], ["J4", "J4"]]
    files = xero_files(rows, limit=4)
    assert len(files) == 3 and all(len(read_csv(f)[1]) <= 4 for f in files)
    with pytest.raises(XeroLayoutError, match="J0 has 2 lines"):
        split_journals(rows, 1)
    with pytest.raises(XeroLayoutError, match="one base currency"):
        xero_files([_row("J0", 1, "1.00"), _row("J0", 2, "-1.00"), _row("U", 1, "1.00", "USD"),
                    _row("U", 2, "-1.00", "USD")])


def test_quickbooks_journal_numbers_and_account_names() -> None:
    assert journal_no("REVAL-2026-12") == "REVAL-2026-12"
    long_id = "FX-FWD-TH:lazada:LZ-TH-0001:STMT-2026W51"
    assert len(journal_no(long_id)) == 21 and journal_no(long_id) == journal_no(long_id)
    assert journal_no(long_id) != journal_no(long_id.replace("W51", "W52"))
    data = quickbooks_file([_row("J1", 1, "5.00"), _row("J1", 2, "-5.00")], account_names={"1002": "Bank:PingPong CNY"})
    assert [(r["AccountName"], r["Debits"], r["Credits"]) for r in read_csv(data)[1]] == [
        ("Bank:PingPong CNY", "5.00", ""), ("Bank:PingPong CNY", "", "5.00")]
    with pytest.raises(QuickBooksLayoutError, match="home currency"):
        quickbooks_file([_row("J1", 1, "5.00"), _row("J2", 1, "5.00", "USD")])


def test_xlsx_text_that_looks_like_a_formula_stays_text() -> None:
    row = replace(_row("J1", 1, "0.00"), source_label="=HYPERLINK(\"http://x\")", order_id="1118594800859773")
    sheet = openpyxl.load_workbook(io.BytesIO(canonical_xlsx([row], {}, stamp_day=date(2026, 11, 30))))["journal_lines"]
    values = {c.value: v for c, v in zip(sheet[1], sheet[2])}
    assert values["source_label"].data_type == "s" and values["source_label"].value.startswith("=HYPERLINK")
    assert values["order_id"].value == "1118594800859773"


def test_every_recognised_kind_has_its_memo() -> None:
    """The books' word for each canonical line kind the recognition chart books (``OTHER`` stays the
    generic "statement line"; its platform label is in ``source_label``)."""
    assert set(DEFAULT_CHART) - {"OTHER"} <= set(STATEMENT_LINE_MEMOS)
