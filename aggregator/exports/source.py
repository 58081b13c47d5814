"""Read one owner's journal lines in a date range from the store, with where each line came from.

The FX service stores journals line by line (``fx_journal_lines``) with keys that contain the id of
the receivable they concern (``platform:shop:statement`` for a marketplace statement). Each line's
receivable is found among the owner's open items by that id, and from it the marketplace, shop,
site (the shop's region), statement and, for statement lines, the order. Only the owner's own rows
are read, so a brand never sees another brand's journals.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.exports.rows import (
    FX_LINE_TYPES,
    ExportRow,
    JournalLineRecord,
    LineContext,
    sort_rows,
    to_export_row,
)
from aggregator.fx_service.journal_keys import find_item
from aggregator.store.models.fx import FxJournalLineRow, FxOpenItemRow
from aggregator.store.models.marketplace import SettlementLineRow
from aggregator.store.models.tenancy import ShopRow

RECOGNITION_PREFIX = "REC-"  # aggregator.fx_service.statements: journal id = "REC-" + receivable id


def load_records(session: Session, owner_id: str, first: date, last: date) -> list[JournalLineRecord]:
    rows = session.scalars(select(FxJournalLineRow).where(
        FxJournalLineRow.owner_id == owner_id, FxJournalLineRow.journal_date >= first,
        FxJournalLineRow.journal_date <= last,
    ).order_by(FxJournalLineRow.journal_date, FxJournalLineRow.journal_id, FxJournalLineRow.line_no,
               FxJournalLineRow.idem_key))
    return [JournalLineRecord(r.journal_id, r.journal_date, r.line_no, r.account, r.book_currency, r.amount,
                              r.line_type, r.original_amount, r.original_currency, r.rate, r.rate_source,
                              r.rate_ref, r.rounding, r.memo or "", r.idem_key) for r in rows]


def _statements(session: Session, owner_id: str) -> dict[str, tuple[str, str, str]]:
    """Receivable id → (platform, shop_id, statement_id) for the owner's statements."""
    rows = session.execute(select(SettlementLineRow.platform, SettlementLineRow.shop_id,
                                  SettlementLineRow.statement_id).where(
        SettlementLineRow.owner_id == owner_id).distinct())
    return {f"{p}:{s}:{st}": (p, s, st) for p, s, st in rows}


def _orders(session: Session, owner_id: str, statement: tuple[str, str, str]) -> dict[str, str]:
    """Transaction id → order id of one statement's lines."""
    platform, shop_id, statement_id = statement
    rows = session.execute(select(SettlementLineRow.transaction_id, SettlementLineRow.order_id).where(
        SettlementLineRow.owner_id == owner_id, SettlementLineRow.platform == platform,
        SettlementLineRow.shop_id == shop_id, SettlementLineRow.statement_id == statement_id))
    return {tx: order or "" for tx, order in rows}


def contexts_for(session: Session, owner_id: str, records: Sequence[JournalLineRecord],
                 entity: str) -> list[LineContext]:
    """The context of each record, in the same order."""
    items = set(session.scalars(select(FxOpenItemRow.item_id).where(FxOpenItemRow.owner_id == owner_id)))
    statements = _statements(session, owner_id)
    regions = {(p, s): region for p, s, region in session.execute(
        select(ShopRow.platform, ShopRow.shop_id, ShopRow.region).where(ShopRow.owner_id == owner_id))}
    orders_by_statement: dict[tuple[str, str, str], dict[str, str]] = {}
    line_orders: list[str] = []
    journal_orders: dict[str, set[str]] = {}
    item_of: list[str | None] = []
    for record in records:
        item = find_item((record.idem_key, record.journal_id), items)
        item_of.append(item)
        order = ""
        statement = statements.get(item) if item else None
        if (statement is not None and record.journal_id == RECOGNITION_PREFIX + item
                and record.line_type not in FX_LINE_TYPES and record.idem_key.startswith(item + ":")):
            if statement not in orders_by_statement:
                orders_by_statement[statement] = _orders(session, owner_id, statement)
            order = orders_by_statement[statement].get(record.idem_key[len(item) + 1:], "")
            journal_orders.setdefault(record.journal_id, set()).add(order)
        line_orders.append(order)
    contexts: list[LineContext] = []
    for record, item, order in zip(records, item_of, line_orders):
        statement = statements.get(item) if item else None
        if statement is None:
            contexts.append(LineContext(entity))
            continue
        platform, shop_id, statement_id = statement
        if record.line_type == "RECEIVABLE" and record.journal_id == RECOGNITION_PREFIX + item:
            only = journal_orders.get(record.journal_id, set())
            order = next(iter(only)) if len(only) == 1 else ""  # a statement of exactly one order
        contexts.append(LineContext(entity, platform.upper(), shop_id, regions.get((platform, shop_id), ""),
                                    statement_id, order))
    return contexts


def load_export_rows(session: Session, owner_id: str, first: date, last: date, *,
                     entity: str | None = None) -> list[ExportRow]:
    """The owner's journal lines dated ``first``..``last`` (inclusive) as export rows, in stable order."""
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    records = load_records(session, owner_id, first, last)
    contexts = contexts_for(session, owner_id, records, entity or owner_id)
    return sort_rows([to_export_row(record, context) for record, context in zip(records, contexts)])
