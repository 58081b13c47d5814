"""Writes canonical after-sales records (``ReturnRecord``) into ``returns`` / ``return_lines``.

A return is one aggregate like an order: its header is upserted by (platform, shop_id, kind,
return_id) under the source-time guard (a late, older state never overwrites a newer one), and when
it was created or changed its lines are replaced as a whole. Re-running is a no-op (same content:
``unchanged``, no write, no audit entry).
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.orm import Session

from aggregator.store.fingerprint import content_hash
from aggregator.store.models.returns import ReturnLineRow, ReturnRow
from aggregator.store.upsert import UpsertOutcome, UpsertResult, upsert_many
from platform_adapters.canonical.returns import ReturnRecord

RETURN_KEY = ("platform", "shop_id", "kind", "return_id")


def return_values(record: ReturnRecord, owner_id: str) -> dict:
    return {
        "owner_id": owner_id, "platform": record.platform.value, "shop_id": record.shop_id,
        "kind": record.kind.value, "return_id": record.return_id, "order_id": record.order_id,
        "status": record.status.value, "raw_status": record.raw_status[:128],
        "currency": record.refund_amount.currency if record.refund_amount else None,
        "refund_amount": record.refund_amount.amount if record.refund_amount else None,
        "reason": record.reason, "tracking_number": record.tracking_number,
        "disposition": record.disposition.value if record.disposition else None,
        "requested_at": record.created_at, "source_updated_at": record.updated_at,
        "content_hash": content_hash(record),
    }


def write_return(session: Session, record: ReturnRecord, owner_id: str) -> UpsertResult:
    return write_returns(session, [record], owner_id)[0]


def write_returns(session: Session, records: Sequence[ReturnRecord], owner_id: str) -> list[UpsertResult]:
    results = upsert_many(session, ReturnRow, [return_values(r, owner_id) for r in records], RETURN_KEY)
    changed = [r.pk for r in results if r.outcome is UpsertOutcome.UPDATED]
    if changed:
        session.execute(delete(ReturnLineRow).where(ReturnLineRow.return_pk.in_(changed)))
    written = {r.pk: rec for rec, r in zip(records, results, strict=True)
               if r.outcome in (UpsertOutcome.CREATED, UpsertOutcome.UPDATED)}
    lines = [{"return_pk": pk, "line_ref": line.line_ref, "order_line_ref": line.order_line_ref,
              "seller_sku": line.seller_sku, "quantity": line.quantity,
              "currency": line.refund_amount.currency if line.refund_amount else None,
              "refund_amount": line.refund_amount.amount if line.refund_amount else None,
              "disposition": line.disposition.value if line.disposition else None}
             for pk, rec in written.items() for line in rec.lines]
    if lines:
        session.execute(ReturnLineRow.__table__.insert(), lines)
    return results
