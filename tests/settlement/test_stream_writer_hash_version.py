"""The settlements stream's writer (``settlement.writer.write_settlement_records``, what a sync writes with)
stores settlement lines as the orders are: under ``record_hash``, a line stored under the previous hash
version (a version-1 sha256) is the same line when that version's hash matches — UNCHANGED, no audit entry,
its hash brought up to date — and a line that really changed is still UPDATED."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select, update

from aggregator.settlement.writer import write_settlement_records
from aggregator.store.db import session_scope
from aggregator.store.fingerprint import content_hash, is_current, record_hash
from aggregator.store.models import AuditEntry
from aggregator.store.models.marketplace import SettlementLineRow
from aggregator.store.upsert import UpsertOutcome
from fx.money import Money
from platform_adapters.canonical import FeeCategory, Platform, SettlementLine

AT = datetime(2026, 10, 19, 10, tzinfo=timezone.utc)


def _lines() -> list[SettlementLine]:
    return [SettlementLine(platform=Platform.SHOPEE, shop_id="S1", statement_id="escrow-1", transaction_id=f"T{n}",
                           kind=FeeCategory.REVENUE, raw_kind="escrow_amount", amount=Money.of(f"{n}000.5", "MYR"),
                           occurred_at=AT, order_id=f"O{n}", updated_at=AT) for n in range(1, 4)]


def _audits(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == SettlementLineRow.__tablename__))


def test_a_line_stored_under_the_previous_hash_version_is_unchanged_when_synced_again(engine) -> None:
    lines = _lines()
    with session_scope(engine) as session:
        assert [r.outcome for r in write_settlement_records(session, lines, "OWNER")] == [UpsertOutcome.CREATED] * 3
        stored = dict(session.execute(select(SettlementLineRow.transaction_id, SettlementLineRow.content_hash)).all())
        assert stored == {line.transaction_id: record_hash(line) for line in lines}
        for line in lines:  # as a release before record_hash stored them
            session.execute(update(SettlementLineRow).where(SettlementLineRow.transaction_id == line.transaction_id)
                            .values(content_hash=content_hash(line)))
    with session_scope(engine) as session:
        before = _audits(session)
        changed = replace(lines[-1], amount=Money.of("3000.25", "MYR"))  # same source time, other money
        outcomes = [r.outcome for r in write_settlement_records(session, [*lines[:-1], changed], "OWNER")]
        assert outcomes == [UpsertOutcome.UNCHANGED, UpsertOutcome.UNCHANGED, UpsertOutcome.UPDATED]
        assert _audits(session) == before + 1  # the changed line only
        stored = dict(session.execute(select(SettlementLineRow.transaction_id, SettlementLineRow.content_hash)).all())
        assert all(is_current(h) for h in stored.values())
        assert stored == {"T1": record_hash(lines[0]), "T2": record_hash(lines[1]), "T3": record_hash(changed)}
        assert session.scalar(select(SettlementLineRow.amount).where(SettlementLineRow.transaction_id == "T3")) \
            == Decimal("3000.25")
    with session_scope(engine) as session:  # and once more: nothing to do
        before = _audits(session)
        outcomes = [r.outcome for r in write_settlement_records(session, [*lines[:-1], changed], "OWNER")]
        assert outcomes == [UpsertOutcome.UNCHANGED] * 3 and _audits(session) == before
