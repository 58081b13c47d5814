"""First in, first out: which release days a local Shopee shop's withdrawals paid
(``aggregator.settlement.wallet_allocation``). Properties over any days and withdrawals: every cent is
accounted (per day paid + open == released, per withdrawal applied + excess == amount), nothing is
negative, everything stays Decimal, a later day is never paid while an earlier one it could pay is open,
and the result does not depend on the order the inputs come in; plus one case by hand."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from aggregator.settlement.wallet_allocation import ReleaseDay, Withdrawal, allocate

START = date(2026, 10, 1)
amounts = st.integers(min_value=-5_000, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))
days_st = st.lists(st.tuples(st.integers(0, 40), amounts), max_size=25, unique_by=lambda t: t[0]).map(
    lambda rows: [ReleaseDay(f"escrow-{START + timedelta(days=d)}", START + timedelta(days=d), a) for d, a in rows])
withdrawals_st = st.lists(st.tuples(st.integers(0, 45 * 24), st.integers(0, 1_500_000)), max_size=12).map(
    lambda rows: [Withdrawal(f"withdrawal-{i}", datetime(2026, 10, 1, tzinfo=timezone.utc) + timedelta(hours=h),
                             Decimal(c).scaleb(-2)) for i, (h, c) in enumerate(rows)])


@given(days_st, withdrawals_st, st.randoms())
def test_every_cent_is_accounted_and_the_oldest_open_day_is_paid_first(days, withdrawals, rnd) -> None:
    positions, results = allocate(days, withdrawals)
    for day in days:
        p = positions[day.key]
        assert isinstance(p.paid, Decimal) and isinstance(p.open, Decimal)
        assert p.paid + p.open == day.amount
        if day.amount > 0:
            assert Decimal(0) <= p.paid <= day.amount and p.open >= 0
            assert (p.paid_at is not None) == (p.open == 0)
        else:
            assert p.paid == 0 and p.paid_at is None  # nothing owed to the seller: not paid by withdrawals
    for result in results:
        assert sum((a for _, a in result.applied), Decimal(0)) + result.excess == result.amount
        assert all(a > 0 for _, a in result.applied) and result.excess >= 0
        applied = [next(d for d in days if d.key == key) for key, _ in result.applied]
        assert applied == sorted(applied, key=lambda d: (d.on, d.key))  # oldest first
        assert all(d.on <= result.paid_at.date() for d in applied)  # never a day after it completed
        if result.excess > 0:  # it took all it could: no day it may pay is left open after it
            assert all(positions[d.key].open == 0 for d in days
                       if d.amount > 0 and d.on <= result.paid_at.date())
    assert sum(p.paid for p in positions.values()) + sum(r.excess for r in results) == sum(
        w.amount for w in withdrawals)
    shuffled_days, shuffled_withdrawals = list(days), list(withdrawals)
    rnd.shuffle(shuffled_days)
    rnd.shuffle(shuffled_withdrawals)
    again, again_results = allocate(shuffled_days, shuffled_withdrawals)
    assert {k: (p.paid, p.paid_at, p.paid_by) for k, p in again.items()} == {
        k: (p.paid, p.paid_at, p.paid_by) for k, p in positions.items()}
    assert [(r.key, r.applied) for r in again_results] == [(r.key, r.applied) for r in results]


def test_a_withdrawal_pays_whole_days_then_part_of_the_next_and_the_next_one_finishes_it() -> None:
    d = [ReleaseDay("escrow-2026-11-12", date(2026, 11, 12), Decimal("672.16")),
         ReleaseDay("escrow-2026-11-13", date(2026, 11, 13), Decimal("676.77")),
         ReleaseDay("escrow-2026-11-25", date(2026, 11, 25), Decimal("799.05"))]
    first = datetime(2026, 11, 27, 2, tzinfo=timezone.utc)
    # 672.16 + 676.77 + 399.53 = 1,748.46: the two first days whole, 399.53 of the third
    positions, results = allocate(d, [Withdrawal("withdrawal-1", first, Decimal("1748.46"))])
    assert [(p.paid, p.open, p.paid_at) for p in positions.values()] == [
        (Decimal("672.16"), Decimal("0.00"), first), (Decimal("676.77"), Decimal("0.00"), first),
        (Decimal("399.53"), Decimal("399.52"), None)]
    assert results[0].excess == 0
    # the next withdrawal pays the 399.52 left and 100.48 more than the days before it held: its excess
    second = first + timedelta(days=7)
    positions, results = allocate(d, [Withdrawal("withdrawal-1", first, Decimal("1748.46")),
                                      Withdrawal("withdrawal-2", second, Decimal("500.00"))])
    assert (positions["escrow-2026-11-25"].paid_at, positions["escrow-2026-11-25"].paid_by) == (
        second, ["withdrawal-1", "withdrawal-2"])
    assert results[1].applied == [("escrow-2026-11-25", Decimal("399.52"))] and results[1].excess == Decimal("100.48")
