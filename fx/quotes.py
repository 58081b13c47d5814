"""Provider FX quotes (Airwallex-style) mapped to rate locks; pure, no network.

An executable quote says: sell one currency, buy another, one side's amount fixed (the *dealt*
currency), at ``client_rate`` for ``currency_pair`` (``USDCNY`` = CNY per 1 USD), valid from/to,
single or multi use (reference/fx_settlement.md §3.2). The rate is kept in the provider's
direction (the lock's ``rate_base``), never inverted. Amounts are decoded as Decimal.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from fx.locks import LockError, LockUsage, RateLock, create_from_quote
from fx.money import Money, to_decimal


class QuoteFormatError(LockError):
    """The quote misses a field or carries an unusable value; the message names the field."""


def _field(quote: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if quote.get(name) not in (None, ""):
            return quote[name]
    raise QuoteFormatError(f"quote has no {' / '.join(names)}")


def _moment(quote: Mapping[str, Any], *names: str) -> datetime:
    raw = _field(quote, *names)
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError as exc:
        raise QuoteFormatError(f"{names[0]} is not an ISO date-time: {raw!r}") from exc
    if moment.utcoffset() is None:
        raise QuoteFormatError(f"{names[0]} has no time zone: {raw!r}")
    return moment


def _decimal(quote: Mapping[str, Any], *names: str) -> Decimal:
    raw = _field(quote, *names)
    try:
        return to_decimal(raw)  # str, int or Decimal; a float is refused
    except (TypeError, ValueError) as exc:
        raise QuoteFormatError(f"{names[0]} is not a decimal: {raw!r}") from exc


def lock_from_quote(quote: Mapping[str, Any], *, lock_id: str | None = None, provider: str = "AIRWALLEX",
                    tolerance: Decimal | str = Decimal(0)) -> RateLock:
    """Map one quote object (``FxQuoteDto``-like dict) to a ``RateLock`` of kind QUOTE."""
    sell = str(_field(quote, "sell_currency")).upper()
    buy = str(_field(quote, "buy_currency")).upper()
    dealt = str(quote.get("dealt_currency") or sell).upper()
    if dealt not in (sell, buy):
        raise QuoteFormatError(f"dealt_currency {dealt} is neither {sell} nor {buy}")
    pair = str(quote.get("currency_pair") or f"{sell}{buy}").replace("/", "").upper()
    if len(pair) != 6 or {pair[:3], pair[3:]} != {sell, buy}:
        raise QuoteFormatError(f"currency_pair {pair!r} does not match {sell}/{buy}")
    amount = _decimal(quote, "sell_amount" if dealt == sell else "buy_amount")
    usage_text = str(quote.get("usage") or "SINGLE_USE").upper()
    try:
        usage = LockUsage(usage_text.lower())
    except ValueError as exc:
        raise QuoteFormatError(f"usage {usage_text!r} is neither SINGLE_USE nor MULTI_USE") from exc
    quote_id = str(_field(quote, "quote_id", "id"))
    mid = quote.get("mid_rate")
    return create_from_quote(
        lock_id or quote_id, provider=provider, quote_id=quote_id, sell_currency=sell, buy_currency=buy,
        client_rate=_decimal(quote, "client_rate"), notional=Money(amount, dealt),
        valid_from=_moment(quote, "valid_from_at", "valid_from"), valid_to=_moment(quote, "valid_to_at", "valid_to"),
        mid_rate=None if mid in (None, "") else _decimal(quote, "mid_rate"), usage=usage, tolerance=tolerance,
        rate_base=pair[:3])


def lock_from_quote_json(payload: bytes, **options: Any) -> RateLock:
    """Decode a quote response (numbers as Decimal, never float) and map it; ``data`` envelopes are unwrapped."""
    try:
        document = json.loads(payload, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise QuoteFormatError(f"quote is not JSON: {exc}") from exc
    if isinstance(document, dict) and isinstance(document.get("data"), dict):
        document = document["data"]
    if not isinstance(document, dict):
        raise QuoteFormatError("quote must be a JSON object")
    return lock_from_quote(document, **options)
