"""What each change tells the outbox: one small function per kind of change, called by the code that
makes the change, inside its transaction (so each write site gains one line)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.events.outbox import emit, emit_many
from aggregator.store.models.sync import ExceptionItem, SyncRun
from aggregator.store.models.tenancy import ShopRow


def order_changes(session: Session, owner_id: str, values: Sequence[dict[str, Any]], results: Sequence[Any]) -> None:
    """``order.created`` for new orders, ``order.status_changed`` for a changed status (from ``upsert_many``'s
    results, in the order of ``values``)."""
    events = []
    for row, result in zip(values, results):
        outcome = result.outcome.value
        if outcome == "created":
            topic, extra = "order.created", {}
        elif outcome == "updated" and "status" in result.changes:
            topic, extra = "order.status_changed", {"previous_status": result.changes["status"][0]}
        else:
            continue
        events.append({"owner_id": owner_id, "topic": topic,
                       "key": f"{row['platform']}|{row['shop_id']}|{row['order_id']}",
                       "data": {"platform": row["platform"], "shop_id": row["shop_id"], "order_id": row["order_id"],
                                "status": row["status"], "source_updated_at": row["source_updated_at"], **extra}})
    emit_many(session, events)


def run_finished(session: Session, run: SyncRun) -> None:
    shop = session.execute(select(ShopRow.owner_id, ShopRow.platform, ShopRow.shop_id)
                           .where(ShopRow.id == run.shop_pk)).first()
    if shop is None:
        return
    emit(session, owner_id=shop.owner_id, topic="run.finished", key=str(run.id), data={
        "run_id": run.id, "platform": shop.platform, "shop_id": shop.shop_id, "stream": run.stream,
        "status": run.status, "created": run.created, "updated": run.updated, "failed": run.failed,
        "error": run.error})


def parked_exception(session: Session, item: ExceptionItem, *, resolved: bool = False) -> None:
    if item.owner_id:
        emit(session, owner_id=item.owner_id, topic="exception.resolved" if resolved else "exception.opened",
             key=str(item.id), data={"id": item.id, "queue": "parked", "source": item.source, "kind": item.kind,
                                     "reason": item.reason[:500], "record_key": item.record_key, "status": item.status})
