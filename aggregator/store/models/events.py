"""The outbox: one row per change worth telling a live client about, written in the same transaction
as the change itself (so an event exists exactly when its change committed, whichever process made it).

Rows are append-only; ``id`` orders them and is the Server-Sent Events id a client resumes from
(``Last-Event-ID``). ``(owner_id, id)`` is the index every reader uses: a client sees only its owner.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column
from aggregator.store.types import JSONPayload


class OutboxEventRow(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_owner_id_id", "owner_id", "id"),)

    # BIGINT on PostgreSQL; INTEGER PRIMARY KEY (the rowid, 64-bit) on SQLite
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(600))
    data: Mapped[Any] = mapped_column(JSONPayload(), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
