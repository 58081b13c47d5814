"""Marketplace records: orders, their lines and packages, and settlement (payout) lines.

The key of an order is (platform, shop_id, order_id): Lazada ids are only unique within a store.
``updated_at`` is the source's own update time; the store never lets an older one overwrite a
newer one.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from fx.money import Money
from platform_adapters.canonical.common import Platform, require_aware, slot_init


class OrderStatus(str, enum.Enum):
    """The unified order status set every platform's raw statuses map onto.

    ``CANCELLING`` (a cancellation was requested and is not decided yet: Shopee ``IN_CANCEL``,
    TikTok ``is_buyer_request_cancel``) and ``RETURNING`` (a return or failed delivery is on its way
    back: Shopee ``TO_RETURN``, Lazada ``failed_delivery``/``shipped_back``) are states of their
    own, never folded into CANCELLED/RETURNED: the goods are still out and the money is not final.
    ``LOST`` is a last-mile loss or scrapping the marketplace reports (Lazada ``lost_by_3pl``,
    ``damaged_by_3pl``, ``package_scrapped``).
    """

    UNPAID = "UNPAID"
    READY_TO_SHIP = "READY_TO_SHIP"
    PROCESSING = "PROCESSING"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    RETURNING = "RETURNING"
    RETURNED = "RETURNED"
    LOST = "LOST"
    UNKNOWN = "UNKNOWN"


@slot_init
@dataclass(frozen=True, slots=True)
class Package:
    """A parcel of an order as the marketplace knows it (Shopee package_number, TikTok package id)."""

    package_id: str
    tracking_number: str | None = None
    carrier: str | None = None
    status: str | None = None
    line_refs: tuple[str, ...] = ()


@slot_init
@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of an order.

    ``line_ref`` is the platform's line identity: Shopee ``item_id:model_id`` (plus a sequence when
    the same model repeats), Lazada ``order_item_id`` (one per unit), TikTok line item id. A
    component of a virtual bundle (TikTok ``combined_listing_skus``) is a line of its own with
    ``bundle_ref`` = the bundle's line identity and ``bundle_sku`` = the bundle's seller SKU.
    """

    line_ref: str
    seller_sku: str
    quantity: int
    unit_price: Money | None = None
    paid_amount: Money | None = None
    item_id: str | None = None
    model_id: str | None = None
    product_name: str = ""
    status: OrderStatus | None = None
    raw_status: str | None = None
    package_id: str | None = None
    tracking_number: str | None = None
    bundle_ref: str | None = None
    bundle_sku: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity < 0:
            raise ValueError(f"quantity must be a non-negative int, got {self.quantity!r}")


@slot_init
@dataclass(frozen=True, slots=True)
class Order:
    """A marketplace order in the unified shape."""

    platform: Platform
    shop_id: str
    order_id: str
    status: OrderStatus
    raw_status: str
    created_at: datetime
    updated_at: datetime
    currency: str
    total_amount: Money | None = None
    paid_at: datetime | None = None
    buyer_country: str | None = None
    lines: tuple[OrderLine, ...] = ()
    packages: tuple[Package, ...] = ()
    shipping_fee: Money | None = None

    def __post_init__(self) -> None:
        require_aware(self, "created_at", "updated_at", "paid_at")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.platform.value, self.shop_id, self.order_id)


@dataclass(frozen=True, slots=True)
class SettlementLine:
    """One money movement a marketplace reports for a shop: order income, fee, adjustment, payout.

    Key: (platform, shop_id, statement_id, transaction_id).
    ``kind`` is a ``canonical.settlement.FeeCategory`` value (REVENUE, COMMISSION, …, OTHER); the
    platform's own fee name is ``raw_kind`` / ``description``.
    """

    platform: Platform
    shop_id: str
    statement_id: str
    transaction_id: str
    kind: str
    amount: Money
    occurred_at: datetime
    order_id: str | None = None
    payout_id: str | None = None
    description: str = ""
    raw_kind: str | None = None
    updated_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_aware(self, "occurred_at", "updated_at")
