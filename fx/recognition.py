"""The recognition journal of a marketplace statement: revenue and fees at the recognition rate,
against one receivable in book currency (reference/fx_settlement.md §6.7, first sample journal).

Statement lines are signed from the seller's side (income +, fees −); their net is the receivable.
Each line is converted at the receivable's carrying rate and rounded on its own; whatever the
rounding leaves between the lines and the receivable goes to an explicit ROUNDING line, so the
journal always balances and every line shows the exact rate it used.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP

from fx.gains import OpenItem
from fx.journal import Journal, JournalLine
from fx.money import CurrencyMismatch, Money


@dataclass(frozen=True, slots=True)
class StatementPart:
    """One statement line: its kind (ORDER_INCOME, COMMISSION…), signed amount, label and own id."""

    kind: str
    amount: Money
    label: str
    line_id: str


@dataclass(frozen=True, slots=True)
class RecognitionAccounts:
    """Account per statement-line kind (CAS-style defaults; configure per entity)."""

    by_kind: Mapping[str, str] = field(default_factory=lambda: {
        "ORDER_INCOME": "6001", "REFUND": "6001", "VOUCHER": "6001",
        "COMMISSION": "6601.01", "TRANSACTION_FEE": "6601.02", "SERVICE_FEE": "6601.03",
        "SHIPPING_FEE": "6601.04", "WITHHOLDING_TAX": "2221", "ADJUSTMENT": "6601.99",
    })
    default: str = "6601.99"
    rounding: str = "6603.09"

    def for_kind(self, kind: str) -> str:
        return self.by_kind.get(kind, self.default)


def net_of(parts: Sequence[StatementPart]) -> Money:
    """The receivable a statement creates: the sum of its signed lines (one currency)."""
    if not parts:
        raise ValueError("a statement needs at least one line")
    total = Money.zero(parts[0].amount.currency)
    for part in parts:
        total = total + part.amount  # raises CurrencyMismatch on a mixed statement
    return total


def recognition_journal(item: OpenItem, parts: Sequence[StatementPart], *, journal_id: str, on: date,
                        idem_prefix: str, accounts: RecognitionAccounts = RecognitionAccounts(),
                        rounding: str = ROUND_HALF_UP) -> Journal:
    """Receivable (debit) against each statement line at the item's carrying rate, balanced."""
    if net_of(parts) != item.original:
        raise ValueError(f"statement lines sum to {net_of(parts)}, the receivable is {item.original}")
    book = item.carrying.currency
    lines = [JournalLine(item.account, item.carrying, "RECEIVABLE", f"{idem_prefix}:AR", item.original,
                         item.carrying_rate, item.rate_source, item.rate_ref, "marketplace receivable")]
    for part in parts:
        if part.amount.currency != item.original.currency:
            raise CurrencyMismatch(f"line {part.line_id} is in {part.amount.currency}, not {item.original.currency}")
        booked = Money(-part.amount.amount * item.carrying_rate, book).round(rounding)
        lines.append(JournalLine(accounts.for_kind(part.kind), booked, part.kind, f"{idem_prefix}:{part.line_id}",
                                 -part.amount, item.carrying_rate, item.rate_source, item.rate_ref, part.label))
    residue = Money.zero(book)
    for line in lines:
        residue = residue + line.amount
    if not residue.is_zero():
        lines.append(JournalLine(accounts.rounding, -residue, "ROUNDING", f"{idem_prefix}:ROUNDING", None, None,
                                 "DERIVED", None, "per-line rounding difference"))
    return Journal(journal_id, on, book, tuple(lines), rounding)
