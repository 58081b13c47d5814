"""Per-order and per-statement verdicts, by hand, and their invariants as properties."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.settlement.reconcile import (
    LineFacts, OrderFacts, ReconStatus, reconcile_order, reconcile_statement,
)
from platform_adapters.canonical.settlement import FeeCategory

D = Decimal


def lines(*pairs: tuple[str, str]) -> list[LineFacts]:
    return [LineFacts(kind, D(amount), "MYR") for kind, amount in pairs]


def order(status: str = "COMPLETED", total: str | None = "162.90") -> OrderFacts:
    return OrderFacts(status, "MYR", D(total) if total is not None else None, None, None)


SALE = [("REVENUE", "158.00"), ("SHIPPING_BUYER_PAID", "4.90"), ("COMMISSION", "-14.19"),
        ("SHIPPING_CHARGED", "-5.10"), ("ADJUSTMENT", "-2.50")]


def test_settled_when_the_sale_lines_are_what_the_buyer_paid():
    verdict = reconcile_order(order(), lines(*SALE))
    # expected = 162.90 - 14.19 - 5.10 - 2.50 = 141.11 = settled
    assert (verdict.status, verdict.expected_net, verdict.settled, verdict.difference) == (
        ReconStatus.SETTLED, D("141.11"), D("141.11"), D("0.00"))
    assert verdict.deductions == D("-21.79") and verdict.by_category["ADJUSTMENT"] == "-2.50"


def test_under_over_partial_refunded_unsettled_and_orphan():
    short = lines(*SALE[1:], ("REVENUE", "150.00"))
    assert reconcile_order(order(), short).status is ReconStatus.UNDER_PAID  # 8.00 less than paid, order final
    assert reconcile_order(order("SHIPPED"), short).status is ReconStatus.PARTIALLY_SETTLED
    assert reconcile_order(order(), lines(*SALE, ("REVENUE", "1.00"))).status is ReconStatus.OVER_PAID
    held = reconcile_order(order(), lines(*SALE, ("RESERVE_HELD", "-7.00")))
    assert held.status is ReconStatus.PARTIALLY_SETTLED and held.difference == 0
    released = reconcile_order(order(), lines(*SALE, ("RESERVE_HELD", "-7.00"), ("RESERVE_RELEASED", "7.00")))
    assert released.status is ReconStatus.SETTLED
    assert reconcile_order(order(), lines(*SALE, ("REFUND", "-45.00"))).status is ReconStatus.REFUNDED
    assert reconcile_order(order("CANCELLED"), lines(("COMMISSION", "-1.00"))).status is ReconStatus.REFUNDED
    assert reconcile_order(order(), []).status is ReconStatus.UNSETTLED
    orphan = reconcile_order(None, lines(*SALE))
    assert orphan.status is ReconStatus.SETTLED_WITHOUT_ORDER and orphan.settled == D("141.11")
    no_total = OrderFacts("COMPLETED", "MYR", None, D("158.00"), D("4.90"))  # lines + shipping instead
    assert reconcile_order(no_total, lines(*SALE)).status is ReconStatus.SETTLED


def test_statement_balances_exactly_or_is_a_mismatch():
    assert reconcile_statement(D("76.80"), [D("78.30"), D("-2.50"), D("1.00")]).balanced
    verdict = reconcile_statement(D("150.00"), [D("100.00")])
    assert (verdict.balanced, verdict.difference, verdict.lines_count) == (False, D("-50.00"), 1)


amounts = st.decimals(min_value=-10_000, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)
kinds = st.sampled_from([c.value for c in FeeCategory if c is not FeeCategory.PAYOUT])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(kinds, amounts), max_size=20), amounts)
def test_settled_is_the_sum_and_difference_is_sales_minus_gross(pairs, gross):
    found = [LineFacts(kind, amount, "MYR") for kind, amount in pairs]
    verdict = reconcile_order(OrderFacts("COMPLETED", "MYR", gross, None, None), found)
    assert verdict.settled == sum((f.amount for f in found), D(0))
    if found:
        sales = sum((f.amount for f in found if f.kind in {"REVENUE", "SHIPPING_BUYER_PAID", "VOUCHER_SELLER",
                                                             "VOUCHER_PLATFORM", "REFUND", "OTHER"}), D(0))
        assert verdict.difference == sales - gross
        assert verdict.expected_net + verdict.difference == verdict.settled
