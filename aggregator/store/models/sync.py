"""Sync state: cursors and runs (parked records are in the exceptions queue,
``aggregator.store.models.exceptions``). Two workers never sync one shop-stream: the run holds the
lease ``sync:<shop_pk>:<stream>`` in ``job_leases``; its fencing token is stored on the run so the
reaper can tell a run whose worker died (``abandoned``) from one still going."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column, updated_at_column
from aggregator.store.types import JSONPayload, UTCDateTime


class SyncCursor(Base):
    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("shop_pk", "stream"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_pk: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(32))
    position: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    token: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = updated_at_column()


class SyncRun(Base):
    """One run of one (shop, stream): counts, cursor before/after, outcome, request ids."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_pk: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    stream: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16), default="incremental")
    # running succeeded partial failed abandoned (its worker died; the reaper closed it, ``error`` says why)
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    windows: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    stale: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    unknown_status: Mapped[int] = mapped_column(Integer, default=0)
    # orders pushed while their page was read, left to the push's re-read (``sync.push_deferral``); the
    # server default lets ``store.catch_up`` add the column to a database made before it (existing runs: 0)
    deferred: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cursor_before: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cursor_after: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    request_ids: Mapped[list[str] | None] = mapped_column(JSONPayload(), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(128), nullable=True)  # host:pid:start of the process
    lease_token: Mapped[int | None] = mapped_column(Integer, nullable=True)  # fencing token of its lease
