"""Tables as an XLSX workbook, streamed with XlsxWriter like the settlement export: one sheet per table,
numbers as numbers, every text cell written as a string (never a formula, a URL or a number guessed from
text), and a closing ``export`` sheet of key/value facts. The document carries the given creation instant
and XlsxWriter's fixed zip times, so the same tables give the same bytes."""
from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from aggregator.exports.csv_safe import cell_text

MAX_SHEET_NAME = 31


@dataclass(frozen=True, slots=True)
class SheetTable:
    name: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]


def tables_xlsx_bytes(tables: Sequence[SheetTable], about: Mapping[str, str], *, stamp: datetime) -> bytes:
    """The workbook's bytes: ``tables`` in order, then sheet ``export`` with ``about``."""
    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"author": "aggregator", "created": stamp.replace(tzinfo=None)})
    bold = workbook.add_format({"bold": True})
    for table in tables:
        sheet = workbook.add_worksheet(table.name[:MAX_SHEET_NAME])
        for column, name in enumerate(table.columns):
            sheet.write_string(0, column, str(name), bold)
        for number, row in enumerate(table.rows, start=1):
            for column, value in enumerate(row):
                _write(sheet, number, column, value)
    info = workbook.add_worksheet("export")
    info.write_string(0, 0, "key", bold)
    info.write_string(0, 1, "value", bold)
    for number, (key, value) in enumerate(about.items(), start=1):
        info.write_string(number, 0, str(key))
        info.write_string(number, 1, str(value))
    workbook.close()
    return out.getvalue()


def _write(sheet: Any, row: int, column: int, value: Any) -> None:
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        sheet.write_string(row, column, "true" if value else "false")
    elif isinstance(value, (int, float)) and not (isinstance(value, float) and not math.isfinite(value)):
        sheet.write_number(row, column, value)
    elif isinstance(value, Decimal) and value.is_finite():
        sheet.write_string(row, column, format(value, "f"))  # exact: money is never a binary double
    elif isinstance(value, (datetime, date)):
        sheet.write_string(row, column, value.isoformat())
    else:
        text = cell_text(value)
        if text:
            sheet.write_string(row, column, text)
