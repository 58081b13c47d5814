"""After-sales tables: returns, refunds and cancellations (key platform + shop_id + kind + return_id)
and their lines.

A return line names the order line it takes back by natural key (the order's ``order_id`` on the
header, ``order_line_ref`` on the line), so a return stored before its order still links once the
order arrives; ``ix_returns_order`` answers "the returns of this order" with one index probe.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column, updated_at_column
from aggregator.store.types import ExactDecimal, UTCDateTime


class ReturnRow(Base):
    __tablename__ = "returns"
    __table_args__ = (
        UniqueConstraint("platform", "shop_id", "kind", "return_id"),
        Index("ix_returns_order", "platform", "shop_id", "order_id"),
        Index("ix_returns_owner_page", "owner_id", "source_updated_at", "id"),
        Index("ix_returns_owner_stored", "owner_id", "stored_at"),  # matching: what changed since its last run
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    shop_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    return_id: Mapped[str] = mapped_column(String(128))
    order_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    raw_status: Mapped[str] = mapped_column(String(128))
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    refund_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    tracking_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(16), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = created_at_column()
    stored_at: Mapped[datetime] = updated_at_column()


class ReturnLineRow(Base):
    __tablename__ = "return_lines"
    __table_args__ = (UniqueConstraint("return_pk", "line_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_pk: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    line_ref: Mapped[str] = mapped_column(String(128))
    order_line_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    seller_sku: Mapped[str] = mapped_column(String(128), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    refund_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(16), nullable=True)
