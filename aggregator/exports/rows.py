"""The canonical settlement export row and the pure mapping from journal lines to rows.

One row = one journal line (reference/fx_settlement.md §6.7 and samples/settlement_export.sample.csv):
signed ``book_amount`` (+ debit, − credit), the original amount it came from, the exact rate
(never rounded), the rate's source and reference, the marketplace context, and the line's
idempotency key. Nothing here reads a database: the caller gives each line its ``LineContext``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fx.currencies import UnknownCurrency, minor_units
from fx.display import format_amount  # noqa: F401 - the one amount format, used by every layout
from fx.journal import Journal

#: The columns of the canonical export, in order (exactly those of the reference sample).
COLUMNS: tuple[str, ...] = (
    "journal_id", "line_no", "entity", "journal_date", "book_ccy", "account_code", "orig_ccy", "orig_amount",
    "rate_book_per_orig", "rate_source", "rate_ref", "book_amount", "marketplace", "shop_id", "site",
    "statement_id", "order_id", "line_type", "source_label", "memo", "idem_key",
)

#: Line types that FX itself produces; every other line type is a marketplace statement line kind.
FX_LINE_TYPES = frozenset({"RECEIVABLE", "RECEIVABLE_CLEAR", "CASH_IN", "FX_REALIZED", "FX_UNREALIZED",
                           "RECEIVABLE_REVALUE", "ROUNDING"})

#: What the books call a statement line of each kind (the marketplace's own label goes to source_label),
#: by the canonical kinds (``FeeCategory`` values) the recognition chart (``fx.recognition``) books.
STATEMENT_LINE_MEMOS: dict[str, str] = {
    "REVENUE": "sales revenue", "SHIPPING_BUYER_PAID": "shipping paid by the buyer", "REFUND": "sales refund",
    "VOUCHER_SELLER": "seller voucher", "VOUCHER_PLATFORM": "platform voucher",
    "COMMISSION": "marketplace fee", "TRANSACTION_FEE": "marketplace fee", "SERVICE_FEE": "marketplace fee",
    "SHIPPING_CHARGED": "marketplace fee", "SHIPPING_REBATE": "shipping rebate", "MARKETING_FEE": "marketing fee",
    "ADJUSTMENT": "marketplace adjustment", "TAX_WITHHELD": "withholding tax",
    "RESERVE_HELD": "reserve held by the marketplace", "RESERVE_RELEASED": "reserve released",
    "PAYMENT_FEE": "marketplace fee",  # the reference sample's own kind for Lazada's payment fee
}
OTHER_STATEMENT_LINE_MEMO = "statement line"


@dataclass(frozen=True, slots=True)
class JournalLineRecord:
    """One stored journal line as the exporter sees it (mirror of ``fx_journal_lines``, no ORM)."""

    journal_id: str
    journal_date: date
    line_no: int
    account: str
    book_currency: str
    amount: Decimal  # + debit, − credit, rounded at booking
    line_type: str
    original_amount: Decimal | None
    original_currency: str | None
    rate: Decimal | None  # book units per 1 original unit, unrounded
    rate_source: str | None
    rate_ref: str | None
    rounding: str
    memo: str
    idem_key: str


@dataclass(frozen=True, slots=True)
class LineContext:
    """Where a line came from: booking entity, marketplace shop, statement and order (blank if none)."""

    entity: str
    marketplace: str = ""
    shop_id: str = ""
    site: str = ""
    statement_id: str = ""
    order_id: str = ""


@dataclass(frozen=True, slots=True)
class ExportRow:
    journal_id: str
    line_no: int
    entity: str
    journal_date: date
    book_ccy: str
    account_code: str
    orig_ccy: str
    orig_amount: Decimal
    rate_book_per_orig: Decimal | None
    rate_source: str
    rate_ref: str
    book_amount: Decimal
    marketplace: str
    shop_id: str
    site: str
    statement_id: str
    order_id: str
    line_type: str
    source_label: str
    memo: str
    idem_key: str
    rounding: str  # not a column of the layout; checked and reported with the export

    def values(self) -> list[str]:
        """The row as the text of each column, in ``COLUMNS`` order (fixed decimals, exact rates)."""
        return [self.journal_id, str(self.line_no), self.entity, self.journal_date.isoformat(), self.book_ccy,
                self.account_code, self.orig_ccy, format_amount(self.orig_amount, self.orig_ccy),
                format_rate(self.rate_book_per_orig), self.rate_source, self.rate_ref,
                format_amount(self.book_amount, self.book_ccy), self.marketplace, self.shop_id, self.site,
                self.statement_id, self.order_id, self.line_type, self.source_label, self.memo, self.idem_key]


def currency_digits(currency: str) -> int | None:
    try:
        return minor_units(currency)
    except UnknownCurrency:
        return None


def format_rate(rate: Decimal | None) -> str:
    """A rate as a plain decimal with every significant digit it has (``0.210943762393``, ``1``)."""
    if rate is None:
        return ""
    if rate == rate.to_integral_value():
        return str(int(rate))
    return format(rate.normalize(), "f")


def labels_for(record: JournalLineRecord) -> tuple[str, str]:
    """(source_label, memo): a statement line keeps the marketplace's own label as ``source_label``
    (stored as the line's memo) and gets the books' description; an FX line keeps its memo."""
    if record.line_type in FX_LINE_TYPES:
        if record.line_type == "RECEIVABLE":
            label = "(net of statement lines)"
        elif record.line_type == "RECEIVABLE_CLEAR":
            label = "statement payout"
        elif record.line_type == "CASH_IN":
            label = ("payout converted under lock" if "LOCK" in (record.rate_source or "").upper()
                     else "payout converted at actual rate")
        else:
            label = ""
        return label, record.memo
    return record.memo, STATEMENT_LINE_MEMOS.get(record.line_type, OTHER_STATEMENT_LINE_MEMO)


def to_export_row(record: JournalLineRecord, context: LineContext) -> ExportRow:
    """One journal line as an export row. A line with no foreign amount (an FX difference, a rounding
    line) shows the book currency, amount 0 and rate 1, as the reference sample does."""
    source_label, memo = labels_for(record)
    if record.original_amount is None or record.original_currency is None:
        orig_ccy, orig_amount, rate = record.book_currency, Decimal(0), Decimal(1)
    elif record.line_type == "CASH_IN" and record.original_currency != record.book_currency:
        # The cash arrived in book currency (fx.gains.settle): the cash account's line is a
        # book-currency line; the conversion it came from is named in the memo (reference sample).
        orig_ccy, orig_amount, rate = record.book_currency, record.amount, Decimal(1)
        how = "locked client rate" if "LOCK" in (record.rate_source or "").upper() else "actual rate"
        memo = f"{record.original_currency}->{record.book_currency} at {how}"
    else:
        orig_ccy, orig_amount, rate = record.original_currency, record.original_amount, record.rate
        if orig_ccy == record.book_currency and rate is None:
            rate = Decimal(1)
    return ExportRow(
        journal_id=record.journal_id, line_no=record.line_no, entity=context.entity,
        journal_date=record.journal_date, book_ccy=record.book_currency, account_code=record.account,
        orig_ccy=orig_ccy, orig_amount=orig_amount, rate_book_per_orig=rate, rate_source=record.rate_source or "",
        rate_ref=record.rate_ref or "", book_amount=record.amount, marketplace=context.marketplace,
        shop_id=context.shop_id, site=context.site, statement_id=context.statement_id, order_id=context.order_id,
        line_type=record.line_type, source_label=source_label, memo=memo, idem_key=record.idem_key,
        rounding=record.rounding)


def records_from_journal(journal: Journal) -> list[JournalLineRecord]:
    """A pure ``fx.journal.Journal`` as records (line numbers from 1, as ``save_journal`` stores them)."""
    return [JournalLineRecord(
        journal.journal_id, journal.on, number, line.account, line.amount.currency, line.amount.amount,
        line.line_type, line.original.amount if line.original else None,
        line.original.currency if line.original else None, line.rate, line.rate_source, line.rate_ref,
        journal.rounding, line.memo, line.idem_key) for number, line in enumerate(journal.lines, start=1)]


def sort_rows(rows: Sequence[ExportRow]) -> list[ExportRow]:
    """The one stable order of every export: date, journal id, line number, idempotency key."""
    return sorted(rows, key=lambda r: (r.journal_date, r.journal_id, r.line_no, r.idem_key))
