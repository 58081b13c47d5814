"""TikTok Shop raw order statuses → the unified ``OrderStatus`` (webhooks say CANCEL for CANCELLED)."""
from __future__ import annotations

from platform_adapters.canonical import OrderStatus

STATUS_TABLE: dict[str, OrderStatus] = {
    "UNPAID": OrderStatus.UNPAID,
    "ON_HOLD": OrderStatus.PROCESSING,
    "AWAITING_SHIPMENT": OrderStatus.READY_TO_SHIP,
    "PARTIALLY_SHIPPING": OrderStatus.PROCESSING,
    "AWAITING_COLLECTION": OrderStatus.READY_TO_SHIP,
    "IN_TRANSIT": OrderStatus.SHIPPED,
    "DELIVERED": OrderStatus.DELIVERED,
    "COMPLETED": OrderStatus.COMPLETED,
    "CANCELLED": OrderStatus.CANCELLED,
    "CANCEL": OrderStatus.CANCELLED,
}


def unified_status(raw: object) -> OrderStatus:
    return STATUS_TABLE.get(str(raw).strip().upper(), OrderStatus.UNKNOWN) if raw is not None else OrderStatus.UNKNOWN
