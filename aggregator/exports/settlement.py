"""The settlement export: one row per order (and one per statement for lines that belong to no order)
of an owner's statements issued in a period, in CSV or XLSX (``aggregator export settlement``).

Each row: the original amounts (order gross, what was settled, by fee category in the canonical
taxonomy), the reconciliation status and difference, and the booking: book currency, the rate the
statement was recognised at (its source, reference and date), the book amount and the realized FX
gain or loss. A statement is booked as one receivable; its book amount and realized difference are
spread over its rows in proportion to each row's original net (rounded per row, the rounding residue
on the largest row), so the rows of a statement sum exactly to its journals. A statement not booked yet shows empty booking cells.

Pure: ``build_rows`` turns loaded records into rows; ``csv_bytes`` / ``xlsx_bytes`` render them
(spreadsheet-safe CSV via ``csv_safe``; XLSX streamed by XlsxWriter with fixed zip times, amounts as
numbers only when a double shows them exactly; both byte-identical on re-export). ``load`` is the only database reader.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.exports.csv_safe import safe_writer
from aggregator.exports.rows import format_amount, format_rate
from aggregator.store.models.fx import FxJournalLineRow, FxOpenItemRow
from aggregator.store.models.marketplace import SettlementLineRow
from aggregator.store.models.settlement import ReconciliationRow, StatementRow
from fx.money import Money
from platform_adapters.canonical.settlement import FeeCategory

CATEGORIES = tuple(c.value for c in FeeCategory if c is not FeeCategory.PAYOUT)
COLUMNS = ("owner_id", "platform", "shop_id", "order_id", "statements", "issued_on", "currency", "order_gross",
           *(c.lower() for c in CATEGORIES), "settled", "reconciliation_status", "difference", "book_currency",
           "rate", "rate_source", "rate_ref", "rate_date", "book_amount", "realized_fx")


@dataclass(frozen=True, slots=True)
class Booking:
    """How one statement was booked (its receivable) and the realized difference of its payout."""

    book_currency: str
    carrying: Decimal
    rate: Decimal
    rate_source: str
    rate_ref: str | None
    rate_date: date | None
    realized: Decimal  # + gain, − loss, 0 while open


@dataclass(slots=True)
class OrderRow:
    owner_id: str
    platform: str
    shop_id: str
    order_id: str  # "" for a statement's lines without an order
    currency: str
    statements: list[str] = field(default_factory=list)
    issued_on: date | None = None
    by_category: dict[str, Decimal] = field(default_factory=dict)
    order_gross: Decimal | None = None
    status: str = ""
    difference: Decimal | None = None
    book_currency: str = ""
    rates: list[tuple[Decimal, str, str | None, date | None]] = field(default_factory=list)
    book_amount: Decimal | None = None
    realized: Decimal | None = None

    @property
    def settled(self) -> Decimal:
        return sum(self.by_category.values(), Decimal(0))


@dataclass(frozen=True, slots=True)
class LineRecord:
    platform: str
    shop_id: str
    statement_id: str
    order_id: str | None
    kind: str
    amount: Decimal
    currency: str


def build_rows(owner_id: str, statements: dict[tuple[str, str, str], date], lines: Iterable[LineRecord],
               bookings: dict[tuple[str, str, str], Booking],
               reconciliations: dict[tuple[str, str, str], tuple[str, Decimal | None, Decimal | None]]
               ) -> list[OrderRow]:
    """Rows in a stable order (platform, shop, order id; statement-level rows by statement)."""
    rows: dict[tuple[str, str, str], OrderRow] = {}
    per_statement: dict[tuple[str, str, str], dict[tuple[str, str, str], Decimal]] = {}
    for line in lines:
        statement = (line.platform, line.shop_id, line.statement_id)
        if line.kind == FeeCategory.PAYOUT.value or statement not in statements:
            continue
        order = line.order_id or ""
        key = (line.platform, line.shop_id, order or f"~{line.statement_id}")
        row = rows.get(key)
        if row is None:
            row = rows[key] = OrderRow(owner_id, line.platform, line.shop_id, order, line.currency)
        if line.statement_id not in row.statements:
            row.statements.append(line.statement_id)
            issued = statements[statement]
            row.issued_on = issued if row.issued_on is None else min(row.issued_on, issued)
        kind = line.kind if line.kind in CATEGORIES else FeeCategory.OTHER.value
        row.by_category[kind] = row.by_category.get(kind, Decimal(0)) + line.amount
        shares = per_statement.setdefault(statement, {})
        shares[key] = shares.get(key, Decimal(0)) + line.amount
    for statement, shares in per_statement.items():
        booking = bookings.get(statement)
        if booking is None:
            continue
        keys = sorted(shares)
        book_parts = _spread(booking.carrying, booking.book_currency, [shares[k] for k in keys])
        fx_parts = _spread(booking.realized, booking.book_currency, [shares[k] for k in keys])
        for key, book, realized in zip(keys, book_parts, fx_parts):
            row = rows[key]
            row.book_currency = booking.book_currency
            row.book_amount = (row.book_amount or Decimal(0)) + book
            row.realized = (row.realized or Decimal(0)) + realized
            rate = (booking.rate, booking.rate_source, booking.rate_ref, booking.rate_date)
            if rate not in row.rates:
                row.rates.append(rate)
    for key, row in rows.items():
        if row.order_id:
            found = reconciliations.get(key)
            if found is not None:
                row.status, row.order_gross, row.difference = found
    return [rows[k] for k in sorted(rows)]


def _spread(total: Decimal, currency: str, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` over rows in proportion to their signed net (a fee-only row gets a negative share):
    each share rounded half-up to the currency's minor unit, what rounding leaves going to the row of
    largest net, so the shares sum exactly to ``total``."""
    net = sum(weights, Decimal(0))
    if total == 0 or net == 0:
        return [Decimal(0)] * len(weights)
    shares = [Money(total * w / net, currency).round().amount for w in weights]
    residue = total - sum(shares, Decimal(0))
    if residue:
        biggest = max(range(len(weights)), key=lambda i: (abs(weights[i]), -i))
        shares[biggest] += residue
    return shares


def row_values(row: OrderRow) -> list[str]:
    currency, book = row.currency, row.book_currency
    rate, source, ref, rate_date = _rate_cells(row)
    return [row.owner_id, row.platform, row.shop_id, row.order_id, " ".join(row.statements),
            row.issued_on.isoformat() if row.issued_on else "", currency,
            format_amount(row.order_gross, currency) if row.order_gross is not None else "",
            *(format_amount(row.by_category[c], currency) if c in row.by_category else "" for c in CATEGORIES),
            format_amount(row.settled, currency), row.status,
            format_amount(row.difference, currency) if row.difference is not None else "", book, rate, source, ref,
            rate_date, format_amount(row.book_amount, book) if row.book_amount is not None else "",
            format_amount(row.realized, book) if row.realized is not None else ""]


def _rate_cells(row: OrderRow) -> tuple[str, str, str, str]:
    if not row.rates:
        return "", "", "", ""
    if len(row.rates) == 1:
        rate, source, ref, day = row.rates[0]
        return format_rate(rate), source, ref or "", day.isoformat() if day else ""
    return (" | ".join(format_rate(r[0]) for r in row.rates), " | ".join(r[1] for r in row.rates),
            " | ".join(r[2] or "" for r in row.rates), " | ".join(r[3].isoformat() if r[3] else "" for r in row.rates))


def csv_bytes(rows: Iterable[OrderRow]) -> bytes:
    """UTF-8 without BOM, ``\\n`` line ends, every cell spreadsheet-safe."""
    text = io.StringIO()
    writer = safe_writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row_values(row))
    return text.getvalue().encode("utf-8")


AMOUNT_COLUMNS = frozenset({"order_gross", *(c.lower() for c in CATEGORIES), "settled", "difference"})
BOOK_COLUMNS = frozenset({"book_amount", "realized_fx"})


def xlsx_bytes(rows: Iterable[OrderRow], about: dict[str, str], *, stamp_day: date) -> bytes:
    """Sheet ``settlement`` (the same columns; amounts as numbers with their currency's decimals when a
    double holds them exactly, ids and rates as text) and sheet ``export``.

    Written with XlsxWriter in constant-memory mode (rows streamed to disk as they come: a million
    lines never sit in memory as cell objects); its zip entries carry a fixed time and the document
    the given creation day, so the same rows give the same bytes."""
    import xlsxwriter

    from aggregator.exports.canonical import DOUBLE_SAFE_DIGITS

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"author": "aggregator", "created": datetime.combine(stamp_day, time())})
    sheet = workbook.add_worksheet("settlement")
    formats: dict[int, object] = {}
    bold = workbook.add_format({"bold": True})
    for column, name in enumerate(COLUMNS):
        sheet.write_string(0, column, name, bold)
    numeric = [name in AMOUNT_COLUMNS or name in BOOK_COLUMNS for name in COLUMNS]
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row_values(row)):
            if numeric[column] and value:
                exact = Decimal(value)
                digits = -exact.as_tuple().exponent
                if len(exact.as_tuple().digits) <= DOUBLE_SAFE_DIGITS and digits >= 0:
                    style = formats.get(digits)
                    if style is None:
                        style = formats[digits] = workbook.add_format(
                            {"num_format": "0" if digits == 0 else "0." + "0" * digits})
                    sheet.write_number(number, column, float(exact), style)
                    continue
            if value:
                sheet.write_string(number, column, value)
    info = workbook.add_worksheet("export")
    info.write_string(0, 0, "key")
    info.write_string(0, 1, "value")
    for number, (key, value) in enumerate(about.items(), start=1):
        info.write_string(number, 0, key)
        info.write_string(number, 1, value)
    workbook.close()
    return out.getvalue()


# -- the database side ----------------------------------------------------------------------------
def load(session: Session, owner_id: str, first: date, last: date) -> list[OrderRow]:
    """The owner's statements issued ``first``..``last`` (inclusive), their lines, bookings and verdicts."""
    start = datetime.combine(first, time(), timezone.utc)
    end = datetime.combine(last, time(), timezone.utc).replace(hour=23, minute=59, second=59, microsecond=999999)
    statements = {(s.platform, s.shop_id, s.statement_id): s.issued_at.date() for s in session.scalars(
        select(StatementRow).where(StatementRow.owner_id == owner_id, StatementRow.issued_at >= start,
                                   StatementRow.issued_at <= end))}
    if not statements:
        return []
    bookings = _bookings(session, owner_id, statements)
    lines = _lines(session, owner_id, statements)
    shops = {(p, s) for p, s, _ in statements}
    recon = {(r.platform, r.shop_id, r.order_id): (r.status, r.order_gross, r.difference)
             for r in session.scalars(select(ReconciliationRow).where(ReconciliationRow.owner_id == owner_id))
             if (r.platform, r.shop_id) in shops}
    return build_rows(owner_id, statements, lines, bookings, recon)


def _lines(session: Session, owner_id: str, statements: dict) -> Iterator[LineRecord]:
    shops = sorted({(p, s) for p, s, _ in statements})
    for platform, shop in shops:
        ids = [st for p, s, st in statements if (p, s) == (platform, shop)]
        for chunk in range(0, len(ids), 500):
            query = select(SettlementLineRow.platform, SettlementLineRow.shop_id, SettlementLineRow.statement_id,
                           SettlementLineRow.order_id, SettlementLineRow.kind, SettlementLineRow.amount,
                           SettlementLineRow.currency).where(
                SettlementLineRow.owner_id == owner_id, SettlementLineRow.platform == platform,
                SettlementLineRow.shop_id == shop, SettlementLineRow.statement_id.in_(ids[chunk:chunk + 500]))
            for values in session.execute(query.execution_options(yield_per=5000)):
                yield LineRecord(*values)


def _bookings(session: Session, owner_id: str, statements: dict) -> dict[tuple[str, str, str], Booking]:
    ids = {f"{p}:{s}:{st}": (p, s, st) for p, s, st in statements}
    items = {row.item_id: row for row in session.scalars(select(FxOpenItemRow).where(
        FxOpenItemRow.owner_id == owner_id, FxOpenItemRow.item_id.in_(list(ids))))}
    realized: dict[str, Decimal] = {}
    if items:
        # a payout journal is FX-{reference}:{platform}:{shop}:{statement}: its last three parts name the item
        for journal_id, amount in session.execute(select(FxJournalLineRow.journal_id, FxJournalLineRow.amount).where(
                FxJournalLineRow.owner_id == owner_id, FxJournalLineRow.line_type == "FX_REALIZED",
                FxJournalLineRow.journal_id.like("FX-%"))):
            item_id = ":".join(journal_id.rsplit(":", 3)[-3:])
            if item_id in items:
                realized[item_id] = realized.get(item_id, Decimal(0)) - amount  # a credit is a gain
    return {ids[item_id]: Booking(row.book_currency, row.carrying_amount, row.carrying_rate, row.rate_source,
                                  row.rate_ref, row.rate_date or row.recognised_on, realized.get(item_id, Decimal(0)))
            for item_id, row in items.items()}


def export_file(rows: list[OrderRow], fmt: str, *, owner_id: str, period: str, last: date) -> bytes:
    """The export of ``rows`` (one owner's ``period``) as ``csv`` or ``xlsx`` (its ``export`` sheet names the
    owner, the period, the row count and the CSV's digest)."""
    from aggregator.exports.canonical import sha256_of

    data = csv_bytes(rows)
    if fmt == "csv":
        return data
    if fmt != "xlsx":
        raise ValueError(f"unknown settlement export format {fmt!r}; csv or xlsx")
    about = {"owner": owner_id, "period": period, "rows": str(len(rows)), "csv_sha256": sha256_of(data)}
    return xlsx_bytes(rows, about, stamp_day=last)
