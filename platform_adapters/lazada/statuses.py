"""Lazada item statuses → the unified ``OrderStatus``; an order's status is derived from its items.

Lazada keeps a status per order item (the order header only lists the distinct ``statuses``). The
table covers the union of what Lazada documents: the ``status`` filter of GetOrders (error 6 lists
unpaid, pending, packed, canceled, ready_to_ship, delivered, returned, shipped, failed, topack,
toship, lost, lost_by_3pl, damaged_by_3pl, failed_delivery, shipped_back, shipped_back_success,
shipped_back_failed, package_scrapped), the ``statuses`` demo of the GetOrders response (adds
repacked, ready_to_ship_pending, shipping) and ``confirmed``: the buyer confirmed receipt (the
reverse-order overview: returns are possible "before updating the order to Confirm status"; the
QueryLogisticsFeeDetail sample shows ``order_item_status: CONFIRMED``).

Failed deliveries travel back to the seller (failed / failed_delivery → shipped_back →
shipped_back_success, per the "Failed Delivered related Order Status Flow" guide): RETURNING until
they arrive (RETURNED); a return that never arrives (``shipped_back_failed``) and the 3PL's
lost/damaged/scrapped outcomes are LOST.

The order takes the least advanced status among its live items; when no item is live, a return on
its way back wins, then returned, lost, and cancelled last.
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
    "ready_to_ship_pending": OrderStatus.READY_TO_SHIP,  # RTS requested, waiting for the 3PL's confirmation
    "toship": OrderStatus.READY_TO_SHIP,
    "ready_to_ship": OrderStatus.READY_TO_SHIP,
    "shipping": OrderStatus.SHIPPED,
    "shipped": OrderStatus.SHIPPED,
    "delivered": OrderStatus.DELIVERED,
    "confirmed": OrderStatus.COMPLETED,  # buyer confirmed receipt: the return window is closed
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
    "failed": OrderStatus.RETURNING,  # delivery failed: the parcel goes back to the seller
    "failed_delivery": OrderStatus.RETURNING,
    "shipped_back": OrderStatus.RETURNING,
    "shipped_back_success": OrderStatus.RETURNED,
    "returned": OrderStatus.RETURNED,
    "shipped_back_failed": OrderStatus.LOST,
    "lost": OrderStatus.LOST,
    "lost_by_3pl": OrderStatus.LOST,
    "damaged_by_3pl": OrderStatus.LOST,
    "package_scrapped": OrderStatus.LOST,
}

#: Every raw item status Lazada documents (the sandbox serves each one; ``cancelled`` is a spelling
#: some payloads use, not a documented value).
DOCUMENTED = tuple(s for s in STATUS_TABLE if s != "cancelled")

PROGRESSION = (OrderStatus.UNPAID, OrderStatus.PROCESSING, OrderStatus.READY_TO_SHIP, OrderStatus.SHIPPED,
               OrderStatus.DELIVERED, OrderStatus.COMPLETED)
TERMINAL = (OrderStatus.RETURNING, OrderStatus.RETURNED, OrderStatus.LOST, OrderStatus.CANCELLED)


def unified_status(raw: object) -> OrderStatus:
    return STATUS_TABLE.get(str(raw).strip().lower(), OrderStatus.UNKNOWN) if raw is not None else OrderStatus.UNKNOWN


def order_status(raw_statuses: Iterable[str], *, cancel_pending: bool = False) -> OrderStatus:
    """The order's status from its items' raw statuses (UNKNOWN if any is unknown or none given).

    ``cancel_pending`` is the header's ``is_cancel_pending``: a live order with a cancellation
    request waiting for the seller is CANCELLING.
    """
    statuses = [unified_status(s) for s in raw_statuses]
    if not statuses or OrderStatus.UNKNOWN in statuses:
        return OrderStatus.UNKNOWN
    live = [s for s in statuses if s in PROGRESSION]
    if live:
        least = min(live, key=PROGRESSION.index)
        if cancel_pending and least in (OrderStatus.UNPAID, OrderStatus.PROCESSING, OrderStatus.READY_TO_SHIP):
            return OrderStatus.CANCELLING
        return least
    return next(s for s in TERMINAL if s in statuses)
