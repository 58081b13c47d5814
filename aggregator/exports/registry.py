"""The finance export layouts by name: what each writes and with which file suffix.

A new layout is a module with a pure rows → bytes function plus one entry here.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from aggregator.exports.canonical import canonical_csv, canonical_xlsx
from aggregator.exports.kingdee import kingdee_file
from aggregator.exports.quickbooks import quickbooks_file
from aggregator.exports.rows import ExportRow
from aggregator.exports.xero import DEFAULT_TAX_RATE, xero_files


@dataclass(frozen=True, slots=True)
class LayoutOptions:
    stamp_day: date  # the date written into file metadata (the last day exported: stable on re-export)
    about: Mapping[str, str] = field(default_factory=dict)  # what was exported (XLSX ``export`` sheet)
    xero_tax_rate: str = DEFAULT_TAX_RATE
    account_names: Mapping[str, str] = field(default_factory=dict)  # QuickBooks: code → account name
    kingdee_preparer: str = "aggregator"
    kingdee_voucher_word: str = "记"


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    suffix: str
    description: str
    render: Callable[[Sequence[ExportRow], LayoutOptions], list[bytes]]  # one or more files


LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (
    Layout("csv", ".csv", "canonical settlement export (reference §6.7), UTF-8 CSV",
           lambda rows, o: [canonical_csv(rows)]),
    Layout("xlsx", ".xlsx", "canonical settlement export as an Excel workbook",
           lambda rows, o: [canonical_xlsx(rows, o.about, stamp_day=o.stamp_day)]),
    Layout("xero", ".csv", "Xero manual journal import CSV (≤ 300 lines per file)",
           lambda rows, o: xero_files(rows, tax_rate=o.xero_tax_rate)),
    Layout("quickbooks", ".csv", "QuickBooks Online journal entry import CSV",
           lambda rows, o: [quickbooks_file(rows, account_names=o.account_names)]),
    Layout("kingdee", ".dbf", "Kingdee KIS/K3 voucher import DBF (GBK)",
           lambda rows, o: [kingdee_file(rows, updated=o.stamp_day, voucher_word=o.kingdee_voucher_word,
                                         preparer=o.kingdee_preparer)]),
)}


def layout_named(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown export layout {name!r}; known: {', '.join(sorted(LAYOUTS))}") from None
