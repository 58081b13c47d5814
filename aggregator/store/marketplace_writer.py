"""Writes canonical marketplace records (orders, settlement lines) into their tables.

An order is one aggregate: its header is upserted by (platform, shop_id, order_id) with the stale
check; when it was created or changed, its lines and packages are replaced as a whole.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from platform_adapters.canonical import Order, SettlementLine
from aggregator.events.emitters import order_changes
from aggregator.store.fingerprint import content_hash, record_hash
from aggregator.store.models.marketplace import OrderLineRow, OrderPackageRow, OrderRow, SettlementLineRow, order_key
from aggregator.store.prepared_insert import insert_rows
from aggregator.store.upsert import UpsertOutcome, UpsertResult, upsert_many


def order_values(order: Order, owner_id: str) -> dict:
    return {
        "owner_id": owner_id,
        "platform": order.platform.value,
        "shop_id": order.shop_id,
        "order_id": order.order_id,
        "status": order.status.value,
        "raw_status": order.raw_status,
        "currency": order.currency,
        "total_amount": order.total_amount.amount if order.total_amount else None,
        "shipping_fee": order.shipping_fee.amount if order.shipping_fee else None,
        "buyer_country": order.buyer_country,
        "ordered_at": order.created_at,
        "paid_at": order.paid_at,
        "source_updated_at": order.updated_at,
        "order_key": order_key(order.platform.value, order.shop_id, order.order_id),
        "content_hash": record_hash(order),
    }


ORDER_KEY = ("platform", "shop_id", "order_id")
SETTLEMENT_KEY = ("platform", "shop_id", "statement_id", "transaction_id")


def write_order(session: Session, order: Order, owner_id: str) -> UpsertResult:
    return write_orders(session, [order], owner_id)[0]


def write_orders(session: Session, orders: Sequence[Order], owner_id: str, *, prepared: bool = True
                 ) -> list[UpsertResult]:
    """Upsert many orders; lines and packages of created or changed orders are replaced as a whole.
    ``prepared=False``: every insert through SQLAlchemy's Core (the reference the fast path is tested against)."""
    values = [order_values(o, owner_id) for o in orders]
    results = upsert_many(session, OrderRow, values, ORDER_KEY, hashed=True, prepared=prepared,
                          legacy_hash=lambda i: content_hash(orders[i]))
    order_changes(session, owner_id, values, results, prepared=prepared)  # live events, in this same transaction
    changed = [r.pk for r in results if r.outcome is UpsertOutcome.UPDATED]
    if changed:
        session.execute(delete(OrderLineRow).where(OrderLineRow.order_pk.in_(changed)))
        session.execute(delete(OrderPackageRow).where(OrderPackageRow.order_pk.in_(changed)))
    written = {r.pk: o for o, r in zip(orders, results) if r.outcome in (UpsertOutcome.CREATED, UpsertOutcome.UPDATED)}
    lines = [row for pk, order in written.items() for row in _line_rows(pk, order)]
    packages = [row for pk, order in written.items() for row in _package_rows(pk, order)]
    for table, rows in ((OrderLineRow.__table__, lines), (OrderPackageRow.__table__, packages)):
        if prepared:
            insert_rows(session, table, rows)  # one prepared statement, no ORM bookkeeping
        elif rows:
            session.execute(insert(table), rows)
    return results


def _line_rows(pk: int, order: Order) -> list[dict]:
    rows = []
    for line in order.lines:
        priced = line.unit_price or line.paid_amount
        rows.append({
            "order_pk": pk, "line_ref": line.line_ref, "seller_sku": line.seller_sku, "quantity": line.quantity,
            "currency": priced.currency if priced else order.currency,
            "unit_price": line.unit_price.amount if line.unit_price else None,
            "paid_amount": line.paid_amount.amount if line.paid_amount else None,
            "item_id": line.item_id, "model_id": line.model_id, "product_name": line.product_name,
            "status": line.status.value if line.status else None, "raw_status": line.raw_status,
            "package_id": line.package_id, "tracking_number": line.tracking_number,
            "bundle_ref": line.bundle_ref, "bundle_sku": line.bundle_sku,
        })
    return rows


def _package_rows(pk: int, order: Order) -> list[dict]:
    return [{"order_pk": pk, "package_id": pkg.package_id, "tracking_number": pkg.tracking_number,
             "carrier": pkg.carrier, "status": pkg.status, "line_refs": " ".join(pkg.line_refs)}
            for pkg in order.packages]


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
