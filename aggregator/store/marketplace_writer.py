"""Writes canonical marketplace records (orders, settlement lines) into their tables.

An order is one aggregate: its header is upserted by (platform, shop_id, order_id) with the stale
check; when it was created or changed, its lines and packages are replaced as a whole (when changed,
only if they differ from the stored rows).
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from platform_adapters.canonical import Order, SettlementLine
from aggregator.events.emitters import order_changes
from aggregator.store.fingerprint import content_hash, record_hash
from aggregator.store.gc_pause import gc_paused
from aggregator.store.models.marketplace import OrderLineRow, OrderPackageRow, OrderRow, SettlementLineRow
from aggregator.store.order_batch import settle
from aggregator.store.order_rows import (
    LINE_COLUMNS,
    ORDER_COLUMNS,
    PACKAGE_COLUMNS,
    line_tuples,
    order_row,
    package_tuples,
)
from aggregator.store.prepared_insert import insert_rows
from aggregator.store.upsert import UpsertOutcome, UpsertResult, upsert_many


def order_values(order: Order, owner_id: str) -> dict:
    return dict(zip(ORDER_COLUMNS, order_row(order, owner_id)))


ORDER_KEY = ("platform", "shop_id", "order_id")
SETTLEMENT_KEY = ("platform", "shop_id", "statement_id", "transaction_id")


def write_order(session: Session, order: Order, owner_id: str) -> UpsertResult:
    return write_orders(session, [order], owner_id)[0]


def write_orders(session: Session, orders: Sequence[Order], owner_id: str, *, prepared: bool = True
                 ) -> list[UpsertResult]:
    """Upsert many orders; lines and packages of created or changed orders are replaced as a whole.

    ``prepared`` (the default): new and unchanged orders are settled as typed tuples by
    ``order_batch.settle``, the rest (stored but different, repeated keys) go through ``upsert_many``;
    the cyclic garbage collector pauses meanwhile (``gc_pause``; the sync framework also pauses it while
    the batch is pulled and mapped).
    ``prepared=False``: everything through ``upsert_many`` and SQLAlchemy's Core (the reference the fast
    path is tested against)."""
    if not prepared:
        return _upsert_orders(session, orders, [order_values(o, owner_id) for o in orders], owner_id, prepared=False)
    with gc_paused():
        rows = [order_row(o, owner_id) for o in orders]
        results = settle(session, orders, rows, owner_id)
        rest = [i for i, result in enumerate(results) if result is None]
        if rest:
            decided = _upsert_orders(session, [orders[i] for i in rest],
                                     [dict(zip(ORDER_COLUMNS, rows[i])) for i in rest], owner_id, prepared=True)
            for index, result in zip(rest, decided):
                results[index] = result
    return results  # type: ignore[return-value]


def _upsert_orders(session: Session, orders: Sequence[Order], values: list[dict], owner_id: str, *, prepared: bool
                   ) -> list[UpsertResult]:
    """``upsert_many`` of the orders' header ``values``, their events, and the lines and packages of those
    created or changed (a changed order's only when they differ from the stored ones)."""
    results = upsert_many(session, OrderRow, values, ORDER_KEY, hashed=True, prepared=prepared,
                          legacy_hash=lambda i: content_hash(orders[i]))
    order_changes(session, owner_id, values, results, prepared=prepared)  # live events, in this same transaction
    written = {r.pk: o for o, r in zip(orders, results) if r.outcome in (UpsertOutcome.CREATED, UpsertOutcome.UPDATED)}
    changed = [r.pk for r in results if r.outcome is UpsertOutcome.UPDATED]
    for table, rows_of in ((OrderLineRow.__table__, line_rows), (OrderPackageRow.__table__, package_rows)):
        rows = {pk: rows_of(pk, order) for pk, order in written.items()}
        if changed:  # a changed order's rows are replaced, unless they are the stored ones already
            same = _stored_alike(session, table, {pk: rows[pk] for pk in changed})
            replaced = [pk for pk in changed if pk not in same]
            if replaced:
                session.execute(delete(table).where(table.c.order_pk.in_(replaced)))
            rows = {pk: part for pk, part in rows.items() if pk not in same}
        flat = [row for part in rows.values() for row in part]
        if prepared:
            insert_rows(session, table, flat)  # one prepared statement, no ORM bookkeeping
        elif flat:
            session.execute(insert(table), flat)
    return results


def _stored_alike(session: Session, table, wanted: dict[int, list[dict]]) -> set[int]:
    """The orders of ``wanted`` (order pk → the rows to write into ``table``) whose stored rows are those
    already, value for value (an exact decimal by its digits), in one SELECT. A re-read after a push
    (which wrote the lines' statuses already) or a change of the order's header alone then writes no
    line or package, instead of deleting and inserting them all again."""
    return alike(table, stored_parts(session, table, list(wanted)), wanted)


def _part_names(table) -> list[str]:
    return [c.name for c in table.columns if c.name != "id"]


def stored_parts(session: Session, table, order_pks: list[int]) -> dict[int, list[tuple]]:
    """The stored rows of ``table`` (order lines or packages) of ``order_pks``, comparable (``alike``), in one
    SELECT."""
    names = _part_names(table)
    stored: dict[int, list] = {pk: [] for pk in order_pks}
    for row in session.execute(select(*(table.c[n] for n in names)).where(table.c.order_pk.in_(order_pks))):
        stored[row.order_pk].append(_comparable(row))
    return stored


def alike(table, stored: dict[int, list[tuple]], wanted: dict[int, list[dict]]) -> set[int]:
    """The orders of ``wanted`` whose ``stored`` rows (``stored_parts``) are the wanted ones already."""
    names = _part_names(table)
    return {pk for pk, rows in wanted.items()
            if sorted(stored[pk]) == sorted(_comparable([r.get(n) for n in names]) for r in rows)}


def _comparable(values) -> tuple:
    """A row's values as text (a decimal with its digits as written), None apart from ``"None"``."""
    return tuple((v is None, format(v, "f") if isinstance(v, Decimal) else str(v)) for v in values)


def line_rows(pk: int, order: Order) -> list[dict]:
    return [dict(zip(LINE_COLUMNS, row)) for row in line_tuples(pk, order)]


def package_rows(pk: int, order: Order) -> list[dict]:
    return [dict(zip(PACKAGE_COLUMNS, row)) for row in package_tuples(pk, order)]


def write_settlement_line(session: Session, line: SettlementLine, owner_id: str) -> UpsertResult:
    return write_settlement_lines(session, [line], owner_id)[0]


def write_settlement_lines(session: Session, lines: Sequence[SettlementLine], owner_id: str) -> list[UpsertResult]:
    return upsert_many(session, SettlementLineRow, [settlement_values(line, owner_id) for line in lines],
                       SETTLEMENT_KEY, hashed=True, legacy_hash=lambda i: content_hash(lines[i]))


def settlement_values(line: SettlementLine, owner_id: str) -> dict:
    return {
        "owner_id": owner_id,
        "platform": line.platform.value,
        "shop_id": line.shop_id,
        "statement_id": line.statement_id,
        "transaction_id": line.transaction_id,
        "kind": line.kind,
        "raw_kind": line.raw_kind,
        "amount": line.amount.amount,
        "currency": line.amount.currency,
        "occurred_at": line.occurred_at,
        "order_id": line.order_id,
        "payout_id": line.payout_id,
        "description": line.description,
        "source_updated_at": line.updated_at,
        "content_hash": record_hash(line),
    }
