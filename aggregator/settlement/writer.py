"""The ``settlements`` stream's writer: a batch holds settlement lines and statements (the adapters'
settlement mappers emit both); each goes to its own table by natural key, outcomes in batch order.
Settlement lines go through ``store.marketplace_writer.write_settlement_lines`` (their ``record_hash``, a
line stored under the previous hash version recognised as the same line: no audit entry).
Statements are upserted ``hashed``: one whose content hash (and source time) is unchanged is left as it
is, so the payment state the aggregator gave a status-less statement (paid by payout batches or wallet
withdrawals, ``payouts`` / ``wallet``) survives a re-sync; a statement whose content changed is rewritten
whole and its payment state derived again.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from aggregator.store.fingerprint import content_hash
from aggregator.store.marketplace_writer import write_settlement_lines
from aggregator.store.models.settlement import StatementRow
from aggregator.store.upsert import UpsertResult, upsert_many
from platform_adapters.canonical import SettlementLine, Statement

STATEMENT_KEY = ("platform", "shop_id", "statement_id")


def statement_values(statement: Statement, owner_id: str) -> dict:
    return {
        "owner_id": owner_id,
        "platform": statement.platform.value,
        "shop_id": statement.shop_id,
        "statement_id": statement.statement_id,
        "currency": statement.currency,
        "issued_at": statement.issued_at,
        "declared_total": statement.declared_total.amount,
        "payout": statement.payout.amount if statement.payout else None,
        "reserve": statement.reserve.amount if statement.reserve else None,
        "payment_status": statement.payment_status,
        "payout_id": statement.payout_id,
        "paid_at": statement.paid_at,
        "breakdown": dict(statement.breakdown),
        "source_updated_at": statement.updated_at,
        "content_hash": content_hash(statement),
    }


def write_settlement_record(session: Session, record: Any, owner_id: str) -> UpsertResult:
    return write_settlement_records(session, [record], owner_id)[0]


def write_settlement_records(session: Session, records: Sequence[Any], owner_id: str) -> list[UpsertResult]:
    """Upsert a mixed batch of ``SettlementLine`` and ``Statement`` records; results in input order."""
    lines = [(i, r) for i, r in enumerate(records) if isinstance(r, SettlementLine)]
    statements = [(i, r) for i, r in enumerate(records) if isinstance(r, Statement)]
    if len(lines) + len(statements) != len(records):
        unknown = next(type(r).__name__ for r in records if not isinstance(r, (SettlementLine, Statement)))
        raise TypeError(f"the settlements stream cannot store a {unknown}")
    results: list[UpsertResult | None] = [None] * len(records)
    if lines:
        done = write_settlement_lines(session, [r for _, r in lines], owner_id)
        for (index, _), result in zip(lines, done):
            results[index] = result
    if statements:
        done = upsert_many(session, StatementRow, [statement_values(r, owner_id) for _, r in statements],
                           STATEMENT_KEY, hashed=True)
        for (index, _), result in zip(statements, done):
            results[index] = result
    return results  # type: ignore[return-value]
