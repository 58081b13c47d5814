"""FX tables: published rates with provenance, rate locks and their utilisations, FX open items,
revaluation runs and the journal lines FX produces.

Rates are public reference data (no owner); everything an owner decides (locks, receivables,
journals) carries ``owner_id``. Rates keep the value exactly as published (``ExactDecimal``).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column, updated_at_column
from aggregator.store.types import ExactDecimal, JSONPayload, UTCDateTime


class FxRateImport(Base):
    """One payload read from a rate source: where from, its hash, what it gave and what was wrong."""

    __tablename__ = "fx_rate_imports"
    __table_args__ = (UniqueConstraint("source", "content_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(Text)  # file name or URL (without query string)
    content_sha256: Mapped[str] = mapped_column(String(64))
    rates_read: Mapped[int] = mapped_column(Integer, default=0)
    rates_created: Mapped[int] = mapped_column(Integer, default=0)
    rates_revised: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[Any] = mapped_column(JSONPayload(), default=list)
    imported_at: Mapped[datetime] = created_at_column()


class FxRateRow(Base):
    """A published rate: ``unit`` ``base`` = ``value`` ``quote`` on ``rate_date`` from ``source``."""

    __tablename__ = "fx_rates"
    __table_args__ = (UniqueConstraint("source", "base", "quote", "side", "rate_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    side: Mapped[str] = mapped_column(String(8))
    rate_date: Mapped[date] = mapped_column(Date, index=True)
    value: Mapped[Decimal] = mapped_column(ExactDecimal())
    unit: Mapped[int] = mapped_column(Integer, default=1)
    reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("fx_rate_imports.id", ondelete="SET NULL"),
                                                  nullable=True)
    created_at: Mapped[datetime] = created_at_column()


class FxLockRow(Base):
    """A rate lock. ``used_amount`` and ``version`` change together under a row lock (no over-draw)."""

    __tablename__ = "fx_locks"
    __table_args__ = (UniqueConstraint("owner_id", "lock_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    lock_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(128), nullable=True)
    sell_currency: Mapped[str] = mapped_column(String(3))
    buy_currency: Mapped[str] = mapped_column(String(3))
    rate_base: Mapped[str] = mapped_column(String(3))  # client_rate = other currency per 1 rate_base
    client_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    mid_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    notional_amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    notional_currency: Mapped[str] = mapped_column(String(3))
    tolerance: Mapped[Decimal] = mapped_column(ExactDecimal())
    usage: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_to: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    used_amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class FxLockUtilisationRow(Base):
    """One use of a lock; the idempotency key is unique per lock (the same key twice counts once)."""

    __tablename__ = "fx_lock_utilisations"
    __table_args__ = (UniqueConstraint("lock_pk", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lock_pk: Mapped[int] = mapped_column(ForeignKey("fx_locks.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    dealt_amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    dealt_currency: Mapped[str] = mapped_column(String(3))
    counter_amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    counter_currency: Mapped[str] = mapped_column(String(3))
    utilised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reference: Mapped[str | None] = mapped_column(String(255), nullable=True)


class FxOpenItemRow(Base):
    """A foreign-currency receivable at its carrying amount; open until ``settled_on``."""

    __tablename__ = "fx_open_items"
    __table_args__ = (UniqueConstraint("owner_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    item_id: Mapped[str] = mapped_column(String(128))
    account: Mapped[str] = mapped_column(String(64))
    original_amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    original_currency: Mapped[str] = mapped_column(String(3))
    carrying_amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    book_currency: Mapped[str] = mapped_column(String(3))
    carrying_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    recognised_on: Mapped[date] = mapped_column(Date)  # the transaction's (statement's) own date
    rate_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # the rate's date (earlier on fallback)
    rate_source: Mapped[str] = mapped_column(String(64))
    rate_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    settled_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class FxRevaluationRun(Base):
    """One month-end revaluation run of one owner's open items in one book currency. A period can have
    several runs (``sequence`` 1, 2, …): a later run revalues only items no earlier run of the period did."""

    __tablename__ = "fx_revaluation_runs"
    __table_args__ = (UniqueConstraint("owner_id", "period", "book_currency", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(7))
    book_currency: Mapped[str] = mapped_column(String(3))
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    rounding: Mapped[str] = mapped_column(String(16))
    items_count: Mapped[int] = mapped_column(Integer, default=0)
    total_unrealized: Mapped[Decimal] = mapped_column(ExactDecimal())
    details: Mapped[Any] = mapped_column(JSONPayload(), default=list)
    created_at: Mapped[datetime] = created_at_column()


class FxJournalLineRow(Base):
    """A journal line produced by FX (realized, revaluation, reversal); unique idempotency key per owner."""

    __tablename__ = "fx_journal_lines"
    __table_args__ = (UniqueConstraint("owner_id", "idem_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    journal_id: Mapped[str] = mapped_column(String(128), index=True)
    journal_date: Mapped[date] = mapped_column(Date)
    line_no: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(String(64))
    book_currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    line_type: Mapped[str] = mapped_column(String(32))
    original_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    original_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    rate_source: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rate_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    rounding: Mapped[str] = mapped_column(String(16))
    memo: Mapped[str] = mapped_column(Text, default="")
    idem_key: Mapped[str] = mapped_column(String(255))
    revaluation_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("fx_revaluation_runs.id", ondelete="CASCADE"), nullable=True, index=True)
    created_at: Mapped[datetime] = created_at_column()
