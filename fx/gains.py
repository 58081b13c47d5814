"""Exchange gains and losses on foreign-currency receivables (IAS 21 / ASC 830 / CAS 19 in substance).

* Recognition: an open item is booked at the transaction-date rate, or at a period average when
  the policy says so (``period_average``); its book value is the *carrying amount*.
* Realized: when a payout settles (part of) an item, the cash in book currency (at the locked
  client rate or the actual conversion rate) minus the carrying amount cleared is the realized
  gain (+) or loss (−), booked as a balanced journal.
* Unrealized: at month end every open item is revalued at the closing rate (the last rate
  published on or before the period end); the difference to the carrying amount is booked on the
  last day of the month and reversed on the first day of the next.

Amounts are rounded only on the journal lines, with one explicit mode recorded on each journal.
"""
from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from fx.convert import Conversion, Converter
from fx.journal import Journal, JournalLine
from fx.money import CurrencyMismatch, Money
from fx.rates import InvalidRate, Rate


@dataclass(frozen=True, slots=True)
class FxAccounts:
    """Account codes used by FX journals (CAS-style defaults; configure per entity)."""

    cash: str = "1002"
    fx_realized: str = "6603.01"
    fx_unrealized: str = "6603.02"


@dataclass(frozen=True, slots=True)
class OpenItem:
    """A foreign-currency receivable still (partly) open, at its carrying amount in book currency."""

    item_id: str
    account: str
    original: Money
    carrying: Money
    carrying_rate: Decimal
    recognised_on: date  # the transaction's own date (the journal date)
    rate_source: str
    rate_ref: str | None = None
    rate_date: date | None = None  # the date of the rate used (earlier than recognised_on on a fallback)


def period_average(rates: Sequence[Rate]) -> Rate:
    """The arithmetic mean of one series' rates over a period, as a derived rate (never rounded)."""
    if not rates:
        raise InvalidRate("no rates to average")
    first = rates[0]
    for rate in rates:
        if (rate.base, rate.quote, rate.side, rate.unit, rate.source) != (
                first.base, first.quote, first.side, first.unit, first.source):
            raise InvalidRate(f"cannot average {rate.pair} {rate.source} with {first.pair} {first.source}")
    days = sorted(r.on for r in rates)
    mean = sum((r.value for r in rates), Decimal(0)) / len(rates)
    return Rate(first.base, first.quote, mean, days[-1], f"{first.source}-AVG", first.side, first.unit,
                f"mean of {len(rates)} rates {days[0]}..{days[-1]}")


def recognise(item_id: str, conversion: Conversion, *, account: str, rounding: str = ROUND_HALF_UP) -> OpenItem:
    """Book a receivable at the rate of the given conversion, dated on the transaction's own date (the
    conversion's requested day); a fallback rate's earlier date is recorded as ``rate_date``, never
    substituted for the transaction's."""
    return OpenItem(item_id, account, conversion.original, conversion.booked(rounding), conversion.rate,
                    conversion.requested_on, conversion.source, conversion.reference, conversion.rate_date)


def recognise_at_rate(item_id: str, amount: Money, rate: Rate, *, account: str,
                      rounding: str = ROUND_HALF_UP, on: date | None = None) -> OpenItem:
    """Book a receivable with one rate (either direction of ``rate``): a published or average rate, or a
    lock's client rate; ``on`` is the transaction's date (default: the rate's)."""
    if rate.base == amount.currency:
        book_amount, book_ccy, per_one = rate.apply(amount.amount), rate.quote, rate.per_unit()
    elif rate.quote == amount.currency:
        book_amount, book_ccy, per_one = rate.apply_inverse(amount.amount), rate.base, rate.apply_inverse(Decimal(1))
    else:
        raise CurrencyMismatch(f"rate {rate.pair} cannot convert {amount.currency}")
    return OpenItem(item_id, account, amount, Money(book_amount, book_ccy).round(rounding), per_one, on or rate.on,
                    rate.source, rate.reference, rate.on)


@dataclass(frozen=True, slots=True)
class Settlement:
    journal: Journal
    realized: Money  # + gain, − loss
    cleared: Money  # carrying amount cleared
    remaining: OpenItem | None  # what is still open after a partial settlement


def settle(item: OpenItem, paid: Money, cash: Money, *, on: date, journal_id: str, idem_prefix: str,
           rate_source: str, rate_ref: str | None = None, accounts: FxAccounts = FxAccounts(),
           rounding: str = ROUND_HALF_UP) -> Settlement:
    """Clear ``paid`` (foreign) of ``item`` against ``cash`` received (book currency, unrounded ok).

    A part (``paid`` less than what is open) clears the carrying amount in proportion to the part,
    ``carrying × paid ÷ original`` rounded to the book currency's minor unit with ``rounding``; the
    ``remaining`` item keeps the rest of both, so the part that pays the last of an item clears exactly
    what is left of its carrying amount (the rounding residue of the earlier parts lands on it). Pass
    the remaining item of an earlier part (``after_parts``) to settle the next part: each part realizes
    FX on its own share, against the carrying amount of the balance still open (IAS 21 §28).
    A payable (negative item: a fee the platform takes at payment) is cleared the same way, with a
    negative ``paid`` and ``cash`` (cash going out)."""
    if paid.currency != item.original.currency:
        raise CurrencyMismatch(f"item {item.item_id} is in {item.original.currency}, paid {paid.currency}")
    if cash.currency != item.carrying.currency:
        raise CurrencyMismatch(f"item {item.item_id} is carried in {item.carrying.currency}, cash {cash.currency}")
    if paid.amount == 0 or (paid.amount > 0) != (item.original.amount > 0) or abs(paid) > abs(item.original):
        raise ValueError(f"item {item.item_id}: paid {paid} must be non-zero, of the sign of {item.original} "
                         "and at most it")
    if paid == item.original:
        cleared, remaining = item.carrying, None
    else:
        cleared = Money(item.carrying.amount * paid.amount / item.original.amount, item.carrying.currency).round(rounding)
        remaining = replace(item, original=item.original - paid, carrying=item.carrying - cleared)
    cash_booked = cash.round(rounding)
    realized = cash_booked - cleared
    rate = cash.amount / paid.amount
    lines = [
        JournalLine(accounts.cash, cash_booked, "CASH_IN", f"{idem_prefix}:CASH", paid, rate, rate_source,
                    rate_ref, "payout converted"),
        JournalLine(item.account, -cleared, "RECEIVABLE_CLEAR", f"{idem_prefix}:AR", -paid, item.carrying_rate,
                    "CARRYING", item.item_id, "clear receivable at carrying rate"),
    ]
    if not realized.is_zero():
        lines.append(JournalLine(accounts.fx_realized, -realized, "FX_REALIZED", f"{idem_prefix}:FX", None, None,
                                 "DERIVED", rate_ref, "realized exchange difference (debit = loss)"))
    journal = Journal(journal_id, on, item.carrying.currency, tuple(lines), rounding)
    return Settlement(journal, realized, cleared, remaining)


def after_parts(item: OpenItem, paid: Money, cleared: Money) -> OpenItem | None:
    """What is still open of ``item`` once parts paying ``paid`` (foreign) and clearing ``cleared`` (its
    carrying amount, book currency) were settled; None when nothing is. Each part's ``Settlement``
    gives the same through ``remaining``; this rebuilds it from what the stored journals say."""
    if paid.is_zero() and cleared.is_zero():
        return item
    original, carrying = item.original - paid, item.carrying - cleared
    if original.is_zero():
        if not carrying.is_zero():
            raise ValueError(f"item {item.item_id}: fully paid but {carrying} of its carrying amount is left")
        return None
    if (original.amount > 0) != (item.original.amount > 0):
        raise ValueError(f"item {item.item_id}: parts paid {paid}, more than its {item.original}")
    return replace(item, original=original, carrying=carrying)


def period_bounds(period: str) -> tuple[date, date]:
    """``"2026-11"`` → (2026-11-01, 2026-11-30)."""
    try:
        year, month = (int(part) for part in period.split("-"))
        last = calendar.monthrange(year, month)[1]
        return date(year, month, 1), date(year, month, last)
    except ValueError as exc:
        raise ValueError(f"period must be YYYY-MM, got {period!r}") from exc


@dataclass(frozen=True, slots=True)
class RevaluedItem:
    item: OpenItem
    closing: Conversion
    revalued: Money
    unrealized: Money  # + gain, − loss


@dataclass(frozen=True, slots=True)
class Revaluation:
    period: str
    items: tuple[RevaluedItem, ...]
    journal: Journal | None  # None when nothing moved
    reversal: Journal | None

    @property
    def total(self) -> Money | None:
        if not self.items:
            return None
        total = Money.zero(self.items[0].unrealized.currency)
        for entry in self.items:
            total = total + entry.unrealized
        return total


def revalue(items: Sequence[OpenItem], converter: Converter, *, period: str, book_currency: str,
            accounts: FxAccounts = FxAccounts(), rounding: str = ROUND_HALF_UP, sequence: int = 1) -> Revaluation:
    """Month-end unrealized revaluation of open items at the closing rate, plus its reversal.

    ``sequence`` numbers a later run of the same period (items recognised after the first run):
    its journals are ``REVAL-{period}-{sequence}`` and ``…-REV``; line keys are per item either way."""
    _, period_end = period_bounds(period)
    revalued_items: list[RevaluedItem] = []
    lines: list[JournalLine] = []
    for item in sorted(items, key=lambda i: i.item_id):
        if item.carrying.currency != book_currency:
            raise CurrencyMismatch(f"item {item.item_id} is carried in {item.carrying.currency}, not {book_currency}")
        closing = converter.convert(item.original, book_currency, period_end, allow_fallback=True)
        revalued = closing.booked(rounding)
        difference = revalued - item.carrying
        revalued_items.append(RevaluedItem(item, closing, revalued, difference))
        if difference.is_zero():
            continue
        ref = closing.reference
        key = f"REVAL:{period}:{item.item_id}"
        lines.append(JournalLine(item.account, difference, "RECEIVABLE_REVALUE", f"{key}:AR", item.original,
                                 closing.rate, closing.source, ref, f"revalue at closing rate {closing.rate_date}"))
        lines.append(JournalLine(accounts.fx_unrealized, -difference, "FX_UNREALIZED", f"{key}:FX", None, None,
                                 "DERIVED", ref, "unrealized exchange difference (credit = gain)"))
    if not lines:
        return Revaluation(period, tuple(revalued_items), None, None)
    name = f"REVAL-{period}" if sequence == 1 else f"REVAL-{period}-{sequence}"
    journal = Journal(name, period_end, book_currency, tuple(lines), rounding,
                      f"month-end FX revaluation {period}")
    reversal = journal.reversed(f"{name}-REV", period_end + timedelta(days=1),
                                f"reversal of month-end FX revaluation {period}")
    return Revaluation(period, tuple(revalued_items), journal, reversal)
