"""The audit log: every create, update and resolution of stored data, with the changed fields."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column
from aggregator.store.types import JSONPayload


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = created_at_column()
    owner_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(512), index=True)
    action: Mapped[str] = mapped_column(String(16))  # create update delete resolve
    actor: Mapped[str] = mapped_column(String(128), default="system")
    changes: Mapped[Any] = mapped_column(JSONPayload(), nullable=True)
