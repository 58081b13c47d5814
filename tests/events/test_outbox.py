"""The outbox: events commit with their change, positions follow commit order (not id order), and a
reader of one owner sees only that owner."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from aggregator.events.outbox import emit, latest_position, read_after, sequence
from aggregator.store.db import session_factory, session_scope
from aggregator.store.marketplace_writer import write_order
from aggregator.store.models.events import OutboxEventRow
from platform_adapters.canonical import OrderStatus
from tests.store.factories import T0, make_order, make_shop


def test_order_changes_are_events_of_their_owner(engine) -> None:
    with session_scope(engine) as session:
        make_shop(session, "BRAND-A", "111")
        make_shop(session, "BRAND-B", "222")
        write_order(session, make_order("A1", shop_id="111"), "BRAND-A")
        write_order(session, make_order("B1", shop_id="222"), "BRAND-B")
    with session_scope(engine) as session:  # unchanged: no event; newer status: one
        write_order(session, make_order("A1", shop_id="111"), "BRAND-A")
        write_order(session, make_order("A1", shop_id="111", updated=T0 + timedelta(hours=1),
                                        status=OrderStatus.SHIPPED), "BRAND-A")
    with session_scope(engine) as session:
        with session.begin_nested():  # a rolled-back change leaves no event
            write_order(session, make_order("A2", shop_id="111"), "BRAND-A")
            session.rollback()
    with session_scope(engine) as session:
        assert sequence(session) == 3
    with session_scope(engine) as session:
        mine = read_after(session, 0, owner_id="BRAND-A")
        assert [(e.topic, e.key) for e in mine] == [("order.created", "shopee|111|A1"),
                                                  ("order.status_changed", "shopee|111|A1")]
        assert mine[1].data["status"] == "SHIPPED" and mine[1].data["previous_status"] == "READY_TO_SHIP"
        assert [e.key for e in read_after(session, 0, owner_id="BRAND-B")] == ["shopee|222|B1"]
        assert read_after(session, mine[0].position, owner_id="BRAND-A", topics=["order.created"]) == []


def test_positions_follow_commit_order(engine) -> None:
    sessions = session_factory(engine)
    if engine.dialect.name == "sqlite":  # one writer at a time: commit order is id order by construction
        with session_scope(engine) as session:
            emit(session, owner_id="A", topic="order.created", key="1")
        with session_scope(engine) as session:
            sequence(session)
            assert latest_position(session) == 1
        return
    slow, fast = sessions(), sessions()
    try:
        emit(slow, owner_id="A", topic="order.created", key="slow")  # takes the smaller id, commits last
        slow.flush()
        emit(fast, owner_id="A", topic="order.created", key="fast")
        fast.commit()
        with session_scope(engine) as session:
            assert sequence(session) == 1  # only the committed one
        with session_scope(engine) as session:
            first = read_after(session, 0, owner_id="A")
        assert [e.key for e in first] == ["fast"]
        slow.commit()
        with session_scope(engine) as session:
            assert sequence(session) == 1
        with session_scope(engine) as session:  # a reader resuming after "fast" still gets "slow"
            assert [e.key for e in read_after(session, first[0].position, owner_id="A")] == ["slow"]
            ids = dict(session.execute(select(OutboxEventRow.key, OutboxEventRow.id)).all())
        assert ids["slow"] < ids["fast"]
    finally:
        slow.close()
        fast.close()
