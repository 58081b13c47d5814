"""Frankfurter-style JSON rate APIs (v1 single day, v1 time series, v2 record list).

Numbers are decoded straight into ``Decimal`` (``parse_float=Decimal``), never through float.
Layouts (reference/fx_settlement.md §1.4):

* v1 day: ``{"amount": 1.0, "base": "EUR", "date": "2024-01-02", "rates": {"USD": 1.1, …}}``;
  a weekend request answers with the previous business day, and ``date`` says which.
* v1 series: ``{"amount", "base", "start_date", "end_date", "rates": {"2024-01-02": {…}, …}}``.
* v2: ``[{"date": …, "base": …, "quote": …, "rate": …}, …]``.

``amount`` other than 1 means the rates are for that many base units (kept as the rate's unit).
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from fx.rates import InvalidRate, Rate, Side
from fx.sources.base import ParsedRates, ParseProblem, SourceFormatError
from fx.sources.ecb import payload_reference

SOURCE = "FRANKFURTER"
DEFAULT_URL = "https://api.frankfurter.dev/v1"


def _unit(amount: Any, problems: list[ParseProblem]) -> int | None:
    if amount is None:
        return 1
    try:
        value = Decimal(str(amount))
    except Exception:  # noqa: BLE001 - any unreadable amount is reported, not raised
        value = Decimal(-1)
    if value <= 0 or value != value.to_integral_value():
        problems.append(ParseProblem("amount", "amount must be a positive whole number", str(amount)))
        return None
    return int(value)


def _add(result: ParsedRates, base: str, quote: str, raw: Any, day_text: Any, unit: int,
         source: str, reference: str, location: str) -> None:
    try:
        day = date.fromisoformat(str(day_text))
    except ValueError:
        result.problems.append(ParseProblem(location, "not an ISO date", str(day_text)))
        return
    if isinstance(raw, bool) or not isinstance(raw, (Decimal, int, str)):
        result.problems.append(ParseProblem(location, "rate is not a number", repr(raw)))
        return
    try:
        value = Decimal(raw)
        result.rates.append(Rate(str(base).upper(), str(quote).upper(), value, day, source, Side.MID,
                                 unit, reference))
    except (InvalidRate, ArithmeticError, ValueError) as exc:
        result.problems.append(ParseProblem(location, str(exc), str(raw)))


def parse(payload: bytes, *, source: str = SOURCE, reference: str | None = None) -> ParsedRates:
    """Parse a Frankfurter v1 (day or series) or v2 response."""
    reference = reference or payload_reference(payload)
    try:
        document = json.loads(payload, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"not JSON: {exc}") from exc
    result = ParsedRates(source)
    if isinstance(document, list):
        for index, record in enumerate(document):
            if not isinstance(record, dict) or not {"date", "base", "quote", "rate"} <= record.keys():
                result.problems.append(ParseProblem(f"[{index}]", "record needs date, base, quote, rate"))
                continue
            _add(result, record["base"], record["quote"], record["rate"], record["date"], 1, source,
                 reference, f"[{index}]")
        return result
    if not isinstance(document, dict) or "rates" not in document or "base" not in document:
        raise SourceFormatError("JSON has neither a list of records nor 'base' and 'rates'")
    unit = _unit(document.get("amount"), result.problems)
    if unit is None:
        return result
    base, rates = document["base"], document["rates"]
    if "date" in document and isinstance(rates, dict):
        for quote, raw in rates.items():
            _add(result, base, quote, raw, document["date"], unit, source, reference, f"rates.{quote}")
    elif isinstance(rates, dict):
        for day_text, day_rates in rates.items():
            if not isinstance(day_rates, dict):
                result.problems.append(ParseProblem(f"rates.{day_text}", "expected an object of rates"))
                continue
            for quote, raw in day_rates.items():
                _add(result, base, quote, raw, day_text, unit, source, reference, f"rates.{day_text}.{quote}")
    else:
        raise SourceFormatError("'rates' must be an object")
    return result


def fetch(on: date | None = None, *, base: str = "EUR", symbols: list[str] | None = None,
          url: str = DEFAULT_URL, **http_options: object) -> bytes:
    """GET ``{url}/{date|latest}?base=…&symbols=…`` from a Frankfurter-compatible server."""
    from fx.sources.http import get_bytes

    params: dict[str, str] = {"base": base}
    if symbols:
        params["symbols"] = ",".join(symbols)
    path = on.isoformat() if on else "latest"
    return get_bytes(f"{url.rstrip('/')}/{path}", params=params, **http_options)
