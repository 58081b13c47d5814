"""``q``: find orders by any identifier they touch, each through an indexed equality lookup.

Marketplace identifiers (the order id, an order line's reference or tracking number, a package id or
tracking number) name orders directly; upstream ones (a container, a bill of lading — master or house —
or air waybill, a customs declaration, an ASN, a lot) are walked down the stored links to the orders
they fed (``api/reach.py``). Every step is an index probe, so the cost is that of the answer.
"""
from __future__ import annotations

from sqlalchemy import Select, select, union
from sqlalchemy.orm import Session

from aggregator.api.reach import upstream_reach
from aggregator.store.models import OrderLineRow, OrderPackageRow, OrderRow

#: the most orders one search names
LIMIT = 1000


def orders_matching(q: str) -> Select:
    """A select of ``orders.id`` named by a marketplace identifier (the caller scopes it to its owner)."""
    return select(union(
        select(OrderRow.id).where(OrderRow.order_id == q),
        select(OrderLineRow.order_pk).where(OrderLineRow.line_ref == q),
        select(OrderLineRow.order_pk).where(OrderLineRow.tracking_number == q),
        select(OrderPackageRow.order_pk).where(OrderPackageRow.package_id == q),
        select(OrderPackageRow.order_pk).where(OrderPackageRow.tracking_number == q),
    ).subquery().c[0])


def order_ids_matching(session: Session, owner_id: str | None, q: str) -> list[int]:
    """``orders.id`` of the orders ``q`` names, directly or through the records upstream of them (at most
    ``LIMIT``; the caller still scopes its query to its owner)."""
    q = q.strip()
    direct = set(session.scalars(orders_matching(q).limit(LIMIT)))
    return sorted(direct | set(upstream_reach(session, owner_id, q).order_ids))[:LIMIT]
