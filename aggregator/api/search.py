"""``q``: find orders by any identifier they touch, each through an indexed equality lookup.

``orders_matching(q)`` is a select of ``orders.id`` (the caller scopes the outer query to its owner):
the order id, an order line's reference or tracking number, a package id or tracking number.
"""
from __future__ import annotations

from sqlalchemy import Select, select, union

from aggregator.store.models import OrderLineRow, OrderPackageRow, OrderRow


def orders_matching(q: str) -> Select:
    return select(union(
        select(OrderRow.id).where(OrderRow.order_id == q),
        select(OrderLineRow.order_pk).where(OrderLineRow.line_ref == q),
        select(OrderLineRow.order_pk).where(OrderLineRow.tracking_number == q),
        select(OrderPackageRow.order_pk).where(OrderPackageRow.package_id == q),
        select(OrderPackageRow.order_pk).where(OrderPackageRow.tracking_number == q),
    ).subquery().c[0])
