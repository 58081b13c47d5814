"""Job leases: at most one holder per named job (syncing one shop-stream, matching one owner, …)
across all workers. ``token`` is the fencing token: it grows by one with every new holder, and every
commit of the holder's work checks it (``aggregator.jobs.lease``)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.types import JSONPayload, UTCDateTime


class JobLease(Base):
    __tablename__ = "job_leases"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    holder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    token: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class JobRun(Base):
    """One execution of a scheduled job (``aggregator.jobs.schedule``) or of one unit of it (an owner's
    matching, a rate source's fetch): status, error, attempt. A job that keeps failing is visible in
    ``aggregator runs list`` and ``GET /api/v1/job-runs``."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_target_id", "job", "target", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128), default="", server_default="")  # owner, source, shop; '' = all
    owner_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16))  # running succeeded failed busy
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    worker: Mapped[str | None] = mapped_column(String(128), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[Any] = mapped_column(JSONPayload(), nullable=True)
