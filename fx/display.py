"""Rates and amounts for people; storage and arithmetic keep them exact.

Amounts (``format_amount``, also what ``str(Money)`` prints): with their currency's ISO 4217 minor units,
the one way money is printed (CLI tables, reports, the demo). Rates (``rate_text``): rounded to
significant digits when shown.

An ECB cross such as IDR→CNY is 0.0003665863220875583287341117238 when computed; a person reads
0.0003665863 (10 significant digits, enough to recompute any booked amount to the cent for amounts
below 10^8). Exports that must carry the exact rate never use this.
"""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from fx.currencies import minor_units

SIGNIFICANT = 10


def rate_text(value: Decimal | None, significant: int = SIGNIFICANT) -> str:
    """``value`` rounded to ``significant`` digits (half-even), written without exponent or trailing zeros."""
    if value is None:
        return ""
    if value == 0:
        return "0"
    exponent = value.adjusted() - significant + 1
    rounded = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN)
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_amount(amount: object, currency: str | None) -> str:
    """``amount`` as people read it in ``currency``: exactly the currency's ISO 4217 minor-unit digits
    (``873000`` VND, not ``873000.0``; ``12.50`` USD, not ``12.5``), more only when the amount really
    carries finer non-zero digits (a unit cost x a quantity): never rounded here, never in exponent form.
    An unknown or missing currency prints the amount as it is (plain notation)."""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))  # display only: a float as printed
    if not value.is_finite():
        return str(value)
    try:
        digits = minor_units(currency) if currency else None
    except ValueError:  # UnknownCurrency
        digits = None
    text = format(value, "f")  # every digit the amount has, whatever its length: no context rounding
    if digits is not None:  # zeros past the minor units dropped, missing ones added, on the text itself
        whole, _, fraction = text.partition(".")
        fraction = fraction.rstrip("0").ljust(digits, "0")
        text = f"{whole}.{fraction}" if fraction else whole
    return text[1:] if text.startswith("-") and value.is_zero() else text
