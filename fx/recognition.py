"""The recognition journal of a marketplace statement: revenue and fees at the recognition rate,
against one receivable in book currency (reference/fx_settlement.md §6.7, first sample journal).

Statement lines are signed from the seller's side (income +, fees −); their net is the receivable.
Each line is converted at the receivable's carrying rate and rounded on its own; whatever the
rounding leaves between the lines and the receivable goes to an explicit ROUNDING line, so the
journal always balances and every line shows the exact rate it used.

**The default chart** (``DEFAULT_CHART``, CAS-style codes as in the reference export
``samples/settlement_export.sample.csv``) is keyed by the canonical fee taxonomy's values
(``platform_adapters.canonical.settlement.FeeCategory``, the only kinds the mappers emit; ``PAYOUT``
lines are never recognised). A line's journal side follows its sign (income credited, charges debited):

=====================  ========  ==========================================================
kind                   account   why
=====================  ========  ==========================================================
REVENUE                6001      sales revenue (主营业务收入)
SHIPPING_BUYER_PAID    6001      shipping the buyer paid: part of the sale's consideration
VOUCHER_PLATFORM       6001      discount the platform funds and credits back: consideration
                                 a third party pays for the buyer, revenue-side
VOUCHER_SELLER         6001      discount the seller funds: contra-revenue (a debit to 6001)
REFUND                 6001      goods refunded: contra-revenue
COMMISSION             6601.01   marketplace commission (销售费用)
TRANSACTION_FEE        6601.02   payment / transaction fees
SERVICE_FEE            6601.03   programme, fulfilment, handling fees
SHIPPING_CHARGED       6601.04   shipping the platform or its carrier charges
SHIPPING_REBATE        6601.04   shipping subsidies and claims: reduce the shipping expense
MARKETING_FEE          6601.05   ads, affiliate, campaign charges
ADJUSTMENT             6601.99   later corrections, penalties, compensations
OTHER                  6601.99   a platform type the mappers do not know (counted when mapped),
                                 to be reclassified by hand
TAX_WITHHELD           2221      tax the platform withholds for the seller: a debit to taxes
                                 (应交税费), i.e. tax prepaid / creditable, not an expense
RESERVE_HELD           1221      money the platform holds back: still owed to the seller, an
                                 other receivable (其他应收款) until released
RESERVE_RELEASED       1221      a reserve paid back: clears that receivable
=====================  ========  ==========================================================

An entity with another chart passes its own ``RecognitionAccounts(by_kind=…)`` (to
``recognition_journal`` and ``aggregator.fx_service.statements.recognise_statement``). There is no
catch-all account: a line whose kind the chart does not name is refused (``UnmappedKind``, naming the
kind and the line), never booked to a default account.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP
from types import MappingProxyType

from fx.gains import OpenItem
from fx.journal import Journal, JournalLine
from fx.money import CurrencyMismatch, Money


@dataclass(frozen=True, slots=True)
class StatementPart:
    """One statement line: its kind (REVENUE, COMMISSION…: a ``FeeCategory`` value), signed amount, label and id."""

    kind: str
    amount: Money
    label: str
    line_id: str


#: Account per canonical statement-line kind (the table in the module docstring says why).
DEFAULT_CHART: Mapping[str, str] = MappingProxyType({
    "REVENUE": "6001", "SHIPPING_BUYER_PAID": "6001", "VOUCHER_PLATFORM": "6001", "VOUCHER_SELLER": "6001",
    "REFUND": "6001",
    "COMMISSION": "6601.01", "TRANSACTION_FEE": "6601.02", "SERVICE_FEE": "6601.03",
    "SHIPPING_CHARGED": "6601.04", "SHIPPING_REBATE": "6601.04", "MARKETING_FEE": "6601.05",
    "ADJUSTMENT": "6601.99", "OTHER": "6601.99",
    "TAX_WITHHELD": "2221",
    "RESERVE_HELD": "1221", "RESERVE_RELEASED": "1221",
})


class UnmappedKind(ValueError):
    """A statement line whose kind the chart names no account for."""


@dataclass(frozen=True, slots=True)
class RecognitionAccounts:
    """Account per statement-line kind (``DEFAULT_CHART``; configure per entity). No catch-all."""

    by_kind: Mapping[str, str] = field(default_factory=lambda: DEFAULT_CHART)
    rounding: str = "6603.09"

    def for_kind(self, kind: str) -> str:
        try:
            return self.by_kind[kind]
        except KeyError:
            raise UnmappedKind(f"no account for statement lines of kind {kind!r} in the chart "
                               f"(it names {', '.join(sorted(self.by_kind))})") from None


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
    unmapped = [part for part in parts if part.kind not in accounts.by_kind]
    if unmapped:
        raise UnmappedKind(f"no account for statement line(s) {', '.join(f'{p.line_id} ({p.kind})' for p in unmapped)}"
                           f" in the chart (it names {', '.join(sorted(accounts.by_kind))}); nothing booked")
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
