"""Settlement tables: marketplace statements with their check, and per-order reconciliation results.

A statement (key platform + shop_id + statement_id) keeps what the platform declares (total, payout,
reserve, status) and what the aggregator found: the sum of its stored lines and the difference.
``settlement_reconciliations`` holds the latest verdict per order (or per order id seen only in
settlement lines), recomputed when the order's lines or the order change.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aggregator.store.base import Base
from aggregator.store.models.common import created_at_column, updated_at_column
from aggregator.store.types import ExactDecimal, JSONPayload, UTCDateTime


class StatementRow(Base):
    __tablename__ = "settlement_statements"
    __table_args__ = (UniqueConstraint("platform", "shop_id", "statement_id"),
                      Index("ix_settlement_statements_owner_page", "owner_id", "issued_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    shop_id: Mapped[str] = mapped_column(String(64))
    statement_id: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    declared_total: Mapped[Decimal] = mapped_column(ExactDecimal())
    payout: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    reserve: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    payment_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    payout_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    breakdown: Mapped[Any] = mapped_column(JSONPayload(), default=dict)
    source_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content_hash: Mapped[str] = mapped_column(String(64))
    # what the aggregator found (reconcile_statements): sum of stored lines, difference, verdict
    lines_total: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    lines_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    difference: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    check_status: Mapped[str | None] = mapped_column(String(16), nullable=True)  # balanced | mismatch
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    stored_at: Mapped[datetime] = updated_at_column()


class ReconciliationRow(Base):
    __tablename__ = "settlement_reconciliations"
    __table_args__ = (UniqueConstraint("platform", "shop_id", "order_id"),
                      Index("ix_settlement_reconciliations_owner_page", "owner_id", "id"),
                      Index("ix_settlement_reconciliations_owner_status_page", "owner_id", "status", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    shop_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24), index=True)
    order_gross: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    deductions: Mapped[Decimal] = mapped_column(ExactDecimal())
    expected_net: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    settled: Mapped[Decimal] = mapped_column(ExactDecimal())
    difference: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    by_category: Mapped[Any] = mapped_column(JSONPayload(), default=dict)
    statements: Mapped[str] = mapped_column(String(512), default="")
    last_settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    computed_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
