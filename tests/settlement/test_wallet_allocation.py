"""First in, first out on the wallet's clock: which release days a local Shopee shop's withdrawals paid
(``aggregator.settlement.wallet_allocation``). Properties over any days (with release times), negative
days and withdrawals: every cent is accounted (per day paid + open == released, per withdrawal applied +
excess == amount, every netting pays a positive day what it settles of a negative one), nothing has the
wrong sign, everything stays Decimal, a withdrawal never takes money released after it was created, a
later day is never paid while an earlier one it could pay is open, and the result does not depend on
the order the inputs come in; plus cases by hand, among them the two the old rule got wrong (money
released later the same day, a negative day left open)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from aggregator.settlement.wallet_allocation import ReleaseDay, Withdrawal, allocate

START = datetime(2026, 10, 1, tzinfo=timezone.utc)
cents = st.integers(min_value=-50_000, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))


def _day(number: int, releases: list[tuple[int, Decimal]]) -> ReleaseDay:
    base = START + timedelta(days=number)
    times = tuple(sorted((base + timedelta(minutes=m), a) for m, a in releases))
    return ReleaseDay(f"escrow-{base.date()}", times[-1][0], sum((a for _, a in times), Decimal(0)), times)


days_st = st.lists(st.tuples(st.integers(0, 40), st.lists(st.tuples(st.integers(0, 1439), cents), min_size=1,
                                                          max_size=4)),
                   max_size=20, unique_by=lambda t: t[0]).map(lambda rows: [_day(d, r) for d, r in rows])
withdrawals_st = st.lists(st.tuples(st.integers(0, 45 * 24 * 60), st.integers(0, 3 * 24 * 60),
                                    st.integers(0, 1_500_000)), max_size=12).map(
    lambda rows: [Withdrawal(f"withdrawal-{i}", START + timedelta(minutes=m), START + timedelta(minutes=m + late),
                             Decimal(c).scaleb(-2)) for i, (m, late, c) in enumerate(rows)])


@given(days_st, withdrawals_st, st.randoms())
def test_every_cent_is_accounted_on_the_wallets_clock(days, withdrawals, rnd) -> None:
    positions, results = allocate(days, withdrawals)
    by_key = {d.key: d for d in days}
    for day in days:
        p = positions[day.key]
        assert isinstance(p.paid, Decimal) and isinstance(p.open, Decimal)
        assert p.paid + p.open == day.amount
        if day.amount >= 0:
            assert Decimal(0) <= p.paid <= day.amount and p.open >= 0
        else:
            assert day.amount <= p.paid <= 0 and p.open <= 0
        assert (p.paid_at is not None) == (p.open == 0 and p.parts != [])
        assert sum((a for _, _, a in p.parts), Decimal(0)) == p.paid
    for result in results:
        assert sum((a for _, a in result.applied), Decimal(0)) + result.excess == result.amount
        assert all(a > 0 for _, a in result.applied) and result.excess >= 0
        applied = [by_key[key] for key, _ in result.applied]
        assert applied == sorted(applied, key=lambda d: (d.on, d.key))  # oldest first
        for key, amount in result.applied:  # never money released after it was created
            assert by_key[key].released_by(result.created_at) >= amount
        if result.excess > 0:  # it took all it could: nothing released before it is left open after it
            upto = [w for w in withdrawals if (w.created_at, w.key) <= (result.created_at, result.key)]
            then, _ = allocate(days, upto)
            assert all(then[d.key].paid >= d.released_by(result.created_at) for d in days if d.amount > 0)
    # nettings: every part a negative day settled is a part of a positive day, the same amount
    netted = {(by, p.key, a) for p in positions.values() if p.released < 0 for by, _, a in p.parts}
    assert netted == {(p.key, by, -a) for p in positions.values() if p.released > 0 for by, _, a in p.parts
                      if not by.startswith("withdrawal-")}
    assert sum(p.paid for p in positions.values() if p.released > 0) + sum(r.excess for r in results) \
        + sum(p.paid for p in positions.values() if p.released < 0) == sum(w.amount for w in withdrawals)
    shuffled_days, shuffled_withdrawals = list(days), list(withdrawals)
    rnd.shuffle(shuffled_days)
    rnd.shuffle(shuffled_withdrawals)
    again, again_results = allocate(shuffled_days, shuffled_withdrawals)
    assert {k: (p.paid, p.paid_at, p.parts) for k, p in again.items()} == {
        k: (p.paid, p.paid_at, p.parts) for k, p in positions.items()}
    assert [(r.key, r.applied) for r in again_results] == [(r.key, r.applied) for r in results]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def test_a_withdrawal_pays_whole_days_then_part_of_the_next_and_the_next_one_finishes_it() -> None:
    d = [ReleaseDay("escrow-2026-11-12", at(12, 10), Decimal("672.16")),
         ReleaseDay("escrow-2026-11-13", at(13, 10), Decimal("676.77")),
         ReleaseDay("escrow-2026-11-25", at(25, 10), Decimal("799.05"))]
    first = at(27, 2)
    # 672.16 + 676.77 + 399.53 = 1,748.46: the two first days whole, 399.53 of the third
    positions, results = allocate(d, [Withdrawal("withdrawal-1", first, first, Decimal("1748.46"))])
    assert [(p.paid, p.open, p.paid_at) for p in positions.values()] == [
        (Decimal("672.16"), Decimal("0.00"), first), (Decimal("676.77"), Decimal("0.00"), first),
        (Decimal("399.53"), Decimal("399.52"), None)]
    assert results[0].excess == 0
    # the next withdrawal pays the 399.52 left and 100.48 more than the days before it held: its excess
    second = first + timedelta(days=7)
    positions, results = allocate(d, [Withdrawal("withdrawal-1", first, first, Decimal("1748.46")),
                                      Withdrawal("withdrawal-2", second, second, Decimal("500.00"))])
    assert (positions["escrow-2026-11-25"].paid_at, positions["escrow-2026-11-25"].paid_by) == (
        second, ["withdrawal-1", "withdrawal-2"])
    assert results[1].applied == [("escrow-2026-11-25", Decimal("399.52"))] and results[1].excess == Decimal("100.48")


def test_a_withdrawal_never_takes_money_released_after_it_was_created() -> None:
    """The old rule compared the day's UTC date with the withdrawal's completion: a withdrawal created at
    02:00 and completed at 23:00 was given the 500.00 released at 15:00 that day. It may only take the
    200.00 released before 02:00; the rest of its amount is excess (a release not known yet)."""
    day = ReleaseDay("escrow-2026-11-26", at(26, 15), Decimal("700.00"),
                     ((at(26, 1), Decimal("200.00")), (at(26, 15), Decimal("500.00"))))
    withdrawal = Withdrawal("withdrawal-1", at(26, 2), at(26, 23), Decimal("650.00"))
    positions, results = allocate([day], [withdrawal])
    assert results[0].applied == [("escrow-2026-11-26", Decimal("200.00"))]
    assert results[0].excess == Decimal("450.00")
    assert (positions[day.key].paid, positions[day.key].open) == (Decimal("200.00"), Decimal("500.00"))
    # created after the 15:00 release, the same withdrawal pays 650.00 of the day
    later = Withdrawal("withdrawal-1", at(26, 16), at(26, 23), Decimal("650.00"))
    assert allocate([day], [later])[1][0].applied == [("escrow-2026-11-26", Decimal("650.00"))]
    # a day stored without its release times counts from its last release
    bare = ReleaseDay("escrow-2026-11-26", at(26, 15), Decimal("700.00"))
    assert allocate([bare], [withdrawal])[1][0].excess == Decimal("650.00")


def test_a_negative_day_is_netted_against_the_positive_days_a_withdrawal_pays() -> None:
    """The old rule left a negative day open (a payable) and let the withdrawal pay the positive days whole:
    the wallet held 1,000.00 − 300.00, so a withdrawal of 700.00 is explained only once the charge is
    netted against the oldest money."""
    d = [ReleaseDay("escrow-2026-11-10", at(10, 9), Decimal("400.00")),
         ReleaseDay("escrow-2026-11-11", at(11, 9), Decimal("600.00")),
         ReleaseDay("escrow-2026-11-12", at(12, 9), Decimal("-300.00"))]
    w = Withdrawal("withdrawal-1", at(13, 2), at(14, 2), Decimal("700.00"))
    positions, results = allocate(d, [w])
    assert results[0].excess == 0
    assert results[0].applied == [("escrow-2026-11-10", Decimal("100.00")), ("escrow-2026-11-11", Decimal("600.00"))]
    first, second, negative = (positions[k.key] for k in d)
    assert first.parts == [("escrow-2026-11-12", at(12, 9), Decimal("300.00")),
                           ("withdrawal-1", at(14, 2), Decimal("100.00"))]
    assert (first.open, first.paid_at, second.open, second.paid_at) == (0, at(14, 2), 0, at(14, 2))
    assert negative.parts == [("escrow-2026-11-10", at(12, 9), Decimal("-300.00"))]
    assert (negative.paid, negative.open, negative.paid_at) == (Decimal("-300.00"), 0, at(12, 9))


def test_a_charge_before_any_money_is_netted_against_the_next_money_before_a_withdrawal_takes_it() -> None:
    d = [ReleaseDay("escrow-2026-11-10", at(10, 9), Decimal("-50.00")),
         ReleaseDay("escrow-2026-11-11", at(11, 9), Decimal("200.00"),
                    ((at(11, 8), Decimal("30.00")), (at(11, 9), Decimal("170.00"))))]
    positions, results = allocate(d, [Withdrawal("withdrawal-1", at(12, 2), at(12, 3), Decimal("150.00"))])
    assert results[0].applied == [("escrow-2026-11-11", Decimal("150.00"))] and results[0].excess == 0
    assert positions["escrow-2026-11-10"].parts == [("escrow-2026-11-11", at(11, 9), Decimal("-50.00"))]
    assert positions["escrow-2026-11-11"].paid_at == at(12, 3)
    # with no withdrawal at all, the charge is still netted against the money released after it
    positions, _ = allocate(d, [])
    assert positions["escrow-2026-11-10"].paid_at == at(11, 9)
    assert (positions["escrow-2026-11-11"].paid, positions["escrow-2026-11-11"].open) == (Decimal("50.00"),
                                                                                          Decimal("150.00"))


def test_a_charge_netted_again_against_a_day_it_was_netted_against_is_one_part_of_each() -> None:
    """A charge nets what a same-day release day holds so far, then a wallet credit, then the day's later
    release: the charge's parts name each day it was netted against once (booking books one part per
    payer and reference, ``NETTED:<day>``: a second part under the same reference is refused as changed)."""
    at = START + timedelta(days=3)
    day = ReleaseDay("escrow-2026-10-04", at + timedelta(hours=9), Decimal("110000"),
                     ((at + timedelta(hours=5), Decimal("10000")), (at + timedelta(hours=9), Decimal("100000"))))
    credit = ReleaseDay(f"wallet-{int((at + timedelta(hours=6)).timestamp())}-a", at + timedelta(hours=6),
                        Decimal("5000"))
    charge = ReleaseDay(f"wallet-{int((at + timedelta(hours=7)).timestamp())}-b", at + timedelta(hours=7),
                        Decimal("-50000"))
    positions, _ = allocate([day, credit, charge], [])
    parts = positions[charge.key].parts
    assert [by for by, _, _ in parts] == [day.key, credit.key]
    assert dict((by, amount) for by, _, amount in parts) == {day.key: Decimal("-45000"), credit.key: Decimal("-5000")}
    assert [(by, amount) for by, _, amount in positions[day.key].parts] == [(charge.key, Decimal("45000"))]


@given(days_st, withdrawals_st, st.data())
def test_a_pending_withdrawal_holds_what_its_completion_pays_and_moves_no_netting(days, withdrawals, data) -> None:
    """Any withdrawals still pending (created, not completed): each holds exactly what it pays once
    completed, nothing they hold is paid or netted, and every netting (and every other withdrawal's part)
    is the one the completed allocation gives — so a completion stored later moves nothing booked."""
    pending = set(data.draw(st.sets(st.sampled_from([w.key for w in withdrawals]))) if withdrawals else set())
    done, done_results = allocate(days, withdrawals)
    held, held_results = allocate(days, [Withdrawal(w.key, w.created_at, None, w.amount) if w.key in pending else w
                                         for w in withdrawals])
    assert [(r.key, r.applied) for r in held_results] == [(r.key, r.applied) for r in done_results]
    assert {r.key for r in held_results if r.status == "PENDING"} == pending
    for key, p in held.items():
        completed = done[key]
        assert [part for part in completed.parts if part[0] not in pending] == p.parts
        assert p.holds == {by: a for by, _, a in completed.parts if by in pending}
        assert p.paid + p.held == completed.paid and p.paid + p.open == completed.paid + completed.open


def test_a_cancelled_withdrawal_holds_its_money_until_its_cancellation() -> None:
    d = [ReleaseDay("escrow-2026-11-10", at(10, 1), Decimal("100.00")),
         ReleaseDay("escrow-2026-11-11", at(11, 9), Decimal("-30.00"))]
    cancelled = Withdrawal("withdrawal-1", at(10, 2), None, Decimal("90.00"), cancelled_at=at(12, 2))
    later = Withdrawal("withdrawal-2", at(12, 3), at(13, 3), Decimal("60.00"))
    positions, results = allocate(d, [cancelled, later])
    # the charge on the 11th nets the 10.00 the withdrawal left, and the rest once its 90.00 is back
    assert positions["escrow-2026-11-10"].parts == [("escrow-2026-11-11", at(12, 2), Decimal("30.00")),
                                                    ("withdrawal-2", at(13, 3), Decimal("60.00"))]
    assert positions["escrow-2026-11-10"].holds == {} and positions["escrow-2026-11-11"].open == 0
    assert [(r.key, r.status, r.applied) for r in results] == [
        ("withdrawal-1", "CANCELLED", [("escrow-2026-11-10", Decimal("90.00"))]),
        ("withdrawal-2", "PAID", [("escrow-2026-11-10", Decimal("60.00"))])]
    # still pending (not cancelled yet): it holds 90.00, the charge has netted only 10.00
    positions, _ = allocate(d, [Withdrawal("withdrawal-1", at(10, 2), None, Decimal("90.00"))])
    assert positions["escrow-2026-11-10"].holds == {"withdrawal-1": Decimal("90.00")}
    assert (positions["escrow-2026-11-10"].paid, positions["escrow-2026-11-11"].open) == (Decimal("10.00"),
                                                                                         Decimal("-20.00"))
