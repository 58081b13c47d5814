"""Job leases: at most one holder per named job (e.g. matching one owner) across all workers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.types import UTCDateTime


class JobLease(Base):
    __tablename__ = "job_leases"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    holder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
