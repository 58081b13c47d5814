"""Webhook events as received: deduplicated by (platform, event_id), with what applying them did.

Indexed for the push apply path (``aggregator/push_apply.py``): a shop's events still to re-read
(platform, shop, status) and an order's other pushes (platform, shop, order)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column
from aggregator.store.types import UTCDateTime


class WebhookEventRow(Base):
    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("platform", "event_id"),
                      Index("ix_webhook_events_shop_status", "platform", "shop_id", "status"),
                      Index("ix_webhook_events_order", "platform", "shop_id", "order_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    owner_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    shop_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    raw_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    received_at: Mapped[datetime] = created_at_column()
    status: Mapped[str] = mapped_column(String(16), default="received")  # received applied unchanged stale ignored failed
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[str] = mapped_column(Text)
