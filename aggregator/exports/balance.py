"""The check every finance export passes before a byte is written.

Per journal id: one book currency, one rounding mode, every book amount already rounded to the
book currency's minor units (rounding happens at booking, never here), and debits = credits.
A journal that fails is refused with its id and the reason; the export writes nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from aggregator.exports.rows import ExportRow, currency_digits


class UnbalancedJournalError(ValueError):
    """A journal in an export does not balance (or is not booked in whole minor units)."""

    def __init__(self, journal_id: str, reason: str) -> None:
        super().__init__(f"journal {journal_id}: {reason}; nothing was written")
        self.journal_id = journal_id
        self.reason = reason


@dataclass(frozen=True, slots=True)
class JournalTotals:
    journal_id: str
    journal_date: date
    book_ccy: str
    rounding: str
    lines: int
    debits: Decimal
    credits: Decimal


def check_balanced(rows: Sequence[ExportRow]) -> list[JournalTotals]:
    """Totals per journal (in first-seen order), or ``UnbalancedJournalError`` for the first bad one."""
    grouped: dict[str, list[ExportRow]] = {}
    for row in rows:
        grouped.setdefault(row.journal_id, []).append(row)
    totals: list[JournalTotals] = []
    for journal_id, lines in grouped.items():
        currencies = sorted({line.book_ccy for line in lines})
        if len(currencies) != 1:
            raise UnbalancedJournalError(journal_id, f"lines in several book currencies {currencies}")
        modes = sorted({line.rounding for line in lines})
        if len(modes) != 1:
            raise UnbalancedJournalError(journal_id, f"lines rounded with different modes {modes}")
        dates = sorted({line.journal_date for line in lines})
        if len(dates) != 1:
            raise UnbalancedJournalError(journal_id, f"lines on different dates {[d.isoformat() for d in dates]}")
        book = currencies[0]
        digits = currency_digits(book)
        if digits is None:
            raise UnbalancedJournalError(journal_id, f"unknown book currency {book!r}")
        quantum = Decimal(1).scaleb(-digits)
        for line in lines:
            if line.book_amount != line.book_amount.quantize(quantum):
                raise UnbalancedJournalError(
                    journal_id, f"line {line.line_no} amount {line.book_amount} {book} is not rounded to {digits} "
                    "decimals at booking")
        debits = sum((line.book_amount for line in lines if line.book_amount > 0), Decimal(0))
        credits = -sum((line.book_amount for line in lines if line.book_amount < 0), Decimal(0))
        if debits != credits:
            raise UnbalancedJournalError(
                journal_id, f"debits {debits} {book} != credits {credits} {book} (off by {debits - credits})")
        totals.append(JournalTotals(journal_id, dates[0], book, modes[0], len(lines), debits, credits))
    return totals
