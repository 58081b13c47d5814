"""Shopee raw order statuses → the unified ``OrderStatus`` (unknown → UNKNOWN, raw value kept)."""
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
    "IN_CANCEL": OrderStatus.PROCESSING,  # cancellation requested, not yet decided
    "CANCELLED": OrderStatus.CANCELLED,
    "TO_RETURN": OrderStatus.RETURNED,
    "COMPLETED": OrderStatus.COMPLETED,
}


def unified_status(raw: object) -> OrderStatus:
    return STATUS_TABLE.get(str(raw).strip().upper(), OrderStatus.UNKNOWN) if raw is not None else OrderStatus.UNKNOWN
