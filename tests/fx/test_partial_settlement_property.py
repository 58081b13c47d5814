"""Settling an item part by part (``fx.gains.settle`` on the remainder, ``after_parts``): each part
realizes FX on its own share against the carrying amount of the balance still open; no cent is lost or
created. Rounding: each part clears ``open carrying × part ÷ open original`` rounded half-up to the book
currency's minor unit; the part paying the last of the item clears exactly what is left (the residue)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fx.gains import OpenItem, after_parts, settle
from fx.money import Money

BOOKS = ("CNY", "JPY", "KWD")  # 2, 0 and 3 minor digits


@st.composite
def split_items(draw):
    currency = draw(st.sampled_from(("VND", "THB", "PHP")))
    book = draw(st.sampled_from(BOOKS))
    minor = Money.zero(currency).digits()
    book_minor = Money.zero(book).digits()
    units = draw(st.integers(min_value=2, max_value=10**9))
    sign = draw(st.sampled_from((1, -1)))
    original = Money(sign * Decimal(units).scaleb(-minor), currency)
    rate = Decimal(draw(st.integers(min_value=1, max_value=10**7))).scaleb(-draw(st.integers(0, 8)))
    item = OpenItem("AR", "1122", original, Money(original.amount * rate, book).round(), rate, date(2026, 10, 1),
                    "TEST")
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=units - 1), max_size=5)))
    bounds = [0, *cuts, units]
    parts = [Money(sign * Decimal(b - a).scaleb(-minor), currency) for a, b in zip(bounds, bounds[1:])]
    rates = [Decimal(draw(st.integers(min_value=1, max_value=10**7))).scaleb(-draw(st.integers(0, 8)))
             for _ in parts]
    paid_in_full = draw(st.booleans())
    if not paid_in_full and len(parts) > 1:
        keep = draw(st.integers(min_value=1, max_value=len(parts) - 1))
        parts, rates = parts[:keep], rates[:keep]
    assert book_minor is not None
    return item, parts, rates


@settings(max_examples=300, deadline=None)
@given(split_items())
def test_parts_clear_the_whole_carrying_amount_and_no_cent_is_lost_or_created(case) -> None:
    item, parts, rates = case
    book = item.carrying.currency
    open_item: OpenItem | None = item
    cleared_total, paid_total, cash_total, realized_total = (Money.zero(book), Money.zero(item.original.currency),
                                                             Money.zero(book), Money.zero(book))
    for number, (part, rate) in enumerate(zip(parts, rates)):
        assert open_item is not None
        result = settle(open_item, part, Money(part.amount * rate, book), on=item.recognised_on + timedelta(number),
                        journal_id=f"J{number}", idem_prefix=f"P{number}", rate_source="TEST")
        for line in result.journal.lines:  # every line on the book currency's minor unit
            assert line.amount.fits()
        cash_line = next(line for line in result.journal.lines if line.line_type == "CASH_IN")
        assert result.realized == cash_line.amount - result.cleared  # realized = cash − carrying cleared
        cleared_total, paid_total = cleared_total + result.cleared, paid_total + part
        cash_total, realized_total = cash_total + cash_line.amount, realized_total + result.realized
        open_item = result.remaining
        # what the stored parts say rebuilds the same remainder
        assert after_parts(item, paid_total, cleared_total) == open_item
    remaining_carrying = open_item.carrying if open_item is not None else Money.zero(book)
    remaining_original = open_item.original if open_item is not None else Money.zero(item.original.currency)
    assert cleared_total + remaining_carrying == item.carrying  # the whole carrying amount, to the cent
    assert paid_total + remaining_original == item.original
    assert cash_total - realized_total == cleared_total
    assert (open_item is None) == (paid_total == item.original)


def test_a_part_then_the_rest_by_hand_and_a_single_part_is_the_whole_settlement() -> None:
    item = OpenItem("AR", "1122", Money.of("300000", "VND"), Money.of("77.53", "CNY"), Decimal("0.000258443"),
                    date(2026, 10, 19), "NBP")
    first = settle(item, Money.of("100000", "VND"), Money.of("25.81", "CNY"), on=date(2026, 10, 26),
                   journal_id="J1", idem_prefix="P1", rate_source="NBP")
    # 77.53 × 100,000 ÷ 300,000 = 25.8433… → 25.84 cleared; realized 25.81 − 25.84 = −0.03
    assert (first.cleared, first.realized) == (Money.of("25.84", "CNY"), Money.of("-0.03", "CNY"))
    rest = first.remaining
    assert rest is not None and (rest.original, rest.carrying) == (Money.of("200000", "VND"), Money.of("51.69", "CNY"))
    last = settle(rest, rest.original, Money.of("52.00", "CNY"), on=date(2026, 11, 2), journal_id="J2",
                  idem_prefix="P2", rate_source="NBP")
    assert (last.cleared, last.realized, last.remaining) == (Money.of("51.69", "CNY"), Money.of("0.31", "CNY"), None)
    whole = settle(item, item.original, Money.of("77.42", "CNY"), on=date(2026, 10, 26), journal_id="J",
                   idem_prefix="P", rate_source="NBP")
    assert after_parts(item, Money.zero("VND"), Money.zero("CNY")) == item
    assert (whole.cleared, whole.realized) == (item.carrying, Money.of("-0.11", "CNY"))


def test_a_payable_is_cleared_by_cash_going_out() -> None:
    fee = OpenItem("AP", "1122", Money.of("-15.00", "PHP"), Money.of("-1.87", "CNY"), Decimal("0.1245"),
                   date(2026, 10, 26), "ECB")
    result = settle(fee, fee.original, Money.of("-1.8675", "CNY"), on=date(2026, 10, 26), journal_id="J",
                    idem_prefix="P", rate_source="ECB")
    assert result.remaining is None and result.realized == Money.of("0.00", "CNY")
    assert [(line.line_type, line.amount) for line in result.journal.lines] == [
        ("CASH_IN", Money.of("-1.87", "CNY")), ("RECEIVABLE_CLEAR", Money.of("1.87", "CNY"))]
