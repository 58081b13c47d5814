"""Marketplace tables: orders (key platform + shop_id + order_id), lines, packages, settlement lines."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column, updated_at_column
from aggregator.store.types import ExactDecimal, UTCDateTime
from matching import keys


def order_key(platform: str, shop_id: str, order_id: str) -> str:
    """An order in the key form matching stores its lines' links under (``matching.frames``: platform|shop|order,
    normalised by ``matching.keys``): the key order lines' links start with."""
    return _shop_prefix(platform, shop_id) + (keys.normalize_order_id(order_id) or "")


@lru_cache(maxsize=4096)
def _shop_prefix(platform: str, shop_id: str) -> str:
    """``platform|shop|`` normalised: the same for every order of a shop, so worked out once per shop."""
    return f"{keys.normalize_code(platform) or ''}|{keys.normalize_code(shop_id) or ''}|"


def _order_key_default(context) -> str:
    values = context.get_current_parameters()
    return order_key(values["platform"], values["shop_id"], values["order_id"])


class OrderRow(Base):
    """An order header. The composite indexes serve the API's keyset pages (newest update first) per
    owner, per owner and status, and per shop; ``order_id`` alone serves search by identifier and
    ``order_key`` (filled on insert, whichever writer inserts) the walk from matched links back to orders."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("platform", "shop_id", "order_id"),
        Index("ix_orders_owner_page", "owner_id", "source_updated_at", "id"),
        Index("ix_orders_owner_status_page", "owner_id", "status", "source_updated_at", "id"),
        Index("ix_orders_shop_page", "platform", "shop_id", "source_updated_at", "id"),
        Index("ix_orders_order_id", "order_id"),
        Index("ix_orders_owner_stored", "owner_id", "stored_at"),  # matching: what changed since its last run
        Index("ix_orders_owner_shop", "owner_id", "platform", "shop_id"),  # matching: an owner's shops, index-only
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    shop_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str] = mapped_column(String(64))
    order_key: Mapped[str] = mapped_column(String(160), index=True, default=_order_key_default)
    status: Mapped[str] = mapped_column(String(16), index=True)
    raw_status: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    shipping_fee: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    buyer_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    source_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = created_at_column()
    stored_at: Mapped[datetime] = updated_at_column()


class OrderLineRow(Base):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_pk", "line_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    line_ref: Mapped[str] = mapped_column(String(128), index=True)
    seller_sku: Mapped[str] = mapped_column(String(128), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    unit_price: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    paid_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    item_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    product_name: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    raw_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    package_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tracking_number: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    bundle_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)  # the bundle line it expands
    bundle_sku: Mapped[str | None] = mapped_column(String(128), nullable=True)


class OrderPackageRow(Base):
    __tablename__ = "order_packages"
    __table_args__ = (UniqueConstraint("order_pk", "package_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    package_id: Mapped[str] = mapped_column(String(64), index=True)
    tracking_number: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    carrier: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    line_refs: Mapped[str] = mapped_column(Text, default="")  # space-separated line refs


class SettlementLineRow(Base):
    __tablename__ = "settlement_lines"
    __table_args__ = (UniqueConstraint("platform", "shop_id", "statement_id", "transaction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    shop_id: Mapped[str] = mapped_column(String(64))
    statement_id: Mapped[str] = mapped_column(String(64))
    transaction_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    raw_kind: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    payout_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[datetime] = updated_at_column()
