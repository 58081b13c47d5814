"""Our own settlement export layout (reference/fx_settlement.md §6.7) as CSV and as XLSX.

CSV: UTF-8 without BOM, ``\\n`` line ends, the columns of the reference sample, amounts with the
currency's decimals, rates with every significant digit.

XLSX: the same columns on sheet ``journal_lines`` plus a sheet ``export`` (what was exported, the
rounding mode, the SHA-256 of the CSV of the same rows). Amounts are numbers with a number format
of the currency's decimals when an IEEE double shows them exactly (≤ 15 significant digits);
otherwise, and for every rate and id, the cell is text, so no digit is ever lost to Excel.
"""
from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from aggregator.exports.csv_safe import safe_writer
from aggregator.exports.rows import COLUMNS, ExportRow, currency_digits, format_amount
from aggregator.exports.xlsx_bytes import workbook_bytes

#: Beyond this many significant digits a double no longer holds a decimal exactly.
DOUBLE_SAFE_DIGITS = 15


def csv_bytes(header: Sequence[str], lines: Sequence[Sequence[str]], *, encoding: str = "utf-8") -> bytes:
    """A CSV file with ``\\n`` line ends and minimal quoting (shared by the CSV layouts); every cell
    spreadsheet-safe (``csv_safe``: a formula-like text gets a leading ``'``, signed amounts stay)."""
    text = io.StringIO()
    writer = safe_writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(lines)
    return text.getvalue().encode(encoding)


def canonical_csv(rows: Sequence[ExportRow]) -> bytes:
    return csv_bytes(COLUMNS, [row.values() for row in rows])


def _amount_cell(value: Decimal, currency: str) -> tuple[Decimal | str, str | None]:
    """(cell value, number format): a number when a double shows it exactly, else its text."""
    digits = currency_digits(currency)
    text = format_amount(value, currency)
    exact = Decimal(text)
    if digits is None or len(exact.as_tuple().digits) > DOUBLE_SAFE_DIGITS or -exact.as_tuple().exponent != digits:
        return text, None
    return exact, "0" if digits == 0 else "0." + "0" * digits


def canonical_xlsx(rows: Sequence[ExportRow], about: Mapping[str, str], *, stamp_day: date) -> bytes:
    """The rows on sheet ``journal_lines`` and ``about`` (key → text) on sheet ``export``."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "journal_lines"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    amount_columns = {COLUMNS.index("orig_amount"): "orig_ccy", COLUMNS.index("book_amount"): "book_ccy"}
    date_column = COLUMNS.index("journal_date")
    line_no_column = COLUMNS.index("line_no")
    for row_number, row in enumerate(rows, start=2):
        texts = row.values()
        for index, text in enumerate(texts):
            cell = sheet.cell(row=row_number, column=index + 1)
            if index in amount_columns:
                value, number_format = _amount_cell(
                    row.orig_amount if COLUMNS[index] == "orig_amount" else row.book_amount,
                    getattr(row, amount_columns[index]))
                cell.value = value
                if number_format is not None:
                    cell.number_format = number_format
            elif index == date_column:
                cell.value = row.journal_date
                cell.number_format = "yyyy-mm-dd"
            elif index == line_no_column:
                cell.value = row.line_no
            else:
                cell.value = text
                cell.data_type = "s"  # ids such as 1118594800859773 stay text, never a rounded number
    sheet.freeze_panes = "A2"
    info = workbook.create_sheet("export")
    info.append(["key", "value"])
    for key, value in about.items():
        info.append([key, value])
        info.cell(row=info.max_row, column=2).data_type = "s"
    return workbook_bytes(workbook, datetime.combine(stamp_day, time()))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
