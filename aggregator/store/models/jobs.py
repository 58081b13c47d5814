"""Job leases: at most one holder per named job (syncing one shop-stream, matching one owner, …)
across all workers. ``token`` is the fencing token: it grows by one with every new holder, and every
commit of the holder's work checks it (``aggregator.jobs.lease``)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.types import UTCDateTime


class JobLease(Base):
    __tablename__ = "job_leases"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    holder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    token: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
