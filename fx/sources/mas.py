"""MAS (Monetary Authority of Singapore) daily exchange rates: SGD per 1 or per 100 units.

The free official table that covers VND and TWD. The CSV download has a preamble, then a header
row starting ``End of Period`` whose currency columns name the currency and its unit (EUR, GBP,
USD per 1 unit; the others per 100 units), then data rows ``year, month, day, values…`` where the
year and month are written only when they change. Rates keep the publisher's direction and unit:
``Rate(base=THB, quote=SGD, value=<printed>, unit=100)``.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from typing import TYPE_CHECKING

from fx.rates import InvalidRate, Rate, Side
from fx.sources.base import ParsedRates, ParseProblem, SourceFormatError
from fx.sources.ecb import payload_reference

if TYPE_CHECKING:
    import httpx

SOURCE = "MAS"
QUOTE = "SGD"
URL = "https://eservices.mas.gov.sg/statistics/msb/ExchangeRates.aspx"

#: Column name fragment → (ISO code, default unit) as MAS labels them.
COLUMNS: dict[str, tuple[str, int]] = {
    "Euro": ("EUR", 1), "Pound Sterling": ("GBP", 1), "US Dollar": ("USD", 1),
    "Australian Dollar": ("AUD", 100), "Canadian Dollar": ("CAD", 100),
    "Chinese Renminbi": ("CNY", 100), "Hong Kong Dollar": ("HKD", 100),
    "Indian Rupee": ("INR", 100), "Indonesian Rupiah": ("IDR", 100), "Japanese Yen": ("JPY", 100),
    "Korean Won": ("KRW", 100), "Malaysian Ringgit": ("MYR", 100),
    "New Taiwan Dollar": ("TWD", 100), "New Zealand Dollar": ("NZD", 100),
    "Philippine Peso": ("PHP", 100), "Qatar Riyal": ("QAR", 100),
    "Saudi Arabia Riyal": ("SAR", 100), "Swiss Franc": ("CHF", 100), "Thai Baht": ("THB", 100),
    "UAE Dirham": ("AED", 100), "Vietnamese Dong": ("VND", 100),
}
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_PER_100 = re.compile(r"per\s*100", re.IGNORECASE)
_PER_1 = re.compile(r"per\s*(1\b|unit)", re.IGNORECASE)


def _header_columns(header: list[str]) -> dict[int, tuple[str, int]]:
    columns: dict[int, tuple[str, int]] = {}
    for index, label in enumerate(header):
        for fragment, (code, default_unit) in COLUMNS.items():
            if fragment.lower() in label.lower():
                unit = 100 if _PER_100.search(label) else 1 if _PER_1.search(label) else default_unit
                columns[index] = (code, unit)
                break
    return columns


def parse(payload: bytes, *, reference: str | None = None) -> ParsedRates:
    """Parse a MAS daily exchange-rate CSV download."""
    reference = reference or payload_reference(payload)
    text = payload.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    header_at = next((i for i, row in enumerate(rows) if row and row[0].strip().startswith("End of Period")), None)
    if header_at is None:
        raise SourceFormatError("no header row starting with 'End of Period'; is this a MAS exchange-rate CSV?")
    columns = _header_columns(rows[header_at])
    if not columns:
        raise SourceFormatError("MAS header names no known currency column")
    result = ParsedRates(SOURCE)
    year: int | None = None
    month: int | None = None
    for line_no, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        if len(row) < 4 or not any(cell.strip() for cell in row):
            continue
        year_cell, month_cell, day_cell = (row[0].strip(), row[1].strip(), row[2].strip())
        try:
            if year_cell:
                year = int(year_cell)
            if month_cell:
                month = _MONTHS[month_cell[:3].lower()]
            if not day_cell:
                continue
            if year is None or month is None:
                raise ValueError("year or month not given yet")
            day = date(year, month, int(day_cell))
        except (ValueError, KeyError) as exc:
            result.problems.append(ParseProblem(f"line {line_no}", f"no usable date: {exc}", ",".join(row[:3])))
            continue
        for index, (code, unit) in columns.items():
            raw = row[index].strip() if index < len(row) else ""
            if raw in ("", "-", "N/A", "na"):
                continue
            location = f"line {line_no} {code}"
            try:
                value = Decimal(raw.replace(",", ""))
                if value == 0:
                    continue  # MAS writes 0 for "not published that day"
                result.rates.append(Rate(code, QUOTE, value, day, SOURCE, Side.MID, unit, reference))
            except InvalidOperation:
                result.problems.append(ParseProblem(location, "rate is not a number", raw))
            except InvalidRate as exc:
                result.problems.append(ParseProblem(location, str(exc), raw))
    return result


def fetch(start: date, end: date, *, client: "httpx.Client | None" = None, **http_options: object) -> bytes:
    """Download the daily table for whole months ``start``..``end`` (ASP.NET form: GET, then POST).

    One client carries the session cookies from the GET to the POST.
    """
    from fx.sources.http import new_client, request_bytes

    if client is None:
        with new_client() as own:
            return fetch(start, end, client=own, **http_options)

    page = request_bytes("GET", URL, client=client, **http_options)
    form: dict[str, str] = {}
    for name in ("__VIEWSTATE", "__VIEWSTATEGENERATOR", "__EVENTVALIDATION"):
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page.text)
        if match:
            form[name] = match.group(1)
    prefix = "ctl00$ContentPlaceHolder1$"
    form.update({
        f"{prefix}StartYearDropDownList": str(start.year), f"{prefix}EndYearDropDownList": str(end.year),
        f"{prefix}StartMonthDropDownList": str(start.month), f"{prefix}EndMonthDropDownList": str(end.month),
        f"{prefix}FrequencyDropDownList": "D", f"{prefix}DownloadButton": "Download",
    })
    for i in range(3):
        form[f"{prefix}EndOfPeriodPerUnitCheckBoxList${i}"] = "on"
    for i in range(18):
        form[f"{prefix}EndOfPeriodPer100UnitsCheckBoxList${i}"] = "on"
    return request_bytes("POST", URL, data=form, client=client, **http_options).content
