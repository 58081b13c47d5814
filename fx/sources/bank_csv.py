"""Bank quote boards as CSV: bid / ask / mid per currency with a unit multiplier.

A board quotes foreign currencies in the bank's home currency, usually per 100 units (Bank of
China 外汇牌价: 现汇买入价 spot bid, 现汇卖出价 spot ask, 中行折算价 conversion/mid; reference
§1.3). Headers are matched by alias (English or Chinese); each row yields one ``Rate`` per side
present, ``base`` = the foreign currency, ``quote`` = the home currency, ``unit`` from a ``unit``
column or the board default. Dates/times are local to the bank (``tz``) and stored as UTC.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from fx.rates import InvalidRate, Rate, Side
from fx.sources.base import ParsedRates, ParseProblem, SourceFormatError
from fx.sources.ecb import payload_reference

SOURCE = "BANK_CSV"

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "currency": ("currency", "ccy", "code", "货币名称", "币种"),
    "unit": ("unit", "units", "per", "单位"),
    "bid": ("bid", "buy", "we buy", "spot buying", "现汇买入价"),
    "ask": ("ask", "sell", "we sell", "spot selling", "现汇卖出价"),
    "mid": ("mid", "middle", "mean", "conversion", "中行折算价", "折算价"),
    "date": ("date", "rate date", "发布日期"),
    "time": ("time", "发布时间"),
}
#: Chinese board names of the currencies we trade (BOC writes names, not codes).
CHINESE_NAMES = {
    "美元": "USD", "欧元": "EUR", "港币": "HKD", "日元": "JPY", "新加坡元": "SGD", "泰国铢": "THB",
    "泰铢": "THB", "林吉特": "MYR", "马来西亚林吉特": "MYR", "印尼卢比": "IDR", "菲律宾比索": "PHP",
    "越南盾": "VND", "新台币": "TWD", "英镑": "GBP", "澳大利亚元": "AUD", "韩国元": "KRW",
}


def _find_columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, label in enumerate(header):
        key = label.strip().lower()
        for field, aliases in HEADER_ALIASES.items():
            if field not in found and key in aliases:
                found[field] = index
    return found


def _currency(raw: str) -> str:
    text = raw.strip()
    return CHINESE_NAMES.get(text, text.upper())


def _parse_day(raw: str) -> date:
    text = raw.strip().replace("/", "-").replace(".", "-")
    return date.fromisoformat(text[:10])


def parse(payload: bytes, *, home_currency: str, source: str = SOURCE, default_unit: int = 100,
          tz: str = "Asia/Shanghai", reference: str | None = None, on: date | None = None) -> ParsedRates:
    """Parse a bank board CSV into bid/ask/mid rates against ``home_currency``.

    ``on`` supplies the date when the file has no date column.
    """
    reference = reference or payload_reference(payload)
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = payload.decode("gb18030")
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise SourceFormatError("bank CSV is empty")
    columns = _find_columns(rows[0])
    sides = [s for s in ("bid", "ask", "mid") if s in columns]
    if "currency" not in columns or not sides:
        raise SourceFormatError(f"bank CSV needs a currency column and a bid/ask/mid column; header {rows[0]}")
    if "date" not in columns and on is None:
        raise SourceFormatError("bank CSV has no date column; pass the board date")
    zone = ZoneInfo(tz)
    result = ParsedRates(source)
    for line_no, row in enumerate(rows[1:], start=2):
        cell = lambda field: row[columns[field]].strip() if field in columns and columns[field] < len(row) else ""  # noqa: E731
        location = f"line {line_no}"
        code = _currency(cell("currency"))
        try:
            day = _parse_day(cell("date")) if "date" in columns else on
            unit = int(Decimal(cell("unit"))) if cell("unit") else default_unit
        except (ValueError, InvalidOperation) as exc:
            result.problems.append(ParseProblem(location, f"bad date or unit: {exc}", ",".join(row)))
            continue
        published_at = None
        if cell("time"):
            try:
                clock = time.fromisoformat(cell("time"))
                published_at = datetime.combine(day, clock, zone).astimezone(timezone.utc)
            except ValueError:
                result.problems.append(ParseProblem(location, "time is not HH:MM[:SS]", cell("time")))
        for side in sides:
            raw = cell(side).replace(",", "")
            if raw in ("", "-", "N/A"):
                continue
            try:
                result.rates.append(Rate(code, home_currency, Decimal(raw), day, source, Side(side), unit,
                                         reference, published_at))
            except InvalidOperation:
                result.problems.append(ParseProblem(f"{location} {side}", "rate is not a number", raw))
            except InvalidRate as exc:
                result.problems.append(ParseProblem(f"{location} {side}", str(exc), raw))
    return result


def fetch(url: str, **http_options: object) -> bytes:
    """Download a board CSV from a bank-provided URL."""
    from fx.sources.http import get_bytes

    return get_bytes(url, **http_options)
