"""Shopee raw order statuses → the unified ``OrderStatus`` (unknown → UNKNOWN, raw value kept).

The table holds every value of Shopee's ``OrderStatus`` data definition (Open Platform v2 "Data
Definition": UNPAID, READY_TO_SHIP, PROCESSED, RETRY_SHIP, SHIPPED, TO_CONFIRM_RECEIVE, IN_CANCEL,
CANCELLED, TO_RETURN, COMPLETED) plus the two the order API also returns (``INVOICE_PENDING`` in BR,
the opt-in ``PENDING``). ``IN_CANCEL`` is "the order's cancellation is under processing" and
``TO_RETURN`` "the buyer requested to return the order and the order's return is processing": both
are in-progress states (CANCELLING, RETURNING), not outcomes. ``RETRY_SHIP`` (3PL pickup failed,
shipment to be re-arranged) is back to ready-to-ship.
"""
from __future__ import annotations

from platform_adapters.canonical import OrderStatus

STATUS_TABLE: dict[str, OrderStatus] = {
    "UNPAID": OrderStatus.UNPAID,
    "PENDING": OrderStatus.UNPAID,  # opt-in status before payment is confirmed
    "INVOICE_PENDING": OrderStatus.PROCESSING,  # BR: waiting for the seller's invoice
    "READY_TO_SHIP": OrderStatus.READY_TO_SHIP,
    "RETRY_SHIP": OrderStatus.READY_TO_SHIP,
    "PROCESSED": OrderStatus.PROCESSING,
    "SHIPPED": OrderStatus.SHIPPED,
    "TO_CONFIRM_RECEIVE": OrderStatus.DELIVERED,
    "IN_CANCEL": OrderStatus.CANCELLING,
    "CANCELLED": OrderStatus.CANCELLED,
    "TO_RETURN": OrderStatus.RETURNING,
    "COMPLETED": OrderStatus.COMPLETED,
}

#: Every raw status Shopee documents (the sandbox serves each one).
DOCUMENTED = tuple(STATUS_TABLE)


def unified_status(raw: object) -> OrderStatus:
    return STATUS_TABLE.get(str(raw).strip().upper(), OrderStatus.UNKNOWN) if raw is not None else OrderStatus.UNKNOWN
