"""Allocation of a money total over weighted parts by largest remainder.

Used to spread fees, rounding residue or a payout over lines: each part is rounded down to the
currency's minor units, then the leftover minor units go one by one to the parts with the largest
remainders (ties to the earlier part), so the parts always sum exactly to the total.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from fx.currencies import cash_digits, minor_units
from fx.money import Money, to_decimal


class AllocationError(ValueError):
    """Weights that cannot split a total (none, negative, all zero) or a total finer than its unit."""


def allocate(total: Money, weights: Sequence[Decimal | int | str], *, cash: bool = False) -> list[Money]:
    """Split ``total`` in proportion to ``weights``; the parts sum exactly to ``total``.

    ``total`` must already be expressed in whole minor units (cash digits when ``cash``); a total
    with finer digits is refused instead of being silently rounded.
    """
    if not weights:
        raise AllocationError("no weights to allocate over")
    parsed = [to_decimal(w) for w in weights]
    if any(w < 0 for w in parsed):
        raise AllocationError("weights must not be negative")
    if all(w == 0 for w in parsed):
        raise AllocationError("weights sum to zero")

    digits = cash_digits(total.currency) if cash else minor_units(total.currency)
    quantum = Decimal(1).scaleb(-digits)
    units_total = total.amount / quantum
    if units_total != units_total.to_integral_value():
        raise AllocationError(f"{total} has more digits than {total.currency} allows ({digits})")
    sign = -1 if units_total < 0 else 1
    units = int(abs(units_total))

    # Exact integer arithmetic: scale the weights to integers so no division ever rounds.
    scale = max(-w.as_tuple().exponent for w in parsed)
    scale = max(scale, 0)
    int_weights = [int(w.scaleb(scale)) for w in parsed]
    denominator = sum(int_weights)
    floors = [units * w // denominator for w in int_weights]
    remainders = [units * w % denominator for w in int_weights]
    leftover = units - sum(floors)
    order = sorted(range(len(floors)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    return [Money((Decimal(sign * n) * quantum).quantize(quantum), total.currency) for n in floors]
