"""Money refuses floats and mixed currencies; allocation always sums to the whole."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fx.allocation import AllocationError, allocate
from fx.currencies import minor_units, table_published
from fx.money import CurrencyMismatch, Money, to_decimal
from fx.rates import Rate

CURRENCIES = ["CNY", "USD", "SGD", "MYR", "THB", "PHP", "IDR", "VND", "JPY"]


@settings(deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_no_float_reaches_a_money_path(value: float) -> None:
    with pytest.raises(TypeError):
        to_decimal(value)
    with pytest.raises(TypeError):
        Money.of(value, "USD")
    with pytest.raises(TypeError):
        Money.of("1", "USD") * value
    with pytest.raises(TypeError):
        Rate("EUR", "USD", value, date(2026, 1, 2), "TEST")


def test_mixed_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        Money.of("1", "USD") + Money.of("1", "CNY")
    with pytest.raises(CurrencyMismatch):
        Money.of("1", "USD") < Money.of("1", "CNY")


def test_allocation_examples() -> None:
    parts = allocate(Money.of("100.00", "USD"), [1, 1, 1])
    assert [p.amount for p in parts] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert [p.amount for p in allocate(Money.of("1000", "IDR"), [1, 2], cash=True)] == [Decimal(333), Decimal(667)]
    negative = allocate(Money.of("-0.05", "USD"), ["0.5", "1.25"])
    assert [p.amount for p in negative] == [Decimal("-0.01"), Decimal("-0.04")]


def test_allocation_refuses_bad_input() -> None:
    with pytest.raises(AllocationError):
        allocate(Money.of("1.005", "USD"), [1, 1])
    with pytest.raises(AllocationError):
        allocate(Money.of("1", "USD"), [0, 0])
    with pytest.raises(AllocationError):
        allocate(Money.of("1", "USD"), [1, -1])
    with pytest.raises(AllocationError):
        allocate(Money.of("1", "USD"), [])


@settings(deadline=None)
@given(
    currency=st.sampled_from(CURRENCIES),
    minor=st.integers(min_value=-10**12, max_value=10**12),
    weights=st.lists(st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False), min_size=1, max_size=30)
    .filter(lambda ws: any(w > 0 for w in ws)),
)
def test_allocation_parts_sum_to_the_whole(currency: str, minor: int, weights: list[Decimal]) -> None:
    digits = minor_units(currency)
    total = Money(Decimal(minor).scaleb(-digits), currency)
    parts = allocate(total, weights)
    assert sum((p.amount for p in parts), Decimal(0)) == total.amount
    assert all(p.currency == currency for p in parts)
    assert all(p.round() == p for p in parts)  # every part is in whole minor units
    weight_sum = sum(weights)
    unit = Decimal(1).scaleb(-digits)
    for part, weight in zip(parts, weights):
        exact = total.amount * weight / weight_sum
        assert abs(part.amount - exact) < unit  # never more than one minor unit from the exact share
        if weight == 0:
            assert part.amount == 0


@settings(deadline=None)
@given(currency=st.sampled_from(CURRENCIES), units=st.integers(min_value=-10**15, max_value=10**15),
       cash=st.booleans())
def test_minor_units_round_trip(currency: str, units: int, cash: bool) -> None:
    money = Money.from_minor(units, currency, cash=cash)
    assert money.fits(cash=cash)
    assert money.to_minor(cash=cash) == units


def test_fractional_idr_is_flagged_not_fixed() -> None:
    payout = Money.of("150000.50", "IDR")
    assert payout.fits() and not payout.fits(cash=True)  # ISO says 2 decimals, cash practice 0
    with pytest.raises(ValueError):
        payout.to_minor(cash=True)
    assert Money.of("150000", "IDR").to_minor(cash=True) == 150000
    assert Money.of("1.005", "USD").round().amount == Decimal("1.01")  # HALF_UP is the default mode
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table_published())


def test_a_currency_code_is_checked_every_time_it_is_used() -> None:
    """Money remembers the codes it has accepted, never ones it refused: a bad code is refused however
    often it comes, after good ones and before them."""
    from fx.money import Money

    for _ in range(3):
        assert Money(Decimal("1"), "MYR").currency == "MYR"
        for bad in ("myr", "MY", "MYRS", "M1R", "ＭＹＲ", 123):
            with pytest.raises(ValueError):
                Money(Decimal("1"), bad)
