"""An order record as the typed tuples its tables store: the header (``order_row``), its lines and packages.

Pure: each value taken straight from the canonical record, in the column order named here, with no
intermediate dict; the writers (``marketplace_writer``, ``order_batch``) send these tuples to the
database as they are or zip them into dicts for SQLAlchemy's Core.
"""
from __future__ import annotations

from platform_adapters.canonical import Order
from aggregator.store.fingerprint import record_hash
from aggregator.store.models.marketplace import order_key

#: The header columns an order writes, in the order of ``order_row`` (and of the audit entry's changes).
ORDER_COLUMNS = ("owner_id", "platform", "shop_id", "order_id", "status", "raw_status", "currency", "total_amount",
                 "shipping_fee", "buyer_country", "ordered_at", "paid_at", "source_updated_at", "order_key",
                 "content_hash")
LINE_COLUMNS = ("order_pk", "line_ref", "seller_sku", "quantity", "currency", "unit_price", "paid_amount", "item_id",
                "model_id", "product_name", "status", "raw_status", "package_id", "tracking_number", "bundle_ref",
                "bundle_sku")
PACKAGE_COLUMNS = ("order_pk", "package_id", "tracking_number", "carrier", "status", "line_refs")


def order_row(order: Order, owner_id: str) -> tuple:
    """The order's header values in ``ORDER_COLUMNS`` order, straight from the record."""
    platform = order.platform.value
    total, fee = order.total_amount, order.shipping_fee
    # (an enum's ``_value_``: what ``.value`` answers, without the enum's descriptor on every call)
    return (owner_id, platform, order.shop_id, order.order_id, order.status._value_, order.raw_status, order.currency,
            None if total is None else total.amount, None if fee is None else fee.amount, order.buyer_country,
            order.created_at, order.paid_at, order.updated_at, order_key(platform, order.shop_id, order.order_id),
            record_hash(order))


def line_tuples(pk: int, order: Order) -> list[tuple]:
    """The order's lines as ``LINE_COLUMNS`` values under the stored order ``pk``."""
    rows = []
    for line in order.lines:
        unit, paid = line.unit_price, line.paid_amount
        priced = unit or paid
        rows.append((pk, line.line_ref, line.seller_sku, line.quantity,
                     priced.currency if priced else order.currency, None if unit is None else unit.amount,
                     None if paid is None else paid.amount, line.item_id, line.model_id, line.product_name,
                     None if line.status is None else line.status._value_, line.raw_status, line.package_id,
                     line.tracking_number, line.bundle_ref, line.bundle_sku))
    return rows


def package_tuples(pk: int, order: Order) -> list[tuple]:
    """The order's packages as ``PACKAGE_COLUMNS`` values under the stored order ``pk``."""
    return [(pk, pkg.package_id, pkg.tracking_number, pkg.carrier, pkg.status, " ".join(pkg.line_refs))
            for pkg in order.packages]
