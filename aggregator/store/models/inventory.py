"""The reference inventory core's stock ledger (used only in ``inventory_mode=core``)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import updated_at_column
from aggregator.store.types import UTCDateTime


class StockMovementRow(Base):
    __tablename__ = "stock_movements"
    __table_args__ = (Index(None, "owner_id", "warehouse_code", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[str] = mapped_column(String(255), unique=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    warehouse_code: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(128))
    lot_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reference: Mapped[str | None] = mapped_column(String(128), nullable=True)
    stored_at: Mapped[datetime] = updated_at_column()
