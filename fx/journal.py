"""Balanced journal entries in book currency, with the rate and rounding mode of every line.

One ``JournalLine`` is one double-entry line: a signed book amount (+ debit, − credit), the
original foreign amount it came from, the exact rate used, where that rate came from, and a stable
idempotency key. A ``Journal`` refuses to exist unbalanced (reference/fx_settlement.md §6.7).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fx.money import Money


class UnbalancedJournal(ValueError):
    """The lines of a journal do not sum to zero in book currency."""


@dataclass(frozen=True, slots=True)
class JournalLine:
    account: str
    amount: Money  # book currency, + debit / − credit, already rounded
    line_type: str  # RECEIVABLE, CASH_IN, RECEIVABLE_CLEAR, FX_REALIZED, FX_UNREALIZED, ...
    idem_key: str
    original: Money | None = None
    rate: Decimal | None = None  # book units per 1 original unit, unrounded
    rate_source: str | None = None
    rate_ref: str | None = None
    memo: str = ""

    @property
    def debit(self) -> Decimal:
        return self.amount.amount if self.amount.amount > 0 else Decimal(0)

    @property
    def credit(self) -> Decimal:
        return -self.amount.amount if self.amount.amount < 0 else Decimal(0)


@dataclass(frozen=True, slots=True)
class Journal:
    journal_id: str
    on: date
    book_currency: str
    lines: tuple[JournalLine, ...]
    rounding: str  # the decimal rounding mode used for every line (e.g. ROUND_HALF_UP)
    memo: str = ""

    def __post_init__(self) -> None:
        if not self.lines:
            raise UnbalancedJournal(f"journal {self.journal_id} has no lines")
        total = Money.zero(self.book_currency)
        for line in self.lines:
            total = total + line.amount  # raises CurrencyMismatch on a foreign line
        if not total.is_zero():
            raise UnbalancedJournal(f"journal {self.journal_id} is off by {total}")
        keys = [line.idem_key for line in self.lines]
        if len(set(keys)) != len(keys):
            raise UnbalancedJournal(f"journal {self.journal_id} repeats an idempotency key")

    def reversed(self, journal_id: str, on: date, memo: str) -> "Journal":
        """The mirror entry (every amount negated), e.g. the start-of-period reversal of a revaluation."""
        lines = tuple(
            JournalLine(line.account, -line.amount, line.line_type, f"{line.idem_key}:REV", line.original,
                        line.rate, line.rate_source, line.rate_ref, f"reversal: {line.memo}")
            for line in self.lines)
        return Journal(journal_id, on, self.book_currency, lines, self.rounding, memo)
