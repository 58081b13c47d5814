"""Rate lock lifecycle: validity window, partial and idempotent utilisation, caps, cancel, exposure."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fx.locks import (
    IdempotencyConflict, LockError, LockKind, LockNotUsable, LockState, LockUsage, OverUtilisation, RateLock, cancel,
    create_forward, create_from_quote, utilise,
)
from fx.money import CurrencyMismatch, Money

T0 = datetime(2026, 11, 3, 8, 0, tzinfo=timezone.utc)


def thb_forward(notional: str = "50000", tolerance: str = "0"):
    return create_forward("LOCK-1", counterparty="BANK", sell_currency="THB", buy_currency="CNY", rate="0.2101",
                          notional=Money.of(notional, "THB"), valid_from=T0, valid_to=T0 + timedelta(days=30),
                          reference="FWD-77", mid_rate="0.2109", tolerance=tolerance)


def test_partial_utilisation_and_unhedged_exposure_reference_example() -> None:
    lock = thb_forward()
    assert lock.state_at(T0) is LockState.ACTIVE
    first = utilise(lock, Money.of("30000", "THB"), "LAZADA:TH1:P1", T0 + timedelta(days=1))
    assert first.utilisation.counter == Money.of("6303.0000", "CNY")
    second = utilise(first.lock, Money.of("12345.67", "THB"), "LAZADA:TH1:P2", T0 + timedelta(days=2))
    lock = second.lock
    assert lock.state_at(T0 + timedelta(days=2)) is LockState.PARTIALLY_UTILISED
    assert lock.remaining == Money.of("7654.33", "THB")
    assert lock.unhedged_exposure(T0 + timedelta(days=2)).is_zero()  # still usable
    expiry = T0 + timedelta(days=30)
    assert lock.state_at(expiry) is LockState.EXPIRED  # valid_to itself is already expired
    assert lock.unhedged_exposure(expiry) == Money.of("7654.33", "THB")
    assert round(lock.margin_bp, 1) == Decimal("37.9")


def test_same_key_twice_counts_once_and_a_different_amount_conflicts() -> None:
    lock = utilise(thb_forward(), Money.of("100", "THB"), "K1", T0).lock
    replay = utilise(lock, Money.of("100", "THB"), "K1", T0 + timedelta(hours=1))
    assert replay.replayed and replay.lock is lock and lock.used == Money.of("100", "THB")
    with pytest.raises(IdempotencyConflict):
        utilise(lock, Money.of("101", "THB"), "K1", T0)


def test_never_beyond_notional_plus_tolerance() -> None:
    lock = thb_forward("1000", tolerance="0.15")
    lock = utilise(lock, Money.of("1000", "THB"), "A", T0).lock
    assert lock.state_at(T0) is LockState.FULLY_UTILISED
    with pytest.raises(LockNotUsable):
        utilise(lock, Money.of("1", "THB"), "B", T0)
    lock = utilise(thb_forward("1000", tolerance="0.15"), Money.of("1100", "THB"), "A", T0).lock
    assert lock.remaining.is_zero()
    with pytest.raises(OverUtilisation):
        utilise(thb_forward("1000", tolerance="0.15"), Money.of("1150.01", "THB"), "A", T0)


def test_not_before_valid_from_not_after_expiry_and_not_in_another_currency() -> None:
    lock = thb_forward()
    with pytest.raises(LockNotUsable, match="pending"):
        utilise(lock, Money.of("1", "THB"), "K", T0 - timedelta(seconds=1))
    with pytest.raises(LockNotUsable, match="expired"):
        utilise(lock, Money.of("1", "THB"), "K", T0 + timedelta(days=30))
    with pytest.raises(CurrencyMismatch):
        utilise(lock, Money.of("1", "CNY"), "K", T0)
    with pytest.raises(LockError):
        utilise(lock, Money.of("0", "THB"), "K", T0)
    with pytest.raises(LockError):
        utilise(lock, Money.of("1", "THB"), "", T0)
    with pytest.raises(LockError, match="valid_to must be after valid_from"):
        RateLock("X", LockKind.FORWARD, "B", "THB", "CNY", Decimal("0.21"), Money.of("1", "THB"), T0, T0)
    with pytest.raises(LockError, match="neither"):
        RateLock("X", LockKind.FORWARD, "B", "THB", "CNY", Decimal("0.21"), Money.of("1", "USD"), T0,
                 T0 + timedelta(days=1))


def test_single_use_quote_and_buy_side_dealt_amount() -> None:
    quote = create_from_quote("LOCK-Q", provider="AIRWALLEX", quote_id="q-123", sell_currency="USD",
                              buy_currency="CNY", client_rate="7.1000", notional=Money.of("7100", "CNY"),
                              valid_from=T0, valid_to=T0 + timedelta(minutes=15), mid_rate="7.1200")
    assert quote.usage is LockUsage.SINGLE_USE and quote.dealt_currency == "CNY"
    used = utilise(quote, Money.of("3550", "CNY"), "PAYOUT-9", T0 + timedelta(minutes=1))
    assert used.utilisation.counter == Money(Decimal("3550") / Decimal("7.1000"), "USD")
    assert used.lock.state_at(T0 + timedelta(minutes=2)) is LockState.FULLY_UTILISED
    with pytest.raises(LockNotUsable):
        utilise(used.lock, Money.of("1", "CNY"), "PAYOUT-10", T0 + timedelta(minutes=2))
    assert quote.as_rate().reference == "LOCK-Q"


def test_cover_sizes_an_amount_of_either_currency_in_the_dealt_one() -> None:
    """review-money: a lock dealt in the currency bought is used for an amount sold by what it delivers,
    rounded to the dealt currency's minor units so the same amount sizes the same utilisation each time."""
    sold_side = thb_forward()
    assert sold_side.cover(Money.of("2000.00", "THB")) == Money.of("2000.00", "THB")
    bought_side = create_forward("LOCK-B", counterparty="BANK", sell_currency="THB", buy_currency="CNY", rate="0.2101",
                                 notional=Money.of("10000", "CNY"), valid_from=T0, valid_to=T0 + timedelta(days=30))
    assert bought_side.cover(Money.of("1234.56", "THB")) == Money.of("259.38", "CNY")  # 259.381056
    replay = utilise(utilise(bought_side, bought_side.cover(Money.of("1234.56", "THB")), "K", T0).lock,
                     bought_side.cover(Money.of("1234.56", "THB")), "K", T0 + timedelta(days=40))
    assert replay.replayed  # a stored key is answered before the lock's state (expired by then) is looked at
    with pytest.raises(CurrencyMismatch):
        bought_side.cover(Money.of("1", "USD"))


def test_cancel() -> None:
    lock = utilise(thb_forward(), Money.of("100", "THB"), "K", T0).lock
    cancelled = cancel(lock, T0 + timedelta(days=1))
    assert cancelled.state_at(T0 + timedelta(days=1)) is LockState.CANCELLED
    assert cancelled.unhedged_exposure(T0 + timedelta(days=1)) == Money.of("49900", "THB")
    assert cancel(cancelled, T0 + timedelta(days=2)) is cancelled
    with pytest.raises(LockNotUsable):
        utilise(cancelled, Money.of("1", "THB"), "K2", T0 + timedelta(days=1))
    full = utilise(thb_forward("10"), Money.of("10", "THB"), "K", T0).lock
    with pytest.raises(LockNotUsable):
        cancel(full, T0)


@settings(deadline=None, max_examples=150)
@given(
    requests=st.lists(
        st.tuples(st.integers(min_value=0, max_value=8),  # key index: repeats exercise idempotency
                  st.integers(min_value=1, max_value=400_00),  # amount in satang
                  st.integers(min_value=-2, max_value=40)),  # day offset: before, inside, after validity
        min_size=1, max_size=40),
    tolerance=st.sampled_from(["0", "0.05", "0.15"]),
)
def test_random_interleavings_never_exceed_the_cap(requests, tolerance) -> None:
    lock = thb_forward("1000", tolerance=tolerance)
    accepted: dict[str, Decimal] = {}
    for key_index, satang, day in requests:
        key = f"K{key_index}"
        amount = Money(Decimal(satang).scaleb(-2), "THB")
        try:
            outcome = utilise(lock, amount, key, T0 + timedelta(days=day))
        except (LockNotUsable, OverUtilisation, IdempotencyConflict):
            continue
        if not outcome.replayed:
            assert key not in accepted
            accepted[key] = amount.amount
        else:
            assert accepted[key] == amount.amount
        lock = outcome.lock
        assert lock.used <= lock.cap
    assert lock.used.amount == sum(accepted.values(), Decimal(0))
    assert len({u.key for u in lock.utilisations}) == len(lock.utilisations)
