"""Writes canonical marketplace records (orders, settlement lines) into their tables.

An order is one aggregate: its header is upserted by (platform, shop_id, order_id) with the stale
check; when it was created or changed, its lines and packages are replaced as a whole.
"""
from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from platform_adapters.canonical import Order, SettlementLine
from aggregator.store.fingerprint import content_hash
from aggregator.store.models.marketplace import OrderLineRow, OrderPackageRow, OrderRow, SettlementLineRow
from aggregator.store.upsert import UpsertOutcome, UpsertResult, upsert


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
        "content_hash": content_hash(order),
    }


def write_order(session: Session, order: Order, owner_id: str) -> UpsertResult:
    result = upsert(session, OrderRow, order_values(order, owner_id), ("platform", "shop_id", "order_id"))
    if result.outcome in (UpsertOutcome.CREATED, UpsertOutcome.UPDATED):
        if result.outcome is UpsertOutcome.UPDATED:
            session.execute(delete(OrderLineRow).where(OrderLineRow.order_pk == result.pk))
            session.execute(delete(OrderPackageRow).where(OrderPackageRow.order_pk == result.pk))
        if order.lines:
            session.execute(insert(OrderLineRow), [
                {
                    "order_pk": result.pk,
                    "line_ref": line.line_ref,
                    "seller_sku": line.seller_sku,
                    "quantity": line.quantity,
                    "currency": (line.unit_price or line.paid_amount).currency
                    if (line.unit_price or line.paid_amount) else order.currency,
                    "unit_price": line.unit_price.amount if line.unit_price else None,
                    "paid_amount": line.paid_amount.amount if line.paid_amount else None,
                    "item_id": line.item_id,
                    "model_id": line.model_id,
                    "product_name": line.product_name,
                    "status": line.status.value if line.status else None,
                    "raw_status": line.raw_status,
                    "package_id": line.package_id,
                    "tracking_number": line.tracking_number,
                }
                for line in order.lines
            ])
        if order.packages:
            session.execute(insert(OrderPackageRow), [
                {
                    "order_pk": result.pk,
                    "package_id": pkg.package_id,
                    "tracking_number": pkg.tracking_number,
                    "carrier": pkg.carrier,
                    "status": pkg.status,
                    "line_refs": " ".join(pkg.line_refs),
                }
                for pkg in order.packages
            ])
    return result


def write_settlement_line(session: Session, line: SettlementLine, owner_id: str) -> UpsertResult:
    values = {
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
        "content_hash": content_hash(line),
    }
    return upsert(session, SettlementLineRow, values, ("platform", "shop_id", "statement_id", "transaction_id"))
