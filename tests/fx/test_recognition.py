"""Recognition journal of a statement: the reference sample figures, balance, explicit rounding line."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fx.gains import recognise_at_rate
from fx.money import CurrencyMismatch, Money
from fx.rates import Rate
from fx.recognition import RecognitionAccounts, StatementPart, net_of, recognition_journal
from tests.fx.helpers import fixture_bytes


def test_reference_recognition_journal() -> None:
    rows = [r for r in csv.DictReader(io.StringIO(fixture_bytes("settlement_export.sample.csv").decode()))
            if r["journal_id"] == "JE-LZTH-20261102-0001"]
    parts = [StatementPart("COMMISSION", Money.of("-978.30", "THB"), "Commission", "COMMISSION"),
             StatementPart("PAYMENT_FEE", Money.of("-666.03", "THB"), "Payment Fee", "PAYMENT_FEE"),
             StatementPart("REVENUE", Money.of("13990.00", "THB"), "Item Price Credit", "REVENUE")]
    assert net_of(parts) == Money.of("12345.67", "THB")
    rate = Rate("THB", "CNY", "0.210943762393", date(2026, 11, 2), "CFETS_CCPR", reference="CCPR-2026-11-02-CNYTHB")
    item = recognise_at_rate("1118594800859773", net_of(parts), rate, account="1122.LZ-TH")
    accounts = RecognitionAccounts(by_kind={"COMMISSION": "6601.01", "PAYMENT_FEE": "6601.02", "REVENUE": "6001"})
    journal = recognition_journal(item, parts, journal_id="JE-LZTH-20261102-0001", on=date(2026, 11, 2),
                                  idem_prefix="LAZADA:LZ-TH-0001:1118594800859773", accounts=accounts)
    got = {(line.line_type, line.account, line.amount.amount, line.idem_key) for line in journal.lines}
    expected = {(r["line_type"], r["account_code"], Decimal(r["book_amount"]), r["idem_key"]) for r in rows}
    assert got == expected
    assert all(line.rate == Decimal("0.210943762393") for line in journal.lines)


def test_mixed_or_mismatched_statements_are_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        net_of([StatementPart("A", Money.of("1", "THB"), "", "1"), StatementPart("B", Money.of("1", "USD"), "", "2")])
    with pytest.raises(ValueError):
        net_of([])


@settings(deadline=None)
@given(st.lists(st.integers(min_value=-10**7, max_value=10**8), min_size=1, max_size=12),
       st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("30"), places=10))
def test_recognition_journal_always_balances(cents: list[int], per_thb: Decimal) -> None:
    parts = [StatementPart("REVENUE" if c >= 0 else "COMMISSION", Money(Decimal(c).scaleb(-2), "THB"), "", str(i))
             for i, c in enumerate(cents)]
    net = net_of(parts)
    rate = Rate("THB", "CNY", per_thb, date(2026, 11, 2), "T")
    item = recognise_at_rate("S-1", net, rate, account="1122")
    journal = recognition_journal(item, parts, journal_id="J", on=date(2026, 11, 2), idem_prefix="S-1")
    assert sum(line.amount.amount for line in journal.lines) == 0  # Journal would refuse otherwise
    rounding_lines = [line for line in journal.lines if line.line_type == "ROUNDING"]
    assert len(rounding_lines) <= 1
    if rounding_lines:
        assert abs(rounding_lines[0].amount.amount) <= Decimal("0.01") * len(parts)
