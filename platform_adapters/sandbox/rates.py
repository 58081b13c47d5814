"""The sandbox world's exchange rates: a daily EUR-based series, published the way rate APIs publish it.

The world prices its catalogue with fixed illustrative rates (``world.REGION_USD_RATE``); around them
the sandbox publishes a reference series for every business day (Monday to Friday) of the world's
life, each day's rates moved by a small deterministic wiggle (at most ±0.6 %, from the date alone),
so a value converted "at the rate of the instant" depends on the instant. Layout: Frankfurter v1
time series (``{"amount": 1, "base": "EUR", "start_date", "end_date", "rates": {day: {code: rate}}}``),
which ``fx.sources.json_provider`` reads; the demo imports it under the source name ``SANDBOX`` so the
rates are never mistaken for a central bank's. These numbers are synthetic.

``convert`` is the sandbox's own arithmetic for its ground truth (amount ÷ EUR/from × EUR/to with the
last published day on or before the date), written independently of ``fx.convert``.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal

from platform_adapters.sandbox.world import REGION_CURRENCY, REGION_USD_RATE

SOURCE = "SANDBOX"
EUR_USD = Decimal("1.0850")
#: units per USD of the currencies owners book in, besides the regions' own (illustrative)
BOOK_USD_RATE = {"USD": Decimal(1), "CNY": Decimal("7.1800"), "HKD": Decimal("7.8100")}


def _usd_rates() -> dict[str, Decimal]:
    rates = {REGION_CURRENCY[region]: rate for region, rate in REGION_USD_RATE.items()}
    rates.update(BOOK_USD_RATE)
    return rates


def _wiggle(day: date, currency: str) -> Decimal:
    digest = hashlib.sha256(f"{day.isoformat()}|{currency}".encode()).digest()
    return Decimal(1) + (Decimal(int.from_bytes(digest[:2], "big")) / Decimal(65535) - Decimal("0.5")) * Decimal(
        "0.012")


def business_days(start: date, end: date) -> list[date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def eur_rates(day: date) -> dict[str, Decimal]:
    """Units of each currency per 1 EUR on ``day`` (a business day), six significant decimals."""
    usd = EUR_USD * _wiggle(day, "USD")
    out = {"USD": usd.quantize(Decimal("0.0001"))}
    for code, per_usd in sorted(_usd_rates().items()):
        if code != "USD":
            value = per_usd * usd * _wiggle(day, code)
            out[code] = value.quantize(Decimal("0.0001")) if value < 1000 else value.quantize(Decimal("1"))
    return out


def series(start: date, end: date) -> dict:
    """The Frankfurter v1 time-series document for the business days of ``start``..``end``."""
    days = business_days(start, end)
    return {"amount": 1, "base": "EUR", "start_date": days[0].isoformat() if days else start.isoformat(),
            "end_date": days[-1].isoformat() if days else end.isoformat(),
            "rates": {d.isoformat(): {k: str(v) for k, v in eur_rates(d).items()} for d in days}}


def series_json(start: date, end: date) -> bytes:
    return json.dumps(series(start, end), indent=1).encode()


def published_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def convert(amount: Decimal, currency: str, to: str, on: date) -> Decimal:
    """``amount`` of ``currency`` in ``to`` at the rates last published on or before ``on``."""
    if currency == to:
        return amount
    rates = eur_rates(published_on_or_before(on))
    rates["EUR"] = Decimal(1)
    return amount / rates[currency] * rates[to]
