"""Leases that follow the process, the reaper, and a database that fails while a run is being closed.

On both databases: a short lease stays held while a slow run works (heartbeat); a dead process's
lease is taken at once and its run closed as ``abandoned``; an expired lease of a worker on another
host is reaped with the time it expired; a database error while closing a run is ridden out, and
one that lasts is reported (``RunNotClosed``) with the run closed later by the reaper.
"""
from __future__ import annotations

import functools
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from aggregator.jobs import lease as lease_module
from aggregator.jobs.lease import Lease, LeaseHeld, acquire, holder_gone, holder_id, job_lease
from aggregator.store.db import session_scope
from aggregator.store.marketplace_writer import write_order
from aggregator.store.models import OrderRow, SyncRun
from aggregator.store.models.jobs import JobLease
from aggregator.sync.framework import Pulled, RunNotClosed, SyncBusy, Window, run_sync
from aggregator.sync.reaper import reap_abandoned_runs, sync_lease_name
from tests.sync.test_framework import START, ListPuller, good

UNTIL = START + timedelta(hours=6)


@pytest.fixture
def shop(engine):
    from tests.store.factories import make_shop

    with session_scope(engine) as session:
        return make_shop(session)


@functools.lru_cache(maxsize=1)
def _dead_holder() -> str:
    """The holder id a process of this host had, the process now gone (as after ``kill -9``); one such
    process serves every test."""
    child = subprocess.run([sys.executable, "-c", "from aggregator.jobs.lease import holder_id; print(holder_id())"],
                           capture_output=True, text=True, check=True)
    return child.stdout.strip()


class LeaseClock:
    """The leases' clock (``aggregator.jobs.lease._now``) stopped an hour ahead of the wall clock: only
    ``advance`` moves it, so whether a lease has lapsed never depends on how fast a loaded machine runs the
    test (the reaper inside ``run_sync`` reads the wall clock, an hour behind: it never sees these leases
    lapse). Notes the clock's time at the start of each heartbeat renewal (``Lease.renew``) that succeeded."""

    def __init__(self) -> None:
        self.at = datetime.now(timezone.utc) + timedelta(hours=1)
        self._renewals: list[datetime] = []
        self._renewed = threading.Condition()

    def now(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> None:
        self.at += by

    def noting(self, renew):
        def renewing(lease: Lease) -> None:
            at = self.at
            renew(lease)
            with self._renewed:
                self._renewals.append(at)
                self._renewed.notify_all()
        return renewing

    def wait_for_a_renewal(self) -> bool:
        """Until the heartbeat has renewed the lease since the clock last moved (60 s: only bounds a hang)."""
        since = self.at
        with self._renewed:
            return self._renewed.wait_for(lambda: any(at >= since for at in self._renewals), timeout=60)


@pytest.fixture
def lease_clock(monkeypatch) -> LeaseClock:
    clock = LeaseClock()
    monkeypatch.setattr(lease_module, "_now", clock.now)
    monkeypatch.setattr(Lease, "renew", clock.noting(Lease.renew))
    return clock


def _open_run(engine, shop, holder: str, expires_in: timedelta) -> int:
    """A run left ``running`` by ``holder`` with its lease (as a worker leaves them mid-run)."""
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        session.add(JobLease(name=sync_lease_name(shop.id, "orders"), holder=holder, token=4, acquired_at=now,
                             expires_at=now + expires_in))
        run = SyncRun(shop_pk=shop.id, stream="orders", mode="incremental", status="running", started_at=now,
                      worker=holder, lease_token=4)
        session.add(run)
        session.flush()
        return run.id


def test_holder_ids_follow_the_process() -> None:
    assert not holder_gone(holder_id())
    assert holder_gone(_dead_holder())
    assert not holder_gone("worker-on-another-host:123:456") and not holder_gone("me")


def test_the_heartbeat_keeps_a_short_lease_while_the_run_works(engine, shop, lease_clock) -> None:
    class Slow(ListPuller):
        def pull(self, window: Window) -> Iterator[Pulled]:
            lease_clock.advance(timedelta(seconds=1.0))  # over three times the lease's time-to-live, no commit
            assert lease_clock.wait_for_a_renewal(), "the heartbeat did not renew the lease"
            with pytest.raises(SyncBusy):
                run_sync(engine, shop, "orders", ListPuller([]), write_order, worker_id="other")
            yield from super().pull(window)

    summary = run_sync(engine, shop, "orders", Slow([good("A", 1)]), write_order, since=START, until=UNTIL,
                       lease=timedelta(seconds=0.3), worker_id="me")
    assert summary.status == "succeeded" and summary.created == 1
    with session_scope(engine) as session:
        lease = session.scalars(select(JobLease)).one()
        assert lease.holder is None and lease.token == 1  # released; the refused worker never took it


def test_a_dead_processs_run_is_abandoned_and_its_shop_synced_at_once(engine, shop) -> None:
    dead = _dead_holder()
    stale = _open_run(engine, shop, dead, expires_in=timedelta(seconds=30))  # unexpired, but its process is gone
    summary = run_sync(engine, shop, "orders", ListPuller([good("A", 1)]), write_order, since=START, until=UNTIL)
    assert summary.status == "succeeded" and summary.created == 1
    with session_scope(engine) as session:
        run = session.get(SyncRun, stale)
        assert run.status == "abandoned" and run.finished_at is not None
        assert f"worker process {dead} is gone" in run.error
        assert session.get(SyncRun, summary.run_id).lease_token == 5  # the fencing token moved on


def test_the_reaper_closes_an_expired_lease_of_another_host(engine, shop) -> None:
    other = "worker-b.internal:4242:99"
    stale = _open_run(engine, shop, other, expires_in=timedelta(seconds=-5))
    alive = acquire(engine, "sync:999:orders")  # a live lease of this process, without a run: untouched
    (closed,) = reap_abandoned_runs(engine)
    assert closed.run_id == stale and "lease expired at" in closed.reason and other in closed.reason
    with session_scope(engine) as session:
        assert session.get(SyncRun, stale).status == "abandoned"
        leases = dict(session.execute(select(JobLease.name, JobLease.holder)).all())
        assert leases == {sync_lease_name(shop.id, "orders"): None, "sync:999:orders": alive.holder}
    assert reap_abandoned_runs(engine) == []  # nothing twice


def test_a_live_workers_run_is_not_reaped(engine, shop) -> None:
    _open_run(engine, shop, "worker-b.internal:4242:99", expires_in=timedelta(seconds=30))
    assert reap_abandoned_runs(engine) == []
    with pytest.raises(SyncBusy):
        run_sync(engine, shop, "orders", ListPuller([]), write_order)


def _failing_commits(engine, failures: int):
    """Make the next ``failures`` commits that close a run fail as a dropped connection would."""
    state = {"left": failures}

    def before_commit(session: Session) -> None:
        closing = any(isinstance(o, SyncRun) and o.status != "running" and o.finished_at is not None
                      for o in session.identity_map.values())
        if closing and state["left"] > 0:
            state["left"] -= 1
            raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection unexpectedly"))

    event.listen(Session, "before_commit", before_commit)
    return lambda: event.remove(Session, "before_commit", before_commit)


def test_a_database_error_while_closing_the_run_is_ridden_out(engine, shop) -> None:
    remove = _failing_commits(engine, failures=2)
    try:
        summary = run_sync(engine, shop, "orders", ListPuller([good("A", 1)]), write_order, since=START,
                           until=UNTIL, db_retry_seconds=10)
    finally:
        remove()
    with session_scope(engine) as session:
        run = session.get(SyncRun, summary.run_id)
        assert (run.status, run.created) == ("succeeded", 1) and run.finished_at is not None
        assert session.scalars(select(JobLease.holder)).one() is None


def test_a_database_that_stays_away_leaves_the_run_to_the_reaper(engine, shop) -> None:
    remove = _failing_commits(engine, failures=10_000)
    try:
        with pytest.raises(RunNotClosed) as raised:
            run_sync(engine, shop, "orders", ListPuller([good("A", 1)]), write_order, since=START, until=UNTIL,
                     db_retry_seconds=0.5, lease=timedelta(seconds=0.5))
    finally:
        remove()
    assert raised.value.summary.created == 1 and "could not be closed" in str(raised.value)
    with session_scope(engine) as session:
        assert session.scalars(select(OrderRow.order_id)).all() == ["A"]  # the data committed before
        assert session.scalars(select(SyncRun.status)).one() == "running"
    time.sleep(0.6)  # the heartbeat stopped with the run: its lease lapses
    (closed,) = reap_abandoned_runs(engine)
    assert "lease expired" in closed.reason
    again = run_sync(engine, shop, "orders", ListPuller([good("A", 1)]), write_order, since=START, until=UNTIL)
    assert again.status == "succeeded" and again.unchanged == 1


def test_named_job_leases_follow_the_process(engine, lease_clock) -> None:
    with session_scope(engine) as session:  # unexpired, but its process is gone
        session.add(JobLease(name="match:BRAND", holder=_dead_holder(), token=2,
                             expires_at=lease_clock.now() + timedelta(minutes=5)))
    with job_lease(engine, "match:BRAND", ttl=timedelta(seconds=0.3)) as lease:
        assert lease.token == 3
        lease_clock.advance(timedelta(seconds=0.8))
        assert lease_clock.wait_for_a_renewal(), "the heartbeat did not renew the lease"
        with pytest.raises(LeaseHeld):
            acquire(engine, "match:BRAND", "worker-2")
    with session_scope(engine) as session:
        session.execute(update(JobLease).values(holder="worker-3", token=JobLease.token + 1,
                                                expires_at=lease_clock.now() + timedelta(minutes=5)))
    with pytest.raises(LeaseHeld):
        acquire(engine, "match:BRAND", "worker-2")


def test_a_matcher_whose_lease_was_taken_over_stores_nothing(engine) -> None:
    from aggregator.jobs.lease import LeaseLost
    from aggregator.matching_service.service import run_match
    from aggregator.tenancy import add_owner

    with session_scope(engine) as session:
        add_owner(session, "BRAND", "Brand")
    with job_lease(engine, "match:BRAND") as lease:
        run_match(engine, owner_id="BRAND", fence=lease.check)  # still ours: commits
        with session_scope(engine) as session:  # it stalled past its lease and another worker took it
            session.execute(update(JobLease).values(holder="worker-b.internal:1:1", token=JobLease.token + 1))
        with pytest.raises(LeaseLost):
            run_match(engine, owner_id="BRAND", fence=lease.check)
    with session_scope(engine) as session:
        assert session.scalars(select(JobLease.holder)).one() == "worker-b.internal:1:1"  # not released by us


def test_a_booker_whose_lease_was_taken_over_stops_before_committing(engine) -> None:
    from aggregator.jobs.lease import LeaseLost
    from aggregator.settlement.cycle import settle_owners
    from aggregator.tenancy import add_owner

    with session_scope(engine) as session:
        add_owner(session, "BRAND", "Brand")
    with job_lease(engine, "book:BRAND") as lease:
        (done,) = settle_owners(engine, ["BRAND"], fence=lease.check)  # still ours
        with session_scope(engine) as session:
            session.execute(update(JobLease).values(holder="worker-b.internal:1:1", token=JobLease.token + 1))
        with pytest.raises(LeaseLost):
            settle_owners(engine, ["BRAND"], fence=lease.check)


def test_a_free_lease_is_taken_in_one_statement_with_the_next_token(engine) -> None:
    """New, released and expired leases: one statement each, the token bumped; a live holder's is refused."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE (store.db)
            statements.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    try:
        first = acquire(engine, "push:7", "worker-1")
        taken = len(statements)
        first.release()
        statements.clear()
        second = acquire(engine, "push:7", "worker-2")
        assert (first.token, second.token) == (1, 2) and len(statements) == taken == 1
        with pytest.raises(LeaseHeld):
            acquire(engine, "push:7", "worker-3")
        with session_scope(engine) as session:
            session.execute(update(JobLease).where(JobLease.name == "push:7")
                            .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        statements.clear()
        assert acquire(engine, "push:7", "worker-3").token == 3 and len(statements) == 1
    finally:
        event.remove(engine, "before_cursor_execute", count)
    with Session(engine) as session:
        assert session.scalars(select(JobLease.holder).where(JobLease.name == "push:7")).one() == "worker-3"
