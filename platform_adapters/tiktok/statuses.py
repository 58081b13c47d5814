"""TikTok Shop raw order statuses → the unified ``OrderStatus``.

The table is the ``status`` enum of Get Order Detail / Get Order List (202309+: UNPAID, ON_HOLD,
AWAITING_SHIPMENT, PARTIALLY_SHIPPING, AWAITING_COLLECTION, IN_TRANSIT, DELIVERED, COMPLETED,
CANCELLED) plus ``CANCEL``, the spelling of the order-status webhook (type 1). TikTok has no
return status on the order: returns and cancellations live in the Return & Refund API. A pending
buyer cancellation shows as ``is_buyer_request_cancel: true`` on a live order: CANCELLING
(:func:`order_status`).
"""
from __future__ import annotations

from platform_adapters.canonical import OrderStatus

STATUS_TABLE: dict[str, OrderStatus] = {
    "UNPAID": OrderStatus.UNPAID,
    "ON_HOLD": OrderStatus.PROCESSING,
    "AWAITING_SHIPMENT": OrderStatus.READY_TO_SHIP,
    "PARTIALLY_SHIPPING": OrderStatus.PROCESSING,  # some items shipped; each line carries its own status
    "AWAITING_COLLECTION": OrderStatus.READY_TO_SHIP,
    "IN_TRANSIT": OrderStatus.SHIPPED,
    "DELIVERED": OrderStatus.DELIVERED,
    "COMPLETED": OrderStatus.COMPLETED,
    "CANCELLED": OrderStatus.CANCELLED,
    "CANCEL": OrderStatus.CANCELLED,
}

#: Every raw status TikTok documents for orders (the sandbox serves each one).
DOCUMENTED = tuple(s for s in STATUS_TABLE if s != "CANCEL")
CANCELLABLE = frozenset({OrderStatus.UNPAID, OrderStatus.PROCESSING, OrderStatus.READY_TO_SHIP})


def unified_status(raw: object) -> OrderStatus:
    return STATUS_TABLE.get(str(raw).strip().upper(), OrderStatus.UNKNOWN) if raw is not None else OrderStatus.UNKNOWN


def order_status(raw: object, buyer_requested_cancel: bool = False) -> OrderStatus:
    """The order's status; a live, unshipped order with a pending buyer cancellation is CANCELLING."""
    status = unified_status(raw)
    if buyer_requested_cancel and status in CANCELLABLE:
        return OrderStatus.CANCELLING
    return status
