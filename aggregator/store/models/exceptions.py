"""The one exceptions queue: every problem a person must look at, whatever found it.

``queue`` says where an item comes from and what can be done with it:

* ``parked`` — a record a sync, import, webhook or rate fetch could not use, kept with its raw payload
  (secrets redacted) and the reason; *retry* replays it through its mapper and the store.
* ``match`` — a problem the matcher found (``matching.exceptions.Reason`` in ``kind``, the ladder step,
  the record and its related records, a quantity); ``ref`` is the matcher's stable id (a hash of reason,
  step, record and related records), so a re-match keeps the row, its status and its resolution.
  *resolve* may record a manual link.
* ``settlement`` — a statement whose lines do not sum to its total, an order settled over or under
  what the buyer paid; cleared automatically when a later sync no longer finds it.

Status: ``open`` → ``resolved`` (a person, a manual link, or the finding went away) / ``retried`` (a
parked record replayed) / ``gone`` (a match exception the matcher no longer finds; found again, it
re-opens). The integer ``id`` is the item's id everywhere (CLI, API, events).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column, updated_at_column
from aggregator.store.types import JSONPayload, UTCDateTime

QUEUES = ("parked", "match", "settlement")
STATUSES = ("open", "retried", "resolved", "gone")


class ExceptionItem(Base):
    """One item of the exceptions queue (see the module docstring)."""

    __tablename__ = "exception_items"
    __table_args__ = (
        UniqueConstraint("owner_id", "queue", "ref"),
        Index("ix_exception_items_owner_status_id", "owner_id", "status", "id"),
        Index("ix_exception_items_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(16), default="parked")  # parked match settlement
    owner_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    source: Mapped[str] = mapped_column(String(64))  # e.g. shopee:orders, import:outbound, match, settlement
    kind: Mapped[str] = mapped_column(String(64))  # e.g. mapping_error, unlinked_receipt, statement_mismatch
    reason: Mapped[str] = mapped_column(Text)  # the sentence for people
    location: Mapped[str | None] = mapped_column(Text, nullable=True)
    record_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    record_key: Mapped[str | None] = mapped_column(String(400), nullable=True, index=True)
    related_keys: Mapped[str | None] = mapped_column(Text, nullable=True)  # space-separated (match candidates)
    step: Mapped[str | None] = mapped_column(String(32), nullable=True)
    partition: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    qty: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ref: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the matcher's stable exception id
    raw_payload: Mapped[Any] = mapped_column(JSONPayload(), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open retried resolved gone
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="SET NULL"), nullable=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    last_seen_at: Mapped[datetime] = updated_at_column()
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
