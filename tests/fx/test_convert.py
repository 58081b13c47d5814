"""Conversion: the worked example, direct/inverse/cross paths, fallback and staleness, round trips."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fx.convert import ConversionPolicy, Converter, RateBook, RateNotFound, RateNotPublished, StaleRate
from fx.money import Money
from fx.rates import Rate, Side
from fx.sources import ecb, mas
from tests.fx.helpers import fixture_bytes

DAY = date(2026, 10, 30)
# Real ECB rates of 2026-10-30 (reference/fx_settlement.md §4.4).
ECB_20261030 = {"USD": "1.1172", "CNY": "7.4326", "SGD": "1.4282", "MYR": "4.5325", "THB": "37.683",
                "PHP": "71.143", "IDR": "20275.17"}


def ecb_book(day: date = DAY) -> RateBook:
    return RateBook(Rate("EUR", code, Decimal(value), day, "ECB") for code, value in ECB_20261030.items())


def test_worked_example_idr_to_cny() -> None:
    conversion = Converter(ecb_book()).convert(Money.of("12500000", "IDR"), "CNY", DAY)
    assert conversion.path == "IDR→EUR→CNY"
    assert conversion.booked(ROUND_HALF_UP) == Money.of("4582.33", "CNY")
    assert str(conversion.rate).startswith("0.00036658632")


def test_what_a_rounded_stored_rate_would_have_done_wrong() -> None:
    exact = Converter(ecb_book()).convert(Money.of("12500000", "IDR"), "CNY", DAY)
    amount = Decimal(12_500_000)

    def at(places: int) -> Decimal:
        stored = exact.rate.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return (amount * stored).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    assert exact.booked().amount == Decimal("4582.33")
    assert at(6) == Decimal("4587.50")  # 6 dp: CNY 5.17 too much on one payout
    assert at(4) == Decimal("5000.00")
    assert at(8) == Decimal("4582.38")
    # The inverse of a 6-dp rate is far off the exact inverse as well (2724.80 vs 2727.87 IDR per CNY).
    assert (1 / exact.rate.quantize(Decimal("0.000001"))).quantize(Decimal("0.01")) == Decimal("2724.80")
    assert (1 / exact.rate).quantize(Decimal("0.01")) == Decimal("2727.87")


def test_direct_inverse_and_identity_paths() -> None:
    book = RateBook([Rate("USD", "CNY", "6.6601", DAY, "CFETS"), Rate("CNY", "THB", "4.7406", DAY, "CFETS")])
    converter = Converter(book)
    direct = converter.convert(Money.of("100", "USD"), "CNY", DAY)
    assert direct.path == "USD→CNY" and direct.result == Money.of("666.01", "CNY")
    inverse = converter.convert(Money.of("12345.67", "THB"), "CNY", DAY)
    assert inverse.path == "THB→CNY" and inverse.legs[0].inverted
    assert inverse.booked() == Money.of("2604.24", "CNY")
    cross = converter.convert(Money.of("100", "USD"), "THB", DAY)
    assert cross.path == "USD→CNY→THB" and cross.source == "CFETS"
    same = converter.convert(Money.of("5", "CNY"), "CNY", DAY)
    assert same.result == Money.of("5", "CNY") and same.legs == ()


def test_a_cross_never_mixes_sources() -> None:
    book = RateBook([Rate("USD", "CNY", "6.6601", DAY, "CFETS"), Rate("EUR", "USD", "1.1172", DAY, "ECB")])
    with pytest.raises(RateNotFound):
        Converter(book).convert(Money.of("1", "EUR"), "CNY", DAY)


def test_source_preference_and_side() -> None:
    book = RateBook([Rate("USD", "CNY", "6.66", DAY, "A"), Rate("USD", "CNY", "6.70", DAY, "B"),
                     Rate("USD", "CNY", "6.60", DAY, "B", side=Side.BID)])
    assert Converter(book, ConversionPolicy(sources=("B", "A"))).convert(
        Money.of("1", "USD"), "CNY", DAY).source == "B"
    assert Converter(book, ConversionPolicy(sources=("A", "B"))).convert(
        Money.of("1", "USD"), "CNY", DAY).source == "A"
    bid = Converter(book).convert(Money.of("1", "USD"), "CNY", DAY, side=Side.BID)
    assert bid.result.amount == Decimal("6.60")


def test_missing_date_fallback_is_explicit_and_bounded() -> None:
    book = RateBook(ecb.parse(fixture_bytes("eurofxref-hist-90d.sample.xml")).rates)
    converter = Converter(book, ConversionPolicy(max_age_days=3))
    christmas = date(2026, 12, 25)
    with pytest.raises(RateNotFound, match="last published 2026-12-24"):
        converter.convert(Money.of("100", "SGD"), "CNY", christmas)
    used = converter.convert(Money.of("100", "SGD"), "CNY", christmas, allow_fallback=True)
    assert used.rate_date == date(2026, 12, 24) and used.fell_back
    assert "used last published 2026-12-24" in used.explain()
    # Never interpolates: Dec 27 uses Dec 24, not a blend of Dec 24 and Dec 28.
    assert converter.convert(Money.of("100", "SGD"), "CNY", date(2026, 12, 27), allow_fallback=True).rate_date \
        == date(2026, 12, 24)
    with pytest.raises(StaleRate):
        converter.convert(Money.of("100", "SGD"), "CNY", date(2027, 1, 5), allow_fallback=True)
    with pytest.raises(RateNotFound):  # never a rate from the future
        converter.convert(Money.of("100", "SGD"), "CNY", date(2026, 12, 21), allow_fallback=True)


def test_a_day_not_over_never_falls_back() -> None:
    """From ``today`` on a missing rate may still come: neither an earlier day's nor a less preferred
    source's rate of the day stands in for it (which of them is there would depend on the hour)."""
    book = ecb_book(date(2026, 10, 29))
    book.add(Rate("EUR", "THB", Decimal("37.000"), DAY, "NBP"))
    book.add(Rate("EUR", "CNY", Decimal("7.5000"), DAY, "NBP"))
    policy = ConversionPolicy(allow_fallback=True, sources=("ECB", "NBP"), today=DAY)
    with pytest.raises(RateNotPublished, match="for 2026-10-30 not published yet .*last published is of 2026-10-29"):
        Converter(book, policy).convert(Money.of("100", "THB"), "CNY", DAY)
    # the day over, the freshest rate is used as before (here NBP's of the day), and a past day falls back
    over = Converter(book, ConversionPolicy(allow_fallback=True, sources=("ECB", "NBP"), today=date(2026, 10, 31)))
    assert over.convert(Money.of("100", "THB"), "CNY", DAY).source == "NBP"
    past = Converter(ecb_book(date(2026, 10, 28)), policy).convert(Money.of("100", "THB"), "CNY", date(2026, 10, 29))
    assert past.fell_back and past.rate_date == date(2026, 10, 28)
    # the preferred source's own rate of the day is used at once
    book.add(Rate("EUR", "THB", Decimal("37.683"), DAY, "ECB"))
    book.add(Rate("EUR", "CNY", Decimal("7.4326"), DAY, "ECB"))
    assert Converter(book, policy).convert(Money.of("100", "THB"), "CNY", DAY).source == "ECB"
    # a preferred source that does not serve the pair at all is no reason to wait
    vnd = ecb_book(DAY)
    vnd.add_all([Rate("PLN", "VND", Decimal("6500"), DAY, "NBP"), Rate("PLN", "CNY", Decimal("1.8"), DAY, "NBP")])
    assert Converter(vnd, policy).convert(Money.of("6500", "VND"), "CNY", DAY).source == "NBP"


def test_mas_per_100_units_for_vnd() -> None:
    book = RateBook(mas.parse(fixture_bytes("mas_daily.sample.csv")).rates)
    converter = Converter(book, ConversionPolicy(pivots=("SGD",)))
    vnd = converter.convert(Money.of("1000000", "VND"), "CNY", date(2026, 11, 12))
    assert vnd.path == "VND→SGD→CNY"
    assert vnd.result.amount == Decimal("51.85") / Decimal("19.1021") * 100


RATE = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("30000"), places=6, allow_nan=False,
                   allow_infinity=False).filter(lambda d: d > 0)


@settings(deadline=None, max_examples=200)
@given(eur_a=RATE, eur_b=RATE, units=st.integers(min_value=1, max_value=10**12),
       currencies=st.sampled_from([("IDR", "CNY"), ("THB", "USD"), ("VND", "SGD"), ("PHP", "MYR")]),
       rate_units=st.tuples(st.sampled_from([1, 100, 10000]), st.sampled_from([1, 100])))
def test_round_trip_within_the_precision_of_the_rates(eur_a, eur_b, units, currencies, rate_units) -> None:
    a, b = currencies
    book = RateBook([Rate("EUR", a, eur_a, DAY, "ECB", unit=rate_units[0]),
                     Rate("EUR", b, eur_b, DAY, "ECB", unit=rate_units[1])])
    converter = Converter(book)
    original = Money(Decimal(units).scaleb(-2), a)
    there = converter.convert(original, b, DAY)
    back = converter.convert(there.result, a, DAY)
    # Four operations in a 28-digit context: the relative error is bounded by a few ulps.
    assert abs(back.result.amount - original.amount) <= original.amount * Decimal("1e-25")
    assert there.legs[0].rate.value == eur_a  # the published rate itself, never rounded


def test_period_average_uses_published_days_only() -> None:
    book = RateBook(ecb.parse(fixture_bytes("eurofxref-hist-90d.sample.xml")).rates)
    average = Converter(book).period_average("THB", "CNY", date(2026, 12, 21), date(2026, 12, 31))
    days = [date(2026, 12, d) for d in (22, 23, 24, 28, 29)]
    daily = [Converter(book).convert(Money.of("1", "THB"), "CNY", d).result.amount for d in days]
    assert average.value == sum(daily, Decimal(0)) / 5
    assert average.source == "ECB-AVG" and "mean of 5 daily rates" in average.reference
    assert (average.base, average.quote, average.on) == ("THB", "CNY", date(2026, 12, 31))
    with pytest.raises(RateNotFound):
        Converter(book).period_average("THB", "CNY", date(2026, 12, 25), date(2026, 12, 27))


def test_an_empty_book_says_no_rates_were_found_not_an_empty_source_list() -> None:
    with pytest.raises(RateNotFound, match="no rate of any source was found") as caught:
        Converter(RateBook([])).convert(Money.of("10", "IDR"), "CNY", date(2026, 10, 30))
    assert "sources []" not in str(caught.value)
