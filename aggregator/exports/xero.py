"""Xero manual-journal CSV import layout (help.xero.com "Enter multiple manual journals using an
import template"; reference/fx_settlement.md §5.5, marked verified there).

* ``Narration`` groups the lines of one journal (with the same ``Date``): our journal id.
* ``Date`` dd/mm/yyyy; ``AccountCode`` the account code; ``TaxRate`` the full name of a tax rate
  in the organisation's tax settings (one name for every line, configurable); ``Amount`` in the
  book currency, positive = debit, negative = credit (manual journals carry no foreign amount).
* Tracking: category 1 ``Marketplace``, category 2 ``Shop`` (blank when the line has none).
* At most 300 lines per file: larger exports are split into several files, never inside a journal.
"""
from __future__ import annotations

from collections.abc import Sequence

from aggregator.exports.canonical import csv_bytes
from aggregator.exports.rows import ExportRow, format_amount

COLUMNS: tuple[str, ...] = ("Narration", "Date", "Description", "AccountCode", "TaxRate", "Amount",
                            "TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2")
MAX_LINES_PER_FILE = 300
DEFAULT_TAX_RATE = "Tax Exempt"


class XeroLayoutError(ValueError):
    """The rows cannot be imported into one Xero organisation as they are."""


def xero_line(row: ExportRow, tax_rate: str) -> list[str]:
    description = " | ".join(part for part in (row.memo, row.source_label, row.order_id) if part)
    return [row.journal_id, row.journal_date.strftime("%d/%m/%Y"), description, row.account_code, tax_rate,
            format_amount(row.book_amount, row.book_ccy),
            "Marketplace" if row.marketplace else "", row.marketplace,
            "Shop" if row.shop_id else "", row.shop_id]


def split_journals(rows: Sequence[ExportRow], limit: int) -> list[list[ExportRow]]:
    """Consecutive groups of whole journals, each at most ``limit`` lines."""
    journals: list[list[ExportRow]] = []
    for row in rows:
        if journals and journals[-1][0].journal_id == row.journal_id:
            journals[-1].append(row)
        else:
            journals.append([row])
    parts: list[list[ExportRow]] = []
    for journal in journals:
        if len(journal) > limit:
            raise XeroLayoutError(f"journal {journal[0].journal_id} has {len(journal)} lines; a Xero import file "
                                  f"takes at most {limit}")
        if parts and len(parts[-1]) + len(journal) <= limit:
            parts[-1].extend(journal)
        else:
            parts.append(list(journal))
    return parts


def xero_files(rows: Sequence[ExportRow], *, tax_rate: str = DEFAULT_TAX_RATE,
               limit: int = MAX_LINES_PER_FILE) -> list[bytes]:
    """One CSV per part of at most ``limit`` lines (all in one book currency: the organisation's)."""
    currencies = sorted({row.book_ccy for row in rows})
    if len(currencies) > 1:
        raise XeroLayoutError(f"a Xero organisation has one base currency; these journals are in {currencies}")
    if not tax_rate.strip():
        raise XeroLayoutError("TaxRate is mandatory in a Xero manual journal import")
    lines = [row for row in rows if row.book_amount != 0]  # Xero refuses zero lines; the journal still balances
    parts = split_journals(lines, limit) or [[]]
    return [csv_bytes(COLUMNS, [xero_line(row, tax_rate) for row in part]) for part in parts]
