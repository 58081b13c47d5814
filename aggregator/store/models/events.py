"""The outbox: one row per change worth telling a live client about, written in the same transaction
as the change itself (so an event exists exactly when its change committed, whichever process made it).

``id`` is taken when the row is inserted, so on PostgreSQL ids can commit out of order (a long
transaction holding id 5 commits after a short one holding id 6): a reader that resumed after 6 would
never see 5. ``position`` fixes the order: it is given to committed rows only, in one serialized step
(``aggregator.events.outbox.sequence``), so positions only ever grow in the order readers can see them.
Streams read and resume by ``position`` (the Server-Sent Events id); rows without one are not yet
visible. ``(owner_id, position)`` is the index every stream uses.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column
from aggregator.store.types import JSONPayload

_BIG = BigInteger().with_variant(Integer, "sqlite")  # INTEGER is SQLite's 64-bit rowid type


class OutboxEventRow(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_owner_id_position", "owner_id", "position"),
        Index("ix_outbox_events_position", "position", unique=True),
        Index("ix_outbox_events_created_at", "created_at"),  # retention: prune by age
    )

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    position: Mapped[int | None] = mapped_column(_BIG, nullable=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(600))
    data: Mapped[Any] = mapped_column(JSONPayload(), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
