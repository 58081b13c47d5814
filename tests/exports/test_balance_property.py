"""Every layout balances per journal after rounding, for random statement amounts and rates; an
unbalanced or unrounded journal is refused with its id."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.exports.balance import UnbalancedJournalError, check_balanced
from aggregator.exports.canonical import canonical_csv
from aggregator.exports.kingdee import kingdee_file
from aggregator.exports.quickbooks import quickbooks_file
from aggregator.exports.rows import ExportRow, LineContext, records_from_journal, sort_rows, to_export_row
from aggregator.exports.xero import xero_files
from fx.gains import recognise_at_rate, settle
from fx.money import Money
from fx.rates import Rate
from fx.recognition import StatementPart, recognition_journal
from tests.exports.readers import read_csv, read_dbf, sums_by

CONTEXT = LineContext("SH-SVC-01", "SHOPEE", "SP-MY-1", "MY", "S-1")


def _rows(cents: list[int], per_unit: Decimal, cash_rate: Decimal, currency: str) -> list[ExportRow]:
    digits = Decimal(1).scaleb(-2 if currency != "VND" else 0)
    parts = [StatementPart("REVENUE" if c >= 0 else "COMMISSION", Money(Decimal(c) * digits, currency),
                           "label", f"T{i}") for i, c in enumerate(cents)]
    net = sum((p.amount for p in parts), Money.zero(currency))
    item = recognise_at_rate("S-1", net, Rate(currency, "CNY", per_unit, date(2026, 11, 2), "T"), account="1122")
    journals = [recognition_journal(item, parts, journal_id="REC-S-1", on=date(2026, 11, 2), idem_prefix="S-1")]
    if net.amount > 0:
        paid = settle(item, net, Money(net.amount * cash_rate, "CNY"), on=date(2026, 11, 6), journal_id="FX-S-1",
                      idem_prefix="L:S-1", rate_source="LOCK", rate_ref="L")
        journals.append(paid.journal)
    return sort_rows([to_export_row(r, CONTEXT) for j in journals for r in records_from_journal(j)])


@settings(deadline=None, max_examples=40)
@given(st.lists(st.integers(min_value=-10**6, max_value=10**8), min_size=1, max_size=8),
       st.decimals(min_value=Decimal("0.00001"), max_value=Decimal(30), places=12),
       st.decimals(min_value=Decimal("0.00001"), max_value=Decimal(30), places=6),
       st.sampled_from(["MYR", "THB", "VND"]))
def test_every_layout_balances_per_journal(cents: list[int], per_unit: Decimal, cash_rate: Decimal,
                                           currency: str) -> None:
    rows = _rows(cents, per_unit, cash_rate, currency)
    journals = {t.journal_id: t for t in check_balanced(rows)}
    assert all(t.debits == t.credits for t in journals.values())

    canonical = sums_by(read_csv(canonical_csv(rows))[1], "journal_id", "book_amount")
    xero = sums_by(read_csv(xero_files(rows)[0])[1], "Narration", "Amount")
    quickbooks = sums_by(read_csv(quickbooks_file(rows))[1], "JournalNo", "Debits", "Credits")
    kingdee = sums_by(read_dbf(kingdee_file(rows, updated=date(2026, 11, 30)))[1], "FTRANSID", "FDEBIT", "FCREDIT")
    expected = {jid: (t.debits, t.credits) for jid, t in journals.items() if t.debits}
    assert {k: v for k, v in canonical.items() if v[0]} == expected
    assert xero == expected and kingdee == expected  # zero lines (and all-zero journals) are left out
    assert quickbooks == expected  # the ids are short enough to be kept as journal numbers


def _row(journal_id: str, line_no: int, amount: str, currency: str = "CNY", rounding: str = "ROUND_HALF_UP"
         ) -> ExportRow:
    return ExportRow(journal_id, line_no, "E", date(2026, 11, 2), currency, "1002", currency, Decimal(0), Decimal(1),
                     "", "", Decimal(amount), "", "", "", "", "", "ADJUSTMENT", "", "", f"{journal_id}:{line_no}",
                     rounding)


def test_refusals_name_the_journal() -> None:
    good = [_row("J-OK", 1, "10.00"), _row("J-OK", 2, "-10.00")]
    assert check_balanced(good)[0].debits == Decimal("10.00")
    cases = {
        "debits 10.00 CNY != credits 9.99 CNY (off by 0.01)": [_row("J-BAD", 1, "10.00"), _row("J-BAD", 2, "-9.99")],
        "is not rounded to 2 decimals at booking": [_row("J-BAD", 1, "10.005"), _row("J-BAD", 2, "-10.005")],
        "several book currencies": [_row("J-BAD", 1, "10.00"), _row("J-BAD", 2, "-10.00", "USD")],
        "different modes": [_row("J-BAD", 1, "1.00"), _row("J-BAD", 2, "-1.00", rounding="ROUND_HALF_EVEN")],
        "is not rounded to 0 decimals": [_row("J-BAD", 1, "1.50", "VND"), _row("J-BAD", 2, "-1.50", "VND")],
    }
    for reason, rows in cases.items():
        with pytest.raises(UnbalancedJournalError, match=re.escape(reason)) as caught:
            check_balanced(good + rows)
        assert caught.value.journal_id == "J-BAD" and "nothing was written" in str(caught.value)
    moved = [replace(_row("J-BAD", 2, "-10.00"), journal_date=date(2026, 11, 3)), _row("J-BAD", 1, "10.00")]
    with pytest.raises(UnbalancedJournalError, match="different dates"):
        check_balanced(moved)
