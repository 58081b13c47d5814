"""QuickBooks Online journal-entry import layout (reference/fx_settlement.md §5.5, marked partially
verified [P]; its multicurrency columns are marked unverified [U]).

* ``JournalNo`` groups the lines of one journal entry; ``JournalDate`` MM/DD/YYYY (US files).
* ``AccountName`` must be the exact QBO account name (``Parent:Sub``); we hold codes, so a
  code → name map can be given; without one the code is written and the QBO accounts must be
  named by their codes.
* ``Debits`` / ``Credits`` are positive book-currency amounts, one of them blank per line.
* Journals are exported in the book (home) currency, so the unverified ``Currency`` /
  ``ExchangeRate`` columns are not written; the rate stays in the canonical export.
* A QBO journal number (DocNumber) holds at most 21 characters (QBO API limit; not in the
  reference): a longer journal id becomes its first 8 characters, ``~`` and 12 hex digits of its
  SHA-256 (stable), and the full id leads the line description.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from aggregator.exports.canonical import csv_bytes
from aggregator.exports.rows import ExportRow, format_amount

COLUMNS: tuple[str, ...] = ("JournalNo", "JournalDate", "AccountName", "Debits", "Credits", "Description", "Name")
MAX_JOURNAL_NO = 21


class QuickBooksLayoutError(ValueError):
    """The rows cannot be imported into one QuickBooks company as they are."""


def journal_no(journal_id: str) -> str:
    if len(journal_id) <= MAX_JOURNAL_NO:
        return journal_id
    return f"{journal_id[:8]}~{hashlib.sha256(journal_id.encode()).hexdigest()[:12]}"


def quickbooks_line(row: ExportRow, account_names: Mapping[str, str]) -> list[str]:
    number = journal_no(row.journal_id)
    amount = format_amount(abs(row.book_amount), row.book_ccy)
    debit, credit = (amount, "") if row.book_amount > 0 else ("", amount)
    if row.book_amount == 0:
        debit = credit = ""
    parts = [row.journal_id] if number != row.journal_id else []
    parts += [part for part in (row.memo, row.source_label, row.order_id) if part]
    return [number, row.journal_date.strftime("%m/%d/%Y"), account_names.get(row.account_code, row.account_code),
            debit, credit, " | ".join(parts), ""]


def quickbooks_file(rows: Sequence[ExportRow], *, account_names: Mapping[str, str] | None = None) -> bytes:
    currencies = sorted({row.book_ccy for row in rows})
    if len(currencies) > 1:
        raise QuickBooksLayoutError(f"one QuickBooks company has one home currency; these journals are in "
                                    f"{currencies}")
    numbers: dict[str, str] = {}
    for row in rows:
        number = journal_no(row.journal_id)
        if numbers.setdefault(number, row.journal_id) != row.journal_id:
            raise QuickBooksLayoutError(f"journals {numbers[number]} and {row.journal_id} map to the same "
                                        f"JournalNo {number}")
    names = account_names or {}
    return csv_bytes(COLUMNS, [quickbooks_line(row, names) for row in rows if row.book_amount != 0])
