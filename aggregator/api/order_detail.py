"""One order's detail answer (``GET /api/v1/orders/{platform}/{shop_id}/{order_id}``): the order, its lines
and packages, its chain and timeline (``api/chain.py``), shaped from the answers of an order's reads.

The reads come from one combined statement on PostgreSQL (``api/order_prefetch.py``: one round trip
instead of a dozen) and from one statement each on SQLite (``api/order_reads.py``: in process, where a
round trip costs nothing and the small indexed statements are the cheaper); both feed ``detail_from``.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from aggregator.api.chain import assemble_chain
from aggregator.api.order_prefetch import PrefetchedReads
from aggregator.api.order_reads import ORDER_FIELDS, StatementReads
from aggregator.api.schemas import OrderDetailOut


def order_reads(connection: Connection, platform: str, shop_id: str, order_id: str) -> StatementReads:
    """The reads the detail of this order is made from, as the connection's database answers them best."""
    if connection.dialect.name == "postgresql":
        return PrefetchedReads(connection, platform, shop_id, order_id)
    return StatementReads(connection)


def order_detail(connection: Connection, platform: str, shop_id: str, order_id: str,
                 visible: Callable[[str], bool]) -> OrderDetailOut | None:
    """The order's detail, or ``None`` when there is no such order or ``visible`` refuses its owner."""
    return detail_from(order_reads(connection, platform, shop_id, order_id), platform, shop_id, order_id, visible)


def detail_from(reads: StatementReads, platform: str, shop_id: str, order_id: str,
                visible: Callable[[str], bool]) -> OrderDetailOut | None:
    row = reads.order(platform, shop_id, order_id)
    if row is None or not visible(row.owner_id):  # another owner's order answers like a missing one
        return None
    lines = reads.lines(row.id)
    chain = assemble_chain(reads, row, [line.line_ref for line in lines])
    return OrderDetailOut.model_validate({
        **{f: getattr(row, f) for f in ORDER_FIELDS},
        "lines": [line._asdict() for line in lines],
        "packages": [{"package_id": p.package_id, "tracking_number": p.tracking_number, "carrier": p.carrier,
                      "status": p.status, "line_refs": p.line_refs.split()} for p in reads.packages(row.id)],
        "timeline": chain.timeline, "chain": chain.links})
