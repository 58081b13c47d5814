"""Every layout on journals booked through the FX service (recognition, settlement under a lock and
at an actual rate, month-end revaluation), on SQLite and PostgreSQL."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from aggregator.exports.balance import UnbalancedJournalError, check_balanced
from aggregator.exports.canonical import canonical_csv
from aggregator.exports.files import export_journals
from aggregator.exports.rows import COLUMNS
from aggregator.exports.source import load_export_rows
from aggregator.store.models.fx import FxJournalLineRow
from tests.conftest import FIXTURES, SAMPLES
from tests.exports.readers import read_csv, read_dbf, sums_by
from tests.exports.scenario import ORDER_W51, OTHER, OWNER, book_december

DEC = (date(2026, 12, 1), date(2026, 12, 31))


@pytest.fixture
def booked(session):
    return book_december(session)


def _export(session, layout: str, out: Path, first: date = DEC[0], last: date = DEC[1]):
    """Export twice (to ``out`` and beside it): the second run must give the very same bytes."""
    result = export_journals(session, OWNER, layout, first, last, out)
    again = export_journals(session, OWNER, layout, first, last, out.with_name("again-" + out.name))
    assert [p.read_bytes() for p in result.files] == [p.read_bytes() for p in again.files]
    assert result.sha256 == again.sha256 and result.rounding_modes == ("ROUND_HALF_UP",)
    return result


def test_canonical_csv_rows_from_the_fx_service(session, booked) -> None:
    header, rows = read_csv(canonical_csv(load_export_rows(session, OWNER, *DEC)))
    sample_header = (SAMPLES / "settlement_export.sample.csv").read_text().splitlines()[0].split(",")
    assert header == list(COLUMNS) == sample_header
    journals = [r["journal_id"] for r in rows]
    assert list(dict.fromkeys(journals)) == [
        "REC-lazada:LZ-TH-0001:STMT-2026W51", "REC-lazada:LZ-TH-0001:STMT-2026W52",
        "FX-FWD-TH:lazada:LZ-TH-0001:STMT-2026W51", "FX-PP-20261228-01:lazada:LZ-TH-0001:STMT-2026W52",
        "REC-lazada:LZ-TH-0001:STMT-2026W53", "REVAL-2026-12"]  # by date, then id; the 1 Jan reversal is not in
    for totals in sums_by(rows, "journal_id", "book_amount").values():
        assert totals[0] == totals[1] > 0
    by_key = {r["idem_key"]: r for r in rows}
    receivable = by_key["lazada:LZ-TH-0001:STMT-2026W51:AR"]
    assert (receivable["marketplace"], receivable["shop_id"], receivable["site"], receivable["statement_id"],
            receivable["order_id"], receivable["orig_ccy"], receivable["orig_amount"], receivable["line_type"]) == (
        "LAZADA", "LZ-TH-0001", "TH", "STMT-2026W51", ORDER_W51, "THB", "12345.67", "RECEIVABLE")
    assert Decimal(receivable["book_amount"]) == booked["locked"].cleared.amount
    assert len(receivable["rate_book_per_orig"].replace("0.", "", 1)) >= 12  # the rate is never cut short
    assert by_key["lazada:LZ-TH-0001:STMT-2026W52:AR"]["order_id"] == ""  # two orders: none on the receivable
    fee = by_key["lazada:LZ-TH-0001:STMT-2026W52:T7"]
    assert (fee["source_label"], fee["memo"], fee["order_id"], fee["book_amount"]) == (
        "Shipping Fee (Paid By Customer)", "marketplace fee", "1118600000000002", "15.80")
    cash = by_key["FWD-TH:lazada:LZ-TH-0001:STMT-2026W51:CASH"]
    assert (cash["orig_ccy"], cash["orig_amount"], cash["rate_book_per_orig"], cash["rate_ref"], cash["memo"]) == (
        "CNY", cash["book_amount"], "1", "FWD-TH", "THB->CNY at locked client rate")
    realized = by_key["FWD-TH:lazada:LZ-TH-0001:STMT-2026W51:FX"]
    assert Decimal(realized["book_amount"]) == -booked["locked"].realized.amount
    assert (realized["orig_ccy"], realized["orig_amount"], realized["line_type"]) == ("CNY", "0.00", "FX_REALIZED")
    unrealized = by_key["REVAL:2026-12:lazada:LZ-TH-0001:STMT-2026W53:FX"]
    assert Decimal(unrealized["book_amount"]) == -booked["revaluation"].revaluation.total.amount
    assert all(r["entity"] == OWNER for r in rows)
    assert not any("9990001" in r["order_id"] or r["shop_id"] == "LZ-TH-0999" for r in rows)  # the other owner's
    assert load_export_rows(session, OTHER, *DEC)[0].shop_id == "LZ-TH-0999"
    january = load_export_rows(session, OWNER, date(2027, 1, 1), date(2027, 1, 31))
    assert {r.journal_id for r in january} == {"REVAL-2026-12-REV"}
    assert [r.book_amount for r in january] == [
        -line.amount.amount for line in booked["revaluation"].revaluation.journal.lines]


def test_canonical_csv_file(session, booked, tmp_path: Path) -> None:
    result = _export(session, "csv", tmp_path / "journals.csv")
    assert result.files[0].read_bytes() == canonical_csv(load_export_rows(session, OWNER, *DEC))
    # The same bytes on SQLite and PostgreSQL, and as reviewed (a changed layout or journal shows up here).
    assert result.files[0].read_bytes() == (FIXTURES / "exports" / "lumina_2026-12.csv").read_bytes()
    assert len(result.journals) == 6 and result.lines == 19


def test_xlsx_keeps_amounts_exact_and_ids_as_text(session, booked, tmp_path: Path) -> None:
    result = _export(session, "xlsx", tmp_path / "journals.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(result.files[0].read_bytes()))
    sheet = book["journal_lines"]
    header = [c.value for c in sheet[1]]
    assert header == list(COLUMNS)
    csv_rows = read_csv(canonical_csv(load_export_rows(session, OWNER, *DEC)))[1]
    assert sheet.max_row == len(csv_rows) + 1
    for cells, expected in zip(sheet.iter_rows(min_row=2), csv_rows):
        values = dict(zip(header, cells))
        assert values["book_amount"].number_format == "0.00"
        assert Decimal(str(values["book_amount"].value)).quantize(Decimal("0.01")) == Decimal(expected["book_amount"])
        assert values["rate_book_per_orig"].value == expected["rate_book_per_orig"]  # text: every digit kept
        assert values["order_id"].value == (expected["order_id"] or None)
        assert values["journal_date"].value.date().isoformat() == expected["journal_date"]
    about = {row[0].value: row[1].value for row in book["export"].iter_rows(min_row=2)}
    assert (about["owner"], about["rounding"], about["journals"], about["from"]) == (
        OWNER, "ROUND_HALF_UP", "6", "2026-12-01")


def test_xero_layout(session, booked, tmp_path: Path) -> None:
    result = _export(session, "xero", tmp_path / "xero.csv")
    header, rows = read_csv(result.files[0].read_bytes())
    assert header == ["Narration", "Date", "Description", "AccountCode", "TaxRate", "Amount", "TrackingName1",
                      "TrackingOption1", "TrackingName2", "TrackingOption2"]
    assert {r["Date"] for r in rows} >= {"22/12/2026", "31/12/2026"}
    assert all(r["TaxRate"] == "Tax Exempt" and r["TrackingOption1"] == "LAZADA" for r in rows)
    totals = sums_by(rows, "Narration", "Amount")
    assert len(totals) == 6 and all(d == c for d, c in totals.values())
    cash = next(r for r in rows if r["AccountCode"] == "1002" and r["Date"] == "24/12/2026")
    assert cash["Amount"] == str(booked["locked"].journal.lines[0].amount.amount)


def test_quickbooks_layout(session, booked, tmp_path: Path) -> None:
    result = _export(session, "quickbooks", tmp_path / "qbo.csv")
    header, rows = read_csv(result.files[0].read_bytes())
    assert header == ["JournalNo", "JournalDate", "AccountName", "Debits", "Credits", "Description", "Name"]
    assert all(len(r["JournalNo"]) <= 21 for r in rows)
    assert {r["JournalDate"] for r in rows} >= {"12/22/2026", "12/31/2026"}
    assert all(bool(r["Debits"]) != bool(r["Credits"]) for r in rows)
    totals = sums_by(rows, "JournalNo", "Debits", "Credits")
    assert len(totals) == 6 and all(d == c for d, c in totals.values())
    assert any(r["Description"].startswith("REC-lazada:LZ-TH-0001:STMT-2026W51 | ") for r in rows)


def test_kingdee_layout(session, booked, tmp_path: Path) -> None:
    result = _export(session, "kingdee", tmp_path / "kingdee.dbf")
    fields, records = read_dbf(result.files[0].read_bytes())
    assert [f[0] for f in fields] == [
        "FDATE", "FTRANSDATE", "FPERIOD", "FGROUP", "FNUM", "FENTRYID", "FEXP", "FACCTID", "FCLSNAME1", "FOBJID1",
        "FOBJNAME1", "FTRANSID", "FCYID", "FEXCHRATE", "FDC", "FFCYAMT", "FQTY", "FPRICE", "FDEBIT", "FCREDIT",
        "FPREPARE", "FPOSTED", "FDELETED", "FSERIALNO", "FMODULE"]
    assert len(records) == 19 and all(r["FGROUP"] == "记" and r["FPERIOD"] == "12" for r in records)
    totals = sums_by(records, "FNUM", "FDEBIT", "FCREDIT")
    assert sorted(int(n) for n in totals) == [1, 2, 3, 4, 5, 6]
    assert all(d == c for d, c in totals.values())
    receivable = next(r for r in records if r["FACCTID"] == "1122.LAZADA-LZ-TH-0001" and r["FDC"] == "D")
    assert (receivable["FCYID"], receivable["FDATE"], receivable["FENTRYID"]) == ("THB", "20261222", "0")
    assert Decimal(receivable["FFCYAMT"]) == Decimal("12345.67")
    assert (Decimal(receivable["FFCYAMT"]) * Decimal(receivable["FEXCHRATE"])).quantize(Decimal("0.01")) == \
        Decimal(receivable["FDEBIT"])
    cash = next(r for r in records if r["FACCTID"] == "1002" and r["FDATE"] == "20261224")
    assert (cash["FCYID"], Decimal(cash["FEXCHRATE"]), cash["FFCYAMT"]) == ("RMB", Decimal(1), cash["FDEBIT"])
    reval = next(r for r in records if r["FTRANSID"] == "REVAL-2026-12" and r["FACCTID"].startswith("1122"))
    assert Decimal(reval["FFCYAMT"]) == 0  # a revaluation moves no foreign amount


def test_an_unbalanced_journal_is_refused_and_nothing_is_written(session, booked, tmp_path: Path) -> None:
    session.add(FxJournalLineRow(
        owner_id=OWNER, journal_id="MANUAL-1", journal_date=date(2026, 12, 30), line_no=1, account="1002",
        book_currency="CNY", amount=Decimal("10.00"), line_type="ADJUSTMENT", rounding="ROUND_HALF_UP", memo="",
        idem_key="MANUAL-1:1"))
    session.flush()
    with pytest.raises(UnbalancedJournalError, match=r"journal MANUAL-1: debits 10\.00 CNY != credits 0 CNY"):
        _export(session, "csv", tmp_path / "exports" / "out.csv")
    assert not (tmp_path / "exports").exists()  # not even the folder: the check runs before any write
    check_balanced(load_export_rows(session, OWNER, date(2026, 12, 1), date(2026, 12, 29)))  # the rest is fine
