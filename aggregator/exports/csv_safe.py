"""Spreadsheet-safe CSV cells: the one place where every CSV the product writes is neutralised.

A spreadsheet (Excel, LibreOffice Calc, Google Sheets) reads a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula, and some versions also one that starts with a tab, a carriage return
or a NUL followed by one of those. A bill of lading's ``po_number`` of ``=HYPERLINK(…)`` or a fee
label of ``@SUM(…)`` would come out of an export as a live formula (OWASP "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection; OWASP ASVS 4.0 V5.3.6 / ASVS 5 1.2.10:
"special characters (=, +, -, @, tab, NUL) must be escaped with a single quote if they appear as
the first character").

The rule applied here:

* a cell whose text starts with ``=``, ``+``, ``-``, ``@``, tab, carriage return or NUL gets a
  leading single quote (``'``), which every spreadsheet shows as text and never evaluates;
* except a plain number (``-12.50``, ``+3``, ``-1.5E-3``): finance imports (Xero, QuickBooks) read
  signed amounts, and a number cannot carry a formula. ``-2+3+cmd|…`` is not a plain number, so it
  is neutralised like any other cell starting with ``-``.

The quote is visible to a program that reads the file back; that is the documented price of the
OWASP rule. Quoting of separators and double quotes (RFC 4180) is the ``csv`` module's job.

Use ``safe_writer(handle)`` in place of ``csv.writer(handle)``, or ``safe_cell`` / ``safe_row``
where cells are built by hand (pandas frames: ``safe_frame``).
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import Any

#: First characters a spreadsheet may evaluate (OWASP CSV Injection; ASVS adds NUL).
TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\0")

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def cell_text(value: Any) -> str:
    """The text of a cell: ``None`` (and pandas' missing values) → empty, everything else ``str``."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from a pandas frame
        return ""
    text = str(value)
    return "" if text in ("NaT", "<NA>") and type(value).__name__ in ("NaTType", "NAType") else text


def is_dangerous(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (and it is not a plain number)."""
    return bool(text) and text.startswith(TRIGGERS) and _PLAIN_NUMBER.fullmatch(text) is None


def safe_cell(value: Any) -> str:
    """The cell's text, with a leading ``'`` when a spreadsheet could evaluate it."""
    text = cell_text(value)
    return "'" + text if is_dangerous(text) else text


def safe_row(values: Iterable[Any]) -> list[str]:
    return [safe_cell(value) for value in values]


class SafeWriter:
    """A ``csv.writer`` whose every cell goes through ``safe_cell`` (same ``writerow(s)`` API).

    ``csv`` quotes a field holding a character of the line terminator only: with ``\\n`` line ends a
    bare carriage return inside a cell would go out unquoted and split the row in a spreadsheet. Such
    a row is written with every field quoted instead (RFC 4180 §2.6)."""

    def __init__(self, handle: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(handle, **kwargs)
        terminator = self._writer.dialect.lineterminator
        self._all_quoted = None if "\r" in terminator else csv.writer(handle, **{**kwargs, "quoting": csv.QUOTE_ALL})

    def writerow(self, row: Iterable[Any]) -> Any:
        cells = safe_row(row)
        if self._all_quoted is not None and any("\r" in cell for cell in cells):
            return self._all_quoted.writerow(cells)
        return self._writer.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_writer(handle: Any, **kwargs: Any) -> SafeWriter:
    """``csv.writer(handle, **kwargs)`` with every cell neutralised."""
    return SafeWriter(handle, **kwargs)


def safe_frame(frame: Any) -> Any:
    """A copy of a pandas DataFrame whose text cells are neutralised (numbers and dates untouched),
    for ``frame.to_csv``. Column names are neutralised too."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or str(series.dtype) in ("string", "str"):
            out[column] = series.map(lambda v: safe_cell(v) if isinstance(v, str) else v)
    out.columns = [safe_cell(c) for c in out.columns]
    return out


def dangerous_cells(rows: Sequence[Sequence[str]]) -> list[tuple[int, int, str]]:
    """(row, column, text) of every cell of parsed CSV rows that a spreadsheet would evaluate (tests,
    audits)."""
    return [(r, c, text) for r, row in enumerate(rows) for c, text in enumerate(row) if is_dangerous(text)]
