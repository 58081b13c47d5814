"""Rates for people: rounded to significant digits when shown; storage and arithmetic keep them exact.

An ECB cross such as IDR→CNY is 0.0003665863220875583287341117238 when computed; a person reads
0.0003665863 (10 significant digits, enough to recompute any booked amount to the cent for amounts
below 10^8). Exports that must carry the exact rate never use this.
"""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

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
