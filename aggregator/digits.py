"""Numbers written as digits by someone outside (a header, a path, an option): ASCII 0–9 only, bounded.

``str.isdigit`` is also true of '²', '¹' and the other Unicode digits, which ``int`` then refuses (a
``ValueError`` where a refusal was meant: a 500 at the API) or reads as another number (Arabic-Indic '٣' is 3),
and ``int`` of a few thousand digits is refused too. ``digits_value`` takes only what a person or a client
means as a number.
"""
from __future__ import annotations


def ascii_digits(text: str) -> bool:
    """True when ``text`` is one or more ASCII digits and nothing else."""
    return text.isascii() and text.isdigit()


def digits_value(text: str, max_digits: int) -> int | None:
    """``text`` as a non-negative int when it is 1 to ``max_digits`` ASCII digits; else None."""
    return int(text) if len(text) <= max_digits and ascii_digits(text) else None
