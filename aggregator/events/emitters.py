"""What each change tells the outbox: one small function per kind of change, called by the code that
makes the change, inside its transaction (so each write site gains one line)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.events.outbox import emit, emit_many
from aggregator.store.audit_json import json_objects
from aggregator.store.jsonutil import encode_columns
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.sync import SyncRun
from aggregator.store.models.tenancy import ShopRow


def order_changes(session: Session, owner_id: str, values: Sequence[dict[str, Any]], results: Sequence[Any], *,
                  prepared: bool = True) -> None:
    """``order.created`` for new orders, ``order.status_changed`` for a changed status (from ``upsert_many``'s
    results, in the order of ``values``). Each event's data is serialised once, here (``prepared``: stored
    through one prepared executemany or COPY, see ``emit_many``)."""
    emit_many(session, order_change_events(owner_id, values, results), prepared=prepared)


def order_change_events(owner_id: str, values: Sequence[dict[str, Any]], results: Sequence[Any]) -> list[dict]:
    """The events ``order_changes`` emits, for a caller that writes them itself (``outbox.outbox_rows``)."""
    events, created = [], []
    for row, result in zip(values, results):
        outcome = result.outcome.value
        if outcome == "created":
            created.append(len(events))
            events.append(tuple(row[name] for name in ORDER_EVENT))
        elif outcome == "updated" and "status" in result.changes:
            events.append({"owner_id": owner_id, "topic": "order.status_changed",
                           "key": f"{row['platform']}|{row['shop_id']}|{row['order_id']}",
                           "data": encode_columns({**{name: row[name] for name in ORDER_EVENT},
                                                   "previous_status": result.changes["status"][0]})})
    for index, event in zip(created, orders_created(owner_id, [events[i] for i in created])):
        events[index] = event
    return events


#: what an order's event tells (a status change adds ``previous_status``)
ORDER_EVENT = ("platform", "shop_id", "order_id", "status", "source_updated_at")


def orders_created(owner_id: str, orders: Sequence[tuple]) -> list[dict[str, Any]]:
    """The ``order.created`` events of new orders given as ``ORDER_EVENT`` tuples, their data serialised
    column by column (``audit_json.json_objects``: the text ``encode_columns`` writes)."""
    return [{"owner_id": owner_id, "topic": "order.created", "key": f"{order[0]}|{order[1]}|{order[2]}", "data": data}
            for order, data in zip(orders, json_objects(ORDER_EVENT, orders))]


def run_finished(session: Session, run: SyncRun) -> None:
    shop = session.execute(select(ShopRow.owner_id, ShopRow.platform, ShopRow.shop_id)
                           .where(ShopRow.id == run.shop_pk)).first()
    if shop is None:
        return
    emit(session, owner_id=shop.owner_id, topic="run.finished", key=str(run.id), data={
        "run_id": run.id, "platform": shop.platform, "shop_id": shop.shop_id, "stream": run.stream,
        "status": run.status, "created": run.created, "updated": run.updated, "failed": run.failed,
        "error": run.error})


def exception_changes(session: Session, items: Iterable[ExceptionItem | Mapping[str, Any]], *,
                      resolved: bool = False) -> None:
    """``exception.opened`` (or ``exception.resolved``) for each item of the exceptions queue (ORM rows or
    dicts with the same fields; an item with no owner tells no client). The key is the item's id, the one
    id the CLI and the API know it by."""
    events = []
    for item in items:
        get = item.get if isinstance(item, Mapping) else lambda name, it=item: getattr(it, name)
        events.append({"owner_id": get("owner_id"), "topic": "exception.resolved" if resolved else "exception.opened",
                       "key": str(get("id")),
                       "data": {"id": get("id"), "queue": get("queue"), "source": get("source"), "kind": get("kind"),
                                "reason": (get("reason") or "")[:500], "record_key": get("record_key"),
                                "step": get("step"), "ref": get("ref"), "status": get("status"),
                                "resolution": get("resolution")}})
    emit_many(session, events)


def partition_changes(session: Session, owner_id: str | None, partition: str, *,
                      links: tuple[int, int, int, int] | None = None,
                      title: tuple[int, int] | None = None) -> int:
    """What a matching run changed in one partition, one event per kind of change (not one per link or
    title event: a full match stores millions): ``links.changed`` with the links (added, removed, changed: the
    same link with another quantity, method, confidence or buyer country; stored now) when some were added,
    removed or changed, ``title.changed`` with the title events (added, retracted) when some
    were. The key is the partition (``shop|OWNER|PLATFORM|SHOP``, ``wh|OWNER|WAREHOUSE``, ``doc|OWNER`` or
    ``transit|OWNER``, codes as matching normalises them); a client reads what changed from the API."""
    events = []
    if links is not None and (links[0] or links[1] or links[2]):
        events.append({"owner_id": owner_id, "topic": "links.changed", "key": partition, "data": {
            "partition": partition, "added": links[0], "removed": links[1], "changed": links[2],
            "links": links[3]}})
    if title is not None and (title[0] or title[1]):
        events.append({"owner_id": owner_id, "topic": "title.changed", "key": partition, "data": {
            "partition": partition, "added": title[0], "retracted": title[1]}})
    return emit_many(session, events)
