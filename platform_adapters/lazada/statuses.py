"""Lazada item statuses → the unified ``OrderStatus``; an order's status is derived from its items.

Lazada keeps a status per order item (the order header only lists the distinct ``statuses``).
The order takes the least advanced status among its live items; cancelled/returned only when
every item is.
"""
from __future__ import annotations

from collections.abc import Iterable

from platform_adapters.canonical import OrderStatus

STATUS_TABLE: dict[str, OrderStatus] = {
    "unpaid": OrderStatus.UNPAID,
    "pending": OrderStatus.PROCESSING,
    "topack": OrderStatus.PROCESSING,
    "packed": OrderStatus.PROCESSING,
    "repacked": OrderStatus.PROCESSING,
    "toship": OrderStatus.READY_TO_SHIP,
    "ready_to_ship": OrderStatus.READY_TO_SHIP,
    "shipping": OrderStatus.SHIPPED,
    "shipped": OrderStatus.SHIPPED,
    "delivered": OrderStatus.DELIVERED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
    "lost": OrderStatus.CANCELLED,
    "lost_by_3pl": OrderStatus.CANCELLED,
    "damaged_by_3pl": OrderStatus.CANCELLED,
    "package_scrapped": OrderStatus.CANCELLED,
    "returned": OrderStatus.RETURNED,
    "failed": OrderStatus.RETURNED,
    "failed_delivery": OrderStatus.RETURNED,
    "shipped_back": OrderStatus.RETURNED,
    "shipped_back_success": OrderStatus.RETURNED,
    "shipped_back_failed": OrderStatus.RETURNED,
}

PROGRESSION = (OrderStatus.UNPAID, OrderStatus.PROCESSING, OrderStatus.READY_TO_SHIP, OrderStatus.SHIPPED,
               OrderStatus.DELIVERED, OrderStatus.COMPLETED)
TERMINAL = (OrderStatus.RETURNED, OrderStatus.CANCELLED)


def unified_status(raw: object) -> OrderStatus:
    return STATUS_TABLE.get(str(raw).strip().lower(), OrderStatus.UNKNOWN) if raw is not None else OrderStatus.UNKNOWN


def order_status(raw_statuses: Iterable[str]) -> OrderStatus:
    """The order's status from its items' raw statuses (UNKNOWN if any is unknown or none given)."""
    statuses = [unified_status(s) for s in raw_statuses]
    if not statuses or OrderStatus.UNKNOWN in statuses:
        return OrderStatus.UNKNOWN
    live = [s for s in statuses if s in PROGRESSION]
    if live:
        return min(live, key=PROGRESSION.index)
    return next(s for s in TERMINAL if s in statuses)  # all cancelled/returned: returned wins over cancelled
