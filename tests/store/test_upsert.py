"""Idempotent upserts, stale-update protection, audit entries, exact types — on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aggregator.store.marketplace_writer import write_order
from aggregator.store.models import AuditEntry, OrderLineRow, OrderRow
from aggregator.store.upsert import UpsertOutcome
from platform_adapters.canonical import OrderStatus
from tests.store.factories import T0, make_order, make_shop


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_same_record_twice_is_one_row_and_one_audit_entry(session) -> None:
    make_shop(session)
    first = write_order(session, make_order(), "LUMINA-HK")
    audits = count(session, AuditEntry)
    second = write_order(session, make_order(), "LUMINA-HK")
    assert (first.outcome, second.outcome) == (UpsertOutcome.CREATED, UpsertOutcome.UNCHANGED)
    assert count(session, OrderRow) == 1
    assert count(session, OrderLineRow) == 1
    assert count(session, AuditEntry) == audits


def test_newer_update_replaces_and_is_audited(session) -> None:
    make_shop(session)
    write_order(session, make_order(), "LUMINA-HK")
    newer = make_order(updated=T0 + timedelta(hours=2), status=OrderStatus.SHIPPED, qty=2)
    result = write_order(session, newer, "LUMINA-HK")
    assert result.outcome is UpsertOutcome.UPDATED
    row = session.scalars(select(OrderRow)).one()
    assert row.status == "SHIPPED"
    assert row.total_amount == Decimal("39.80")
    assert session.scalars(select(OrderLineRow.quantity)).all() == [2]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "orders",
                                                     AuditEntry.action == "update")).one()
    assert entry.changes["status"] == ["READY_TO_SHIP", "SHIPPED"]
    assert entry.entity_key == "shopee|480012345|2611010001"


def test_stale_update_never_overwrites_a_newer_one(session) -> None:
    make_shop(session)
    write_order(session, make_order(updated=T0 + timedelta(hours=5), status=OrderStatus.DELIVERED), "LUMINA-HK")
    result = write_order(session, make_order(updated=T0, status=OrderStatus.READY_TO_SHIP), "LUMINA-HK")
    assert result.outcome is UpsertOutcome.STALE
    assert session.scalars(select(OrderRow.status)).one() == "DELIVERED"


def test_amounts_and_times_round_trip_exactly(session) -> None:
    make_shop(session)
    order = make_order(price="12345678901234.123456789")
    write_order(session, order, "LUMINA-HK")
    session.commit()
    row = session.scalars(select(OrderRow)).one()
    assert row.total_amount == Decimal("12345678901234.123456789")
    assert row.source_updated_at == T0 and row.source_updated_at.tzinfo is not None
    line = session.scalars(select(OrderLineRow)).one()
    assert line.unit_price == Decimal("12345678901234.123456789")


def test_naive_datetimes_and_floats_are_refused(session) -> None:
    make_shop(session)
    from aggregator.store.models import SettlementLineRow

    with pytest.raises(Exception, match="naive"):
        session.add(SettlementLineRow(owner_id="LUMINA-HK", platform="shopee", shop_id="1", statement_id="s",
                                      transaction_id="t", kind="X", amount=Decimal(1), currency="MYR",
                                      occurred_at=datetime(2026, 1, 1), content_hash="h"))
        session.flush()
    session.rollback()
    with pytest.raises(Exception, match="Decimal"):
        session.add(SettlementLineRow(owner_id="LUMINA-HK", platform="shopee", shop_id="1", statement_id="s",
                                      transaction_id="t", kind="X", amount=1.5, currency="MYR",
                                      occurred_at=datetime(2026, 1, 1, tzinfo=timezone.utc), content_hash="h"))
        session.flush()
