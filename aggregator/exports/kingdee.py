"""Kingdee (金蝶) KIS/K3 voucher import ("凭证引入") layout: a dBase III table in GBK
(reference/fx_settlement.md §5.5, marked partially verified [P]: the field names come from two
independent repositories; the field widths, FENTRYID numbering and FDC as "D"/"C" are our reading
and are unverified [U] — check against the target system's own import template).

One record per journal line: date and period, voucher word (凭证字, ``记``), voucher number per
period in export order, entry number, summary, account code, currency (``RMB`` for CNY), the
exchange rate, direction, original amount and the debit/credit in book currency (lines of zero
book amount are left out, as in the Xero and QuickBooks layouts). A line with no
foreign amount (FX difference, rounding) is a book-currency line at rate 1; a revaluation line
moves no foreign amount (原币 0). FEXCHRATE is a fixed-point field: the rate is written with 12
decimals (HALF_UP) — the only place an export rounds a rate, because the field cannot hold more.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from aggregator.exports.dbase import DbfField, dbf_bytes
from aggregator.exports.rows import ExportRow

FIELDS: tuple[DbfField, ...] = (
    DbfField("FDATE", "D", 8), DbfField("FTRANSDATE", "D", 8), DbfField("FPERIOD", "N", 2),
    DbfField("FGROUP", "C", 4), DbfField("FNUM", "N", 5), DbfField("FENTRYID", "N", 4),
    DbfField("FEXP", "C", 80, truncate=True), DbfField("FACCTID", "C", 40), DbfField("FCLSNAME1", "C", 20),
    DbfField("FOBJID1", "C", 40), DbfField("FOBJNAME1", "C", 80, truncate=True), DbfField("FTRANSID", "C", 80),
    DbfField("FCYID", "C", 3), DbfField("FEXCHRATE", "N", 19, 12), DbfField("FDC", "C", 1),
    DbfField("FFCYAMT", "N", 19, 2), DbfField("FQTY", "N", 19, 4), DbfField("FPRICE", "N", 19, 4),
    DbfField("FDEBIT", "N", 19, 2), DbfField("FCREDIT", "N", 19, 2), DbfField("FPREPARE", "C", 20),
    DbfField("FPOSTED", "L", 1), DbfField("FDELETED", "L", 1), DbfField("FSERIALNO", "N", 6),
    DbfField("FMODULE", "C", 2),
)
RATE_DECIMALS = 12
KINGDEE_CURRENCY_CODES = {"CNY": "RMB"}
REVALUATION_LINE_TYPES = frozenset({"RECEIVABLE_REVALUE"})


def currency_code(iso: str) -> str:
    return KINGDEE_CURRENCY_CODES.get(iso, iso)


def kingdee_records(rows: Sequence[ExportRow], *, voucher_word: str = "记",
                    preparer: str = "aggregator") -> list[dict[str, object]]:
    """One record per line; vouchers numbered 1.. per (year, month) in the order of ``rows``."""
    numbers: dict[str, int] = {}
    next_number: dict[tuple[int, int], int] = {}
    entry_in_voucher: dict[str, int] = {}
    records: list[dict[str, object]] = []
    booked = [row for row in rows if row.book_amount != 0]  # a zero line moves nothing in the books
    for serial, row in enumerate(booked, start=1):
        period = (row.journal_date.year, row.journal_date.month)
        if row.journal_id not in numbers:
            next_number[period] = next_number.get(period, 0) + 1
            numbers[row.journal_id] = next_number[period]
        entry = entry_in_voucher.get(row.journal_id, -1) + 1
        entry_in_voucher[row.journal_id] = entry
        book = abs(row.book_amount)
        if row.orig_amount == 0 and row.orig_ccy == row.book_ccy:
            cy, rate, foreign = row.book_ccy, Decimal(1), book  # a book-currency line
        else:
            cy, rate = row.orig_ccy, row.rate_book_per_orig or Decimal(1)
            foreign = Decimal(0) if row.line_type in REVALUATION_LINE_TYPES else abs(row.orig_amount)
        summary = " ".join(part for part in (row.memo, row.source_label, row.order_id) if part)
        records.append({
            "FDATE": row.journal_date, "FTRANSDATE": row.journal_date, "FPERIOD": row.journal_date.month,
            "FGROUP": voucher_word, "FNUM": numbers[row.journal_id], "FENTRYID": entry, "FEXP": summary,
            "FACCTID": row.account_code, "FCLSNAME1": "", "FOBJID1": "", "FOBJNAME1": "",
            "FTRANSID": row.journal_id, "FCYID": currency_code(cy),
            "FEXCHRATE": rate.quantize(Decimal(1).scaleb(-RATE_DECIMALS), ROUND_HALF_UP),
            "FDC": "D" if row.book_amount >= 0 else "C", "FFCYAMT": foreign, "FQTY": Decimal(0),
            "FPRICE": Decimal(0), "FDEBIT": book if row.book_amount > 0 else Decimal(0),
            "FCREDIT": book if row.book_amount < 0 else Decimal(0), "FPREPARE": preparer, "FPOSTED": False,
            "FDELETED": False, "FSERIALNO": serial, "FMODULE": "",
        })
    return records


def kingdee_file(rows: Sequence[ExportRow], *, updated: date, voucher_word: str = "记",
                 preparer: str = "aggregator") -> bytes:
    return dbf_bytes(FIELDS, kingdee_records(rows, voucher_word=voucher_word, preparer=preparer), updated=updated)
