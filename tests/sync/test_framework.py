"""The sync framework on both databases: windows, counts, parking, cursor only with the data, leases."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from aggregator.store.db import session_scope
from aggregator.store.marketplace_writer import write_order
from aggregator.store.models import ExceptionItem, OrderRow, SyncCursor, SyncRun
from aggregator.store.models.jobs import JobLease
from aggregator.sync.framework import Pulled, SyncBusy, Window, run_sync, split_windows
from platform_adapters.canonical import MappingResult, OrderStatus, Problem
from tests.store.factories import make_order, make_shop

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
NOW = START + timedelta(days=3)


class ListPuller:
    """Serves pre-mapped records whose update time falls in the requested window."""

    max_window = timedelta(days=1)

    def __init__(self, records: list[tuple[dict, MappingResult]], fail_on_window: int | None = None) -> None:
        self.records, self.fail_on_window, self.windows = records, fail_on_window, []

    def pull(self, window: Window) -> Iterator[Pulled]:
        self.windows.append(window)
        if self.fail_on_window is not None and len(self.windows) == self.fail_on_window:
            yield from ()
            raise ConnectionError("upstream unreachable after retries")
        for raw, result in self.records:
            if window.start <= raw["updated"] < window.end:
                yield Pulled(raw=raw, result=result, record_key=raw["order_id"])

    def request_ids(self) -> list[str]:
        return [f"req-{i}" for i, _ in enumerate(self.windows)]


def good(order_id: str, hours: float, status: OrderStatus = OrderStatus.READY_TO_SHIP) -> tuple[dict, MappingResult]:
    updated = START + timedelta(hours=hours)
    return ({"order_id": order_id, "updated": updated, "access_token": "tok"},
            MappingResult(make_order(order_id, updated=updated, status=status)))


def bad(order_id: str, hours: float) -> tuple[dict, MappingResult]:
    return ({"order_id": order_id, "updated": START + timedelta(hours=hours), "total": "abc", "access_token": "tok"},
            MappingResult(None, (Problem("bad_amount", "total is not a number", field="total", value="abc"),)))


@pytest.fixture
def shop(engine):
    with session_scope(engine) as session:
        return make_shop(session)


def rows(engine, model) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_split_windows_is_bounded_and_contiguous() -> None:
    windows = split_windows(START, START + timedelta(days=31), timedelta(days=15))
    assert [w.end - w.start for w in windows] == [timedelta(days=15), timedelta(days=15), timedelta(days=1)]
    assert all(a.end == b.start for a, b in zip(windows, windows[1:]))
    assert split_windows(START, START, timedelta(days=1)) == []


def test_run_counts_parks_and_advances_cursor(engine, shop) -> None:
    puller = ListPuller([good("A", 1), good("B", 30), bad("C", 31), good("D", 50, OrderStatus.UNKNOWN)])
    summary = run_sync(engine, shop, "orders", puller, write_order, since=START, now=NOW, lag=timedelta(0))
    assert (summary.status, summary.created, summary.failed, summary.unknown_status) == ("partial", 3, 1, 1)
    assert summary.windows == 3 and summary.cursor_after == NOW
    with session_scope(engine) as session:
        parked = session.scalars(select(ExceptionItem)).one()
        assert parked.raw_payload["total"] == "abc" and parked.raw_payload["access_token"] == "***"
        assert "total is not a number" in parked.reason and parked.record_key == "480012345:C"
        run = session.get(SyncRun, summary.run_id)
        assert (run.created, run.failed, run.status, run.cursor_after) == (3, 1, "partial", NOW)
        assert run.request_ids == ["req-0", "req-1", "req-2"]
    again = run_sync(engine, shop, "orders", puller, write_order, since=START, now=NOW, lag=timedelta(0))
    assert (again.created, again.unchanged, again.failed) == (0, 3, 1)
    assert rows(engine, ExceptionItem) == 1  # the same bad record is not parked twice


def test_a_record_the_store_refuses_is_parked_and_the_window_goes_on(engine, shop) -> None:
    def picky_writer(session: Session, order, owner_id: str):
        if order.order_id == "B":
            raise ValueError("refused by the store")
        return write_order(session, order, owner_id)

    summary = run_sync(engine, shop, "orders", ListPuller([good("A", 1), good("B", 2), good("C", 3)]),
                       picky_writer, since=START, until=START + timedelta(days=1), now=NOW)
    assert (summary.created, summary.failed) == (2, 1)
    with session_scope(engine) as session:
        assert session.scalars(select(ExceptionItem.kind)).all() == ["store_error"]
        assert sorted(session.scalars(select(OrderRow.order_id))) == ["A", "C"]


def test_failure_mid_run_keeps_cursor_at_last_committed_window(engine, shop) -> None:
    puller = ListPuller([good("A", 1), good("B", 30)], fail_on_window=2)
    summary = run_sync(engine, shop, "orders", puller, write_order, since=START, now=NOW, lag=timedelta(0))
    assert summary.status == "failed" and "upstream unreachable" in summary.error
    assert summary.cursor_after == START + timedelta(days=1)
    with session_scope(engine) as session:
        assert session.scalars(select(SyncCursor.position)).one() == START + timedelta(days=1)
        assert session.scalars(select(OrderRow.order_id)).all() == ["A"]
        assert session.scalars(select(JobLease.holder)).one() is None  # the lease is free again


def test_cursor_not_advanced_when_the_commit_fails(engine, shop) -> None:
    commits = {"n": 0}

    def fail_second_data_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a SAVEPOINT release, not a commit
        commits["n"] += 1
        if commits["n"] == 3:  # 1: lease+run, 2: window 1, 3: window 2
            raise RuntimeError("injected commit failure")

    event.listen(Session, "before_commit", fail_second_data_commit)
    try:
        summary = run_sync(engine, shop, "orders", ListPuller([good("A", 1), good("B", 30)]), write_order,
                           since=START, until=START + timedelta(days=2), now=NOW)
    finally:
        event.remove(Session, "before_commit", fail_second_data_commit)
    assert summary.status == "failed" and "injected commit failure" in summary.error
    with session_scope(engine) as session:
        assert session.scalars(select(SyncCursor.position)).one() == START + timedelta(days=1)
        assert session.scalars(select(OrderRow.order_id)).all() == ["A"]
        run = session.get(SyncRun, summary.run_id)
        assert (run.created, run.windows, run.status) == (1, 1, "failed")


def test_a_run_that_finds_nothing_is_still_recorded(engine, shop) -> None:
    summary = run_sync(engine, shop, "orders", ListPuller([]), write_order, now=NOW)
    assert summary.status == "succeeded" and summary.created == 0
    with session_scope(engine) as session:
        run = session.get(SyncRun, summary.run_id)
        assert run.finished_at is not None and run.status == "succeeded" and run.windows >= 1


def test_a_held_lease_refuses_a_second_worker(engine, shop) -> None:
    class Reentrant(ListPuller):
        def pull(self, window: Window) -> Iterator[Pulled]:
            with pytest.raises(SyncBusy):
                run_sync(engine, shop, "orders", ListPuller([]), write_order, now=NOW, worker_id="other")
            yield from super().pull(window)

    summary = run_sync(engine, shop, "orders", Reentrant([good("A", 1)]), write_order,
                       since=START, until=START + timedelta(hours=2), now=NOW, worker_id="me")
    assert summary.status == "succeeded" and summary.created == 1


def test_batches_write_in_one_go_and_fall_back_to_find_the_culprit(engine, shop) -> None:
    from aggregator.store.marketplace_writer import write_orders

    def picky_batch(session: Session, orders, owner_id: str):
        if any(o.order_id == "B" for o in orders):
            raise ValueError("refused by the store")
        return write_orders(session, orders, owner_id)

    def picky_one(session: Session, order, owner_id: str):
        return picky_batch(session, [order], owner_id)[0]

    records = [good("A", 1), good("B", 2), good("C", 3), good("D", 4), good("A", 5, OrderStatus.SHIPPED)]
    summary = run_sync(engine, shop, "orders", ListPuller(records), picky_one, batch_writer=picky_batch,
                       batch_size=2, since=START, until=START + timedelta(days=1), now=NOW)
    assert (summary.created, summary.updated, summary.failed) == (3, 1, 1)
    with session_scope(engine) as session:
        assert dict(session.execute(select(OrderRow.order_id, OrderRow.status)).all()) == {
            "A": "SHIPPED", "C": "READY_TO_SHIP", "D": "READY_TO_SHIP"}
        assert session.scalars(select(ExceptionItem.record_key)).all() == ["480012345:B"]
        run = session.get(SyncRun, summary.run_id)
        assert (run.created, run.updated, run.failed, run.windows) == (3, 1, 1, 1)


def test_the_collector_waits_while_a_batch_is_written_never_while_it_is_pulled(engine, shop) -> None:
    """Batches of exactly ``batch_size`` (the last one empty, committing the cursor): the cyclic garbage
    collector is off while each batch is written and on while the puller fetches (with many shops syncing
    at once, a pause held across their HTTP calls kept it off most of the time), and on after."""
    import gc

    seen = []

    class Watching(ListPuller):
        def pull(self, window: Window) -> Iterator[Pulled]:
            for pulled in super().pull(window):
                seen.append(("pull", gc.isenabled()))
                yield pulled

    def writer(session: Session, orders, owner_id: str):
        from aggregator.store.marketplace_writer import write_orders
        seen.append(("write", gc.isenabled(), len(orders)))
        return write_orders(session, orders, owner_id)

    records = [good(name, hours) for name, hours in (("A", 1), ("B", 2), ("C", 3), ("D", 4))]
    summary = run_sync(engine, shop, "orders", Watching(records), write_order, batch_writer=writer, batch_size=2,
                       since=START, until=START + timedelta(days=1), now=NOW)
    assert gc.isenabled()
    assert (summary.created, summary.windows, summary.status) == (4, 1, "succeeded")
    assert seen == [("pull", True), ("pull", True), ("write", False, 2),
                    ("pull", True), ("pull", True), ("write", False, 2)]
    with session_scope(engine) as session:
        assert session.get(SyncRun, summary.run_id).cursor_after == START + timedelta(days=1)


def test_a_worker_whose_lease_was_taken_over_stops_without_writing(engine, shop) -> None:
    class Usurped(ListPuller):
        def pull(self, window: Window) -> Iterator[Pulled]:
            with session_scope(engine) as session:  # the lease lapsed and another worker took it
                session.execute(JobLease.__table__.update().values(holder="other-worker", token=JobLease.token + 1))
            yield from super().pull(window)

    summary = run_sync(engine, shop, "orders", Usurped([good("A", 1)]), write_order, since=START,
                       until=START + timedelta(hours=2), now=NOW, worker_id="me")
    assert summary.status == "failed" and "lost the lease" in summary.error
    with session_scope(engine) as session:
        assert session.scalars(select(OrderRow)).all() == []
        cursor = session.scalars(select(SyncCursor)).one()
        assert cursor.position is None and session.scalars(select(JobLease.holder)).one() == "other-worker"


def test_the_marketplace_pullers_map_each_record_with_the_collector_held_off_and_fetch_with_it_on() -> None:
    """The orders, returns and settlements pullers: the page fetch (the source's generator) runs with the
    collector on, each record's mapping with it off; it is on again after."""
    import gc

    from aggregator.sync.marketplace import OrderPuller, ReturnPuller, SettlementPuller

    seen = []

    class Source:
        max_window = timedelta(days=1)

        def fetched(self):
            for n in range(2):
                seen.append(("fetch", gc.isenabled()))
                yield {"n": n}

        iter_orders = iter_returns = iter_settlements = lambda self, start, end: self.fetched()

    class Adapter:
        def _map(self, raw, shop, settings):
            seen.append(("map", gc.isenabled()))
            return MappingResult(None)

        map_order = map_return = _map
        map_settlement = lambda self, raw, shop, settings: [self._map(raw, shop, settings)]  # noqa: E731
        raw_order_key = raw_return_key = raw_settlement_key = lambda self, raw: str(raw["n"])

    for kind in (OrderPuller, ReturnPuller, SettlementPuller):
        seen.clear()
        assert len(list(kind(Adapter(), None, None, Source()).pull(Window(START, NOW)))) == 2
        assert seen == [("fetch", True), ("map", False)] * 2, kind
    assert gc.isenabled()
