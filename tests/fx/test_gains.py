"""Recognition, realized difference at payout, month-end revaluation and its reversal."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest

from fx.convert import ConversionPolicy, Converter, RateBook, StaleRate
from fx.gains import FxAccounts, OpenItem, period_average, period_bounds, recognise, recognise_at_rate, revalue, settle
from fx.journal import Journal, JournalLine, UnbalancedJournal
from fx.locks import create_forward, utilise
from fx.money import Money
from fx.rates import InvalidRate, Rate
from tests.fx.helpers import fixture_bytes


def sample_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(fixture_bytes("settlement_export.sample.csv").decode())))


def test_reference_journals_recognition_and_realized_loss() -> None:
    rows = sample_rows()
    ar_row = rows[0]
    rate = Rate("THB", "CNY", ar_row["rate_book_per_orig"], date(2026, 11, 2), ar_row["rate_source"],
                reference=ar_row["rate_ref"])
    item = recognise_at_rate("1118594800859773", Money.of(ar_row["orig_amount"], "THB"), rate,
                             account=ar_row["account_code"])
    assert item.carrying == Money.of(ar_row["book_amount"], "CNY")  # 2604.24

    lock = create_forward("LOCK-7f3c2a91", counterparty="PROVIDER", sell_currency="THB", buy_currency="CNY",
                          rate="0.2101", notional=Money.of("50000", "THB"),
                          valid_from=datetime(2026, 11, 1, tzinfo=timezone.utc),
                          valid_to=datetime(2026, 11, 30, tzinfo=timezone.utc))
    used = utilise(lock, item.original, "LOCK-7f3c2a91:UTIL:1", datetime(2026, 11, 6, tzinfo=timezone.utc))
    result = settle(item, item.original, used.utilisation.counter, on=date(2026, 11, 6),
                    journal_id="JE-LZTH-20261106-0001", idem_prefix="LOCK-7f3c2a91:UTIL:1",
                    rate_source="PROVIDER_LOCK", rate_ref="LOCK-7f3c2a91", accounts=FxAccounts(cash="1002.PP-CNY"))
    expected = {r["line_type"]: (r["account_code"], Decimal(r["book_amount"]), r["idem_key"])
                for r in rows if r["journal_id"] == "JE-LZTH-20261106-0001"}
    got = {line.line_type: (line.account, line.amount.amount, line.idem_key) for line in result.journal.lines}
    assert got == expected  # cash 2593.83, receivable -2604.24, realized loss 10.41 (debit)
    assert result.realized == Money.of("-10.41", "CNY") and result.remaining is None
    assert result.journal.rounding == ROUND_HALF_UP


def test_partial_settlement_leaves_the_rest_open_and_sums_exactly() -> None:
    item = OpenItem("AR-1", "1122", Money.of("1000.00", "THB"), Money.of("210.94", "CNY"), Decimal("0.21094"),
                    date(2026, 11, 2), "TEST")
    first = settle(item, Money.of("333.33", "THB"), Money.of("70.10", "CNY"), on=date(2026, 11, 6),
                   journal_id="J1", idem_prefix="P1", rate_source="ACTUAL")
    assert first.cleared == Money.of("70.31", "CNY") and first.realized == Money.of("-0.21", "CNY")
    rest = first.remaining
    assert rest.original == Money.of("666.67", "THB") and rest.carrying == Money.of("140.63", "CNY")
    last = settle(rest, rest.original, Money.of("141.00", "CNY"), on=date(2026, 11, 20), journal_id="J2",
                  idem_prefix="P2", rate_source="ACTUAL")
    assert first.cleared + last.cleared == item.carrying  # nothing lost to rounding
    assert last.realized == Money.of("0.37", "CNY")
    fx_line = [line for line in last.journal.lines if line.line_type == "FX_REALIZED"][0]
    assert fx_line.amount == Money.of("-0.37", "CNY")  # a gain is a credit
    with pytest.raises(ValueError):
        settle(rest, Money.of("700", "THB"), Money.of("1", "CNY"), on=date(2026, 11, 20), journal_id="J3",
               idem_prefix="P3", rate_source="ACTUAL")


def test_no_fx_line_when_cash_equals_carrying() -> None:
    item = OpenItem("AR-2", "1122", Money.of("10", "USD"), Money.of("66.60", "CNY"), Decimal("6.66"),
                    date(2026, 11, 2), "TEST")
    result = settle(item, item.original, Money.of("66.600", "CNY"), on=date(2026, 11, 3), journal_id="J",
                    idem_prefix="K", rate_source="ACTUAL")
    assert [line.line_type for line in result.journal.lines] == ["CASH_IN", "RECEIVABLE_CLEAR"]


def test_month_end_revaluation_reference_example_and_reversal() -> None:
    item = OpenItem("AR-3", "1122.LZ-TH", Money.of("8000", "THB"), Money.of("1687.55", "CNY"),
                    Decimal("0.2109"), date(2026, 11, 5), "CFETS_CCPR")
    closing = RateBook([Rate("CNY", "THB", "4.7012", date(2026, 11, 27), "CFETS_CCPR", reference="CCPR-1127")])
    result = revalue([item], Converter(closing), period="2026-11", book_currency="CNY")
    (entry,) = result.items
    assert entry.revalued == Money.of("1701.69", "CNY") and entry.unrealized == Money.of("14.14", "CNY")
    assert entry.closing.rate_date == date(2026, 11, 27)  # month end fell on a weekend: last published
    assert result.journal.on == date(2026, 11, 30)
    assert [line.amount.amount for line in result.journal.lines] == [Decimal("14.14"), Decimal("-14.14")]
    assert result.reversal.on == date(2026, 12, 1)
    assert [line.amount.amount for line in result.reversal.lines] == [Decimal("-14.14"), Decimal("14.14")]
    assert {line.idem_key for line in result.reversal.lines} == {"REVAL:2026-11:AR-3:AR:REV",
                                                                   "REVAL:2026-11:AR-3:FX:REV"}
    with pytest.raises(StaleRate):
        revalue([item], Converter(closing, ConversionPolicy(max_age_days=1)), period="2026-11", book_currency="CNY")


def test_revaluation_with_nothing_moving_books_nothing() -> None:
    item = OpenItem("AR-4", "1122", Money.of("100", "USD"), Money.of("666.01", "CNY"), Decimal("6.6601"),
                    date(2026, 11, 5), "T")
    book = RateBook([Rate("USD", "CNY", "6.6601", date(2026, 11, 30), "T")])
    result = revalue([item], Converter(book), period="2026-11", book_currency="CNY")
    assert result.journal is None and result.total == Money.of("0.00", "CNY")


def test_recognition_at_period_average() -> None:
    rates = [Rate("USD", "CNY", v, date(2026, 11, d), "CFETS") for d, v in ((2, "6.60"), (3, "6.70"), (4, "6.65"))]
    average = period_average(rates)
    assert average.value == Decimal("6.65") and average.source == "CFETS-AVG" and average.on == date(2026, 11, 4)
    item = recognise("AR-5", Converter(RateBook([average])).convert(Money.of("10.01", "USD"), "CNY",
                                                                    date(2026, 11, 4)), account="1122")
    assert item.carrying == Money.of("66.57", "CNY") and item.rate_source == "CFETS-AVG"
    with pytest.raises(InvalidRate):
        period_average(rates + [Rate("USD", "CNY", "7", date(2026, 11, 5), "OTHER")])


def test_journals_refuse_to_be_unbalanced_and_record_the_mode() -> None:
    line = JournalLine("1002", Money.of("1.00", "CNY"), "CASH_IN", "k1")
    with pytest.raises(UnbalancedJournal):
        Journal("J", date(2026, 11, 1), "CNY", (line,), ROUND_HALF_EVEN)
    with pytest.raises(UnbalancedJournal):
        Journal("J", date(2026, 11, 1), "CNY", (line, JournalLine("x", Money.of("-1", "CNY"), "X", "k1")),
                ROUND_HALF_UP)
    assert period_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    with pytest.raises(ValueError):
        period_bounds("2026-13")
