"""Value parsers for tabular cells: quantities, decimals, booleans, dates and date-times.

Each parser takes the cell text and returns the value, ``None`` for an empty cell, or raises
``ValueError`` with a reason a user can act on. Local date-times are read in the declared time zone
and returned as aware UTC; a local time with no declared zone is an error, never a guess.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from platform_adapters.canonical.identifiers import to_halfwidth

TRUE_WORDS = {"true", "t", "yes", "y", "1", "是", "有"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "否", "无"}


def _number(text: str, not_a_number: str) -> Decimal | None:
    """The cell as an exact finite Decimal (full-width digits and thousands commas accepted)."""
    text = to_halfwidth(text).strip().replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(not_a_number) from None
    if not number.is_finite():
        raise ValueError("not a finite number")
    return number


@lru_cache(maxsize=4096)
def parse_quantity(text: str) -> int | None:
    """A non-negative whole number ("1,200" and "12.0" accepted; "-3", "1.5", "abc" refused); each distinct
    text parsed once."""
    number = _number(text, "not a number")
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError("not a whole number")
    if number < 0:
        raise ValueError("negative quantity")
    if number > 10**15:
        raise ValueError("quantity too large")
    return int(number)


def parse_signed_int(text: str) -> int | None:
    """A whole number that may be negative (variance columns)."""
    number = _number(text, "not a number")
    if number is None:
        return None
    if number != number.to_integral_value() or abs(number) > 10**15:
        raise ValueError("not a whole number")
    return int(number)


def parse_decimal(text: str) -> Decimal | None:
    """An exact decimal (thousands commas removed)."""
    return _number(text, "not a decimal number")


def parse_bool(text: str, true_values: tuple[str, ...] = (), false_values: tuple[str, ...] = ()) -> bool | None:
    key = to_halfwidth(text).strip().casefold()
    if not key:
        return None
    if key in TRUE_WORDS or key in {v.casefold() for v in true_values}:
        return True
    if key in FALSE_WORDS or key in {v.casefold() for v in false_values}:
        return False
    raise ValueError("not a yes/no value")


def parse_date(text: str, formats: tuple[str, ...] = ()) -> dt.date | None:
    """ISO ``YYYY-MM-DD`` (or a date-time's date part) or one of the profile's ``formats``."""
    text = to_halfwidth(text).strip()
    if not text:
        return None
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 and text[10:11] in ("", "T", " ") else dt.date.fromisoformat(text)
    except ValueError:
        pass
    hint = f" or {', '.join(formats)}" if formats else ""
    raise ValueError(f"not a date (expected YYYY-MM-DD{hint})")


@lru_cache(maxsize=8192)
def parse_datetime(text: str, formats: tuple[str, ...] = (), timezone: str | None = None) -> dt.datetime | None:
    """An instant as aware UTC. Offsets in the text win; otherwise the declared ``timezone`` applies.

    Each distinct (text, formats, zone) is parsed once (a bounded cache): a file repeats its header
    times on every line of a record and many records share a time, and the result is immutable."""
    text = to_halfwidth(text).strip()
    if not text:
        return None
    value: dt.datetime | None = None
    for fmt in formats:
        try:
            value = dt.datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    if value is None:
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            hint = f" or {', '.join(formats)}" if formats else ""
            raise ValueError(f"not a date-time (expected ISO 8601 such as 2026-03-12T14:40:00+08:00{hint})") from None
    if value.tzinfo is None:
        if not timezone:
            raise ValueError("local time without a time zone: declare one with --timezone or the profile's timezone")
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(dt.UTC)
