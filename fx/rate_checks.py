"""Plausibility checks on published rates: flag a rate that jumps too far from the one before it.

A publisher's typo (a misplaced decimal point, a per-100 quote read as per-1) shows up as a huge
move between consecutive fixings. The check flags, it never corrects or drops: the caller stores
the rate and raises the flag for a person to look at (Odoo warns at 20 %).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from fx.rates import Rate

SeriesKey = tuple[str, str, str, str, int]  # source, base, quote, side, unit

DEFAULT_THRESHOLD = Decimal("0.20")


def series_key(rate: Rate) -> SeriesKey:
    return (rate.source, rate.base, rate.quote, rate.side.value, rate.unit)


@dataclass(frozen=True, slots=True)
class RateJump:
    previous: Rate
    current: Rate
    change: Decimal  # relative: 0.25 = +25 %

    def describe(self) -> str:
        return (f"{self.current.source} {self.current.pair} moved {self.change * 100:+.1f}% from "
                f"{self.previous.value} on {self.previous.on} to {self.current.value} on {self.current.on}")


def large_moves(rates: Iterable[Rate], *, previous: Mapping[SeriesKey, Rate] | None = None,
                threshold: Decimal = DEFAULT_THRESHOLD) -> list[RateJump]:
    """Consecutive fixings of one series that differ by more than ``threshold`` (relative)."""
    last: dict[SeriesKey, Rate] = dict(previous or {})
    jumps: list[RateJump] = []
    for rate in sorted(rates, key=lambda r: (series_key(r), r.on)):
        key = series_key(rate)
        before = last.get(key)
        if before is not None and before.on < rate.on:
            change = rate.value / before.value - 1
            if abs(change) > threshold:
                jumps.append(RateJump(before, rate, change))
        last[key] = rate
    return jumps
