"""ISO 4217 currency facts: minor units (exponent) and cash digits.

Minor units come from the maintained ``iso4217`` data package; the cash-practice overrides below
are the exceptions where marketplaces and banks book fewer digits than ISO publishes (IDR and TWD
have 2 minor units in ISO 4217 but are settled in whole units; see reference/fx_settlement.md §2.1).
"""
from __future__ import annotations

from functools import lru_cache

import iso4217

#: Currencies whose cash / settlement practice uses fewer digits than ISO 4217 lists.
CASH_DIGITS_OVERRIDES: dict[str, int] = {"IDR": 0, "TWD": 0}


class UnknownCurrency(ValueError):
    """Raised for a code that is not an active ISO 4217 currency."""


@lru_cache(maxsize=None)
def minor_units(code: str) -> int:
    """The ISO 4217 exponent of ``code`` (e.g. 2 for USD, 0 for VND and JPY)."""
    try:
        currency = iso4217.Currency(code)
    except (ValueError, KeyError) as exc:
        raise UnknownCurrency(f"unknown currency code {code!r}") from exc
    exponent = currency.exponent
    return 0 if exponent is None else int(exponent)


def minor_units_other_than_two() -> dict[str, int]:
    """Every active ISO 4217 code whose minor units are not 2 (``VND``: 0, ``BHD``: 3): what a client needs
    besides the default to write amounts as the server does (``fx.display.format_amount``)."""
    table = {currency.code: minor_units(currency.code) for currency in iso4217.Currency}
    return {code: digits for code, digits in sorted(table.items()) if digits != 2}


def cash_digits(code: str) -> int:
    """Digits used when a marketplace or bank actually settles ``code`` in cash."""
    return CASH_DIGITS_OVERRIDES.get(code, minor_units(code))


def table_published() -> str:
    """Publication date of the ISO 4217 table the minor units come from (e.g. ``2026-01-01``)."""
    return str(iso4217.raw_xml.attrib.get("Pblshd", "unknown"))


def is_known(code: str) -> bool:
    try:
        minor_units(code)
    except UnknownCurrency:
        return False
    return True
