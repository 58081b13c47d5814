"""A row the database refuses in the middle of a sync's batch (SQLite's multi-row ``INSERT OR FAIL`` keeps
the rows before it until the caller's SAVEPOINT is rolled back): the batch is undone and written record
by record, so the culprit is parked and every other record is stored exactly once, with one line, one
``create`` audit entry and one ``order.created`` event each, on both databases."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from aggregator.store.db import session_scope
from aggregator.store.marketplace_writer import write_order, write_orders
from aggregator.store.models import ExceptionItem, OrderRow
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.events import OutboxEventRow
from aggregator.store.models.marketplace import OrderLineRow
from aggregator.sync.framework import Pulled, Window, run_sync
from platform_adapters.canonical import MappingResult
from tests.store.factories import make_order, make_shop

START = datetime(2026, 11, 1, tzinfo=timezone.utc)


class Batch:
    max_window = timedelta(days=1)

    def __init__(self, orders) -> None:
        self.orders = orders

    def pull(self, window: Window):
        for order in self.orders:
            if window.start <= order.updated_at < window.end:
                yield Pulled(raw={"order_id": order.order_id}, result=MappingResult(order), record_key=order.order_id)

    def request_ids(self) -> list[str]:
        return []


def test_a_refused_row_in_a_batch_leaves_no_row_behind(engine) -> None:
    with session_scope(engine) as session:
        shop = make_shop(session)
    orders = [make_order(f"26110{i:05d}", updated=START + timedelta(minutes=i)) for i in range(100)]
    culprit = orders[40]  # two lines with one line_ref: order_lines' unique (order_pk, line_ref) refuses the second
    orders[40] = dataclasses.replace(culprit, lines=culprit.lines * 2)
    summary = run_sync(engine, shop, "orders", Batch(orders), write_order, batch_writer=write_orders, batch_size=100,
                       since=START, until=START + timedelta(days=1), now=START + timedelta(days=2))
    assert (summary.created, summary.failed) == (99, 1)
    with session_scope(engine) as session:
        count = lambda model, *where: session.scalar(select(func.count()).select_from(model).where(*where))  # noqa: E731
        assert count(OrderRow) == 99
        assert session.scalar(select(func.count(func.distinct(OrderRow.order_id)))) == 99
        assert count(OrderLineRow) == 99
        assert count(AuditEntry, AuditEntry.entity == "orders", AuditEntry.action == "create") == 99
        assert count(OutboxEventRow, OutboxEventRow.topic == "order.created") == 99
        assert session.scalars(select(ExceptionItem.record_key)).all() == [f"480012345:{culprit.order_id}"]
    again = run_sync(engine, shop, "orders", Batch(orders), write_order, batch_writer=write_orders, batch_size=100,
                     since=START, until=START + timedelta(days=1), now=START + timedelta(days=2))
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 99, 1)
