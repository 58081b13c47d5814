"""Provider quotes become locks in the provider's own quotation direction (never inverted)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from fx.locks import LockKind, LockState, LockUsage, create_forward, utilise
from fx.money import Money
from fx.quotes import QuoteFormatError, lock_from_quote, lock_from_quote_json
from tests.fx.helpers import fixture_bytes

T0 = datetime(2026, 12, 1, 8, tzinfo=timezone.utc)


def test_airwallex_style_quote_buying_usd_with_cny() -> None:
    lock = lock_from_quote_json(fixture_bytes("airwallex_quote.sample.json"))
    assert (lock.kind, lock.usage, lock.provider) == (LockKind.QUOTE, LockUsage.MULTI_USE, "AIRWALLEX")
    assert lock.lock_id == lock.reference == "6c1a2b9e-7f3c-4d2a-9b1e-0a7f3c2a9100"
    assert (lock.pair, lock.dealt_side, lock.notional) == ("USD/CNY", "BUY", Money.of("10000.00", "USD"))
    assert lock.client_rate == Decimal("7.1532") and str(lock.client_rate) == "7.1532"
    assert round(lock.margin_bp, 1) == Decimal("32.5")  # paying 7.1532 CNY per USD against a 7.1300 mid
    used = utilise(lock, Money.of("4000", "USD"), "PAYOUT-1", T0 + timedelta(minutes=5))
    assert used.utilisation.counter == Money(Decimal("4000") * Decimal("7.1532"), "CNY")
    assert lock.state_at(T0 + timedelta(hours=1)) is LockState.EXPIRED
    assert lock.as_rate().pair == "USD/CNY"


def test_pair_base_on_the_sell_side_and_dealt_in_the_bought_currency() -> None:
    quote = json.loads(fixture_bytes("airwallex_quote.sample.json"), parse_float=Decimal)
    quote.update(sell_currency="USD", buy_currency="CNY", dealt_currency="CNY", buy_amount="71000.00",
                 client_rate="7.1000")
    lock = lock_from_quote(quote, lock_id="L-2")
    assert (lock.pair, lock.dealt_side, lock.rate_base) == ("USD/CNY", "BUY", "USD")
    assert lock.counter_amount(Money.of("7100", "CNY")) == Money(Decimal("7100") / Decimal("7.1000"), "USD")
    assert round(lock.margin_bp, 1) == Decimal("42.1")  # receiving 7.10 instead of 7.13 per USD sold


def test_forward_quoted_per_bought_currency() -> None:
    lock = create_forward("F-1", counterparty="BANK", sell_currency="CNY", buy_currency="USD", rate="7.15",
                          notional=Money.of("71500", "CNY"), valid_from=T0, valid_to=T0 + timedelta(days=90),
                          rate_base="USD")
    assert lock.counter_amount(Money.of("71500", "CNY")) == Money(Decimal("71500") / Decimal("7.15"), "USD")


@pytest.mark.parametrize("change, message", [
    ({"currency_pair": "EURCNY"}, "currency_pair"),
    ({"dealt_currency": "EUR"}, "dealt_currency"),
    ({"valid_to_at": "2026-12-01T09:00:00"}, "time zone"),
    ({"buy_amount": None}, "buy_amount"),
    ({"client_rate": 7.1532}, "client_rate"),  # a float sneaked in: refused
    ({"usage": "SOMETIMES"}, "usage"),
])
def test_bad_quotes_say_which_field(change: dict, message: str) -> None:
    quote = json.loads(fixture_bytes("airwallex_quote.sample.json"), parse_float=Decimal)
    quote.update(change)
    with pytest.raises(QuoteFormatError, match=message):
        lock_from_quote(quote)
    with pytest.raises(QuoteFormatError):
        lock_from_quote_json(b"[1, 2]")
