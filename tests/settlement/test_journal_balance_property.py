"""Every journal the booking produces balances to the minor unit of the book currency, whatever the
statement's lines, currency (VND and IDR included) and rates: recognition at a rate, settlement at
another (realized difference), revaluation at a third (unrealized, with its reversal)."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fx.convert import Converter, RateBook
from fx.gains import recognise_at_rate, revalue, settle
from fx.money import Money
from fx.rates import Rate
from fx.recognition import StatementPart, net_of, recognition_journal

CURRENCIES = {"THB": 2, "IDR": 2, "VND": 0, "MYR": 2, "PHP": 2}
rates = st.decimals(min_value=Decimal("0.00001"), max_value=Decimal("50"), places=7, allow_nan=False,
                    allow_infinity=False).filter(lambda d: d > 0)


def _fits(journal) -> bool:
    return all(line.amount.fits() for line in journal.lines)


@settings(max_examples=150, deadline=None)
@given(currency=st.sampled_from(sorted(CURRENCIES)), book=st.sampled_from(["CNY", "USD"]),
       cents=st.lists(st.integers(-500_000, 5_000_000), min_size=1, max_size=12), rate1=rates, rate2=rates,
       rate3=rates)
def test_recognition_settlement_and_revaluation_journals_balance(currency, book, cents, rate1, rate2, rate3):
    digits = CURRENCIES[currency]
    parts = [StatementPart("REVENUE" if c >= 0 else "COMMISSION", Money(Decimal(c).scaleb(-digits), currency),
                           "label", str(i)) for i, c in enumerate(cents)]
    net = net_of(parts)
    if net.amount <= 0:
        return
    day = date(2026, 3, 2)
    item = recognise_at_rate("lazada:1:S", net, Rate(currency, book, rate1, day, "TEST"), account="1122", on=day)
    recognition = recognition_journal(item, parts, journal_id="REC-S", on=day, idem_prefix="S")
    assert _fits(recognition) and sum((l.amount.amount for l in recognition.lines), Decimal(0)) == 0
    cash = Money(net.amount * rate2, book)
    settlement = settle(item, net, cash, on=date(2026, 3, 5), journal_id="FX-S", idem_prefix="P", rate_source="TEST")
    assert _fits(settlement.journal)
    assert settlement.realized == cash.round(ROUND_HALF_UP) - item.carrying
    converter = Converter(RateBook([Rate(currency, book, rate3, date(2026, 3, 31), "TEST")]))
    revaluation = revalue([item], converter, period="2026-03", book_currency=book)
    if revaluation.journal is not None:
        assert _fits(revaluation.journal) and _fits(revaluation.reversal)
