"""Exchange rates with provenance: one published number, never rounded.

A ``Rate`` says "``unit`` units of ``base`` are worth ``value`` units of ``quote``" on a date, on
one side (bid, ask or mid), as published by ``source`` (with the publisher's own ``reference``).
The value is kept exactly as printed (trailing zeros included); applying a rate multiplies or
divides an amount without ever quantizing the rate itself. Inverses are computed at use time from
the published side, never stored rounded (see reference/fx_settlement.md §4.4).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from fx.currencies import is_known
from fx.money import to_decimal


class Side(str, enum.Enum):
    """Which price: what the bank pays (BID), charges (ASK), the middle (MID), or a dealt CLIENT rate."""

    BID = "bid"
    ASK = "ask"
    MID = "mid"
    CLIENT = "client"

    @classmethod
    def parse(cls, value: str) -> "Side":
        key = value.strip().lower()
        aliases = {"buy": "bid", "sell": "ask", "middle": "mid", "mean": "mid"}
        return cls(aliases.get(key, key))


class InvalidRate(ValueError):
    """A rate that cannot be used: not positive, unknown currency, bad unit or naive time."""


@dataclass(frozen=True, slots=True)
class Rate:
    """``unit`` ``base`` = ``value`` ``quote`` on ``on``, from ``source``; never rounded."""

    base: str
    quote: str
    value: Decimal
    on: date
    source: str
    side: Side = Side.MID
    unit: int = 1
    reference: str | None = None
    published_at: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal):
            object.__setattr__(self, "value", to_decimal(self.value))
        if not self.value.is_finite() or self.value <= 0:
            raise InvalidRate(f"{self.base}/{self.quote} rate must be positive, got {self.value}")
        for code in (self.base, self.quote):
            if not is_known(code):
                raise InvalidRate(f"unknown currency {code!r} in rate {self.base}/{self.quote}")
        if self.base == self.quote:
            raise InvalidRate(f"a rate needs two different currencies, got {self.base}/{self.quote}")
        if isinstance(self.unit, bool) or not isinstance(self.unit, int) or self.unit <= 0:
            raise InvalidRate(f"unit must be a positive int, got {self.unit!r}")
        if isinstance(self.on, datetime) or not isinstance(self.on, date):
            raise InvalidRate(f"rate date must be a date, got {self.on!r}")
        if self.published_at is not None and self.published_at.utcoffset() is None:
            raise InvalidRate("published_at must be timezone-aware")
        if not isinstance(self.side, Side):
            object.__setattr__(self, "side", Side.parse(str(self.side)))
        if not self.source:
            raise InvalidRate("a rate needs a source")

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"

    def per_unit(self) -> Decimal:
        """Quote units for ONE base unit. Exact for the usual units (1, 10, 100, 1000...)."""
        if self.unit == 1:
            return self.value
        return self.value / Decimal(self.unit)

    def apply(self, amount: Decimal) -> Decimal:
        """Convert an amount of ``base`` into ``quote``: amount × value ÷ unit."""
        if self.unit == 1:
            return amount * self.value
        return amount * self.value / Decimal(self.unit)

    def apply_inverse(self, amount: Decimal) -> Decimal:
        """Convert an amount of ``quote`` into ``base``: amount ÷ value × unit."""
        if self.unit == 1:
            return amount / self.value
        return amount / self.value * Decimal(self.unit)

    def describe(self) -> str:
        per = f"{self.unit} " if self.unit != 1 else "1 "
        ref = f" ref {self.reference}" if self.reference else ""
        return f"{per}{self.base} = {self.value} {self.quote} ({self.source} {self.side.value} {self.on}{ref})"
