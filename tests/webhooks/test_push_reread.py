"""The push re-read's planned write (``aggregator/push_reread.py``) on real PostgreSQL:

* it stores what the general write path stores (orders, lines, packages, audit entries, events, outcomes)
  for the same read orders;
* a push of a batch order committing while the re-read decides (holding no order lock) is not held
  up by the re-read and is not overwritten by its older read: the order is left to the next batch.
"""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import aggregator.push_apply as push_apply
from aggregator.push_reread import plan, write_planned
from aggregator.store.models import OrderLineRow, OrderPackageRow, OrderRow
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.events import OutboxEventRow
from aggregator.sync.marketplace import make_transport, read_orders, refresh_counts, write_read_orders
from aggregator.transport_pool import TransportPool
from aggregator.webhooks import apply
from platform_adapters.sandbox.webhooks import status_messages
from tests.webhooks.test_push_apply import event_row, push, receive_push, row, world  # noqa: F401  (fixture)


@pytest.fixture
def engine(pg_engine):
    """Planning is PostgreSQL's (SQLite has one writer): these tests run there."""
    return pg_engine


def _snapshot(session: Session, order_pks: list[int]) -> dict:
    def plain(value):
        return format(value, "f") if isinstance(value, Decimal) else value

    orders = [{k: plain(v) for k, v in r._mapping.items() if k not in ("stored_at",)} for r in session.execute(
        select(OrderRow.__table__).where(OrderRow.id.in_(order_pks)).order_by(OrderRow.id))]
    parts = {t.name: sorted(tuple(plain(v) for k, v in r._mapping.items() if k != "id") for r in session.execute(
        select(t).where(t.c.order_pk.in_(order_pks)))) for t in (OrderLineRow.__table__, OrderPackageRow.__table__)}
    audit = sorted((r.entity, r.entity_key, r.action, r.owner_id, r.actor, repr(r.changes)) for r in session.execute(
        select(AuditEntry.__table__)))
    outbox = sorted((r.owner_id, r.topic, r.key, repr(r.data)) for r in session.execute(select(OutboxEventRow.__table__)))
    return {"orders": orders, **parts, "audit": audit, "outbox": outbox}


def test_the_planned_write_stores_what_the_general_path_stores(engine, world) -> None:
    sandbox, vault, shops, moved = world
    for platform in ("shopee", "lazada", "tiktok"):
        by_shop: dict = {}
        for key, _raw, _order in moved:
            if key[0] == platform:
                by_shop.setdefault(key[:2], []).append(key[2])
        shop_key = max(by_shop, key=lambda k: len(by_shop[k]))
        shop, order_ids = shops[shop_key], by_shop[shop_key]
        transport = make_transport(platform)
        try:
            pulled = read_orders(engine, shop, vault, order_ids, transport)
        finally:
            transport.close()
        with Session(engine) as session:
            pks = list(session.scalars(select(OrderRow.id).where(
                OrderRow.platform == platform, OrderRow.shop_id == shop.shop_id, OrderRow.order_id.in_(order_ids))))
        results = []
        for planned_path in (True, False):
            with Session(engine) as session:
                written: dict[str, str] = {}
                if planned_path:
                    planned = plan(session, shop, pulled)
                    assert set(planned) == set(order_ids)  # every read order decided before any lock
                    assert {e.result.outcome.value for e in planned.values()} == {"updated"}
                    write_planned(session, list(planned.values()), {})
                    written = {e.record_key: e.result.outcome.value for e in planned.values()}
                else:
                    write_read_orders(session, shop, pulled, refresh_counts(), written)
                session.flush()
                results.append((written, _snapshot(session, pks)))
                session.rollback()
        (fast_written, fast), (general_written, general) = results
        assert fast_written == general_written
        for name in fast:
            assert fast[name] == general[name], (platform, name)
        assert fast["audit"] and fast["orders"]


def test_a_push_committing_while_the_re_read_plans_is_not_held_up_nor_overwritten(engine, world) -> None:
    sandbox, vault, shops, moved = world
    key, raw, order = next(m for m in moved if m[0][0] == "shopee" and m[1] != "COMPLETED")
    status_pk, = push(engine, sandbox, order, raw, int(sandbox.state.now))
    later = int(sandbox.state.now) + 60
    message = next(m for m in status_messages(sandbox.state, order, "COMPLETED", later) if m.get("code") == 3)
    real_plan, real_reread = push_apply.plan, push_apply._reread
    pushed, after_first = [], []

    def plan_then_push(session, shop, pulled):
        planned = real_plan(session, shop, pulled)
        if not pushed:  # the newer push arrives while the re-read decides: no order lock is held yet
            worker = threading.Thread(target=lambda: pushed.append(receive_push(engine, sandbox, vault, "shopee",
                                                                                message).event_pk))
            worker.start()
            worker.join(60)  # (a push held by the re-read's lock would wait on PostgreSQL, fail on SQLite at 30 s)
            assert not worker.is_alive(), "the push waited for the re-read"
        return planned

    def reread_once_seen(*args, **kwargs):
        real_reread(*args, **kwargs)
        if not after_first:
            after_first.append((row(engine, key).raw_status, event_row(engine, status_pk).status,
                                event_row(engine, pushed[0]).status))

    push_apply.plan = plan_then_push
    push_apply._reread = reread_once_seen
    pool = TransportPool()
    try:
        apply(engine, vault, status_pk, pool)
    finally:
        push_apply.plan, push_apply._reread = real_plan, real_reread
        pool.close()
    # after the batch that read the order before the newer push: the push's status stands, both its
    # events wait for the next batch (which reads the order as the platform has it now)
    assert after_first[0] == ("COMPLETED", "received", "received"), after_first
    assert event_row(engine, status_pk).status == "applied" and event_row(engine, pushed[0]).status != "received"
    assert row(engine, key).raw_status == raw  # the platform's state, read after both pushes


def test_a_read_order_the_sync_would_park_is_not_planned(engine, world) -> None:
    """What ``write_batch`` parks (here a value longer than its column holds) is left to the general path,
    which parks it: the planned write never tries to store it."""
    import dataclasses

    sandbox, vault, shops, moved = world
    key = next(k for k, _, _ in moved if k[0] == "shopee")
    transport = make_transport("shopee")
    try:
        pulled = read_orders(engine, shops[key[:2]], vault, [key[2]], transport)
    finally:
        transport.close()
    record = pulled[0].result.record
    long_line = dataclasses.replace(record.lines[0], seller_sku="S" * 300)
    pulled = [dataclasses.replace(pulled[0], result=dataclasses.replace(
        pulled[0].result, record=dataclasses.replace(record, lines=(long_line, *record.lines[1:]))))]
    with Session(engine) as session:
        assert plan(session, shops[key[:2]], pulled) == {}
        written: dict[str, str] = {}
        write_read_orders(session, shops[key[:2]], pulled, refresh_counts(), written)
        assert written == {key[2]: "failed"}
        session.rollback()
