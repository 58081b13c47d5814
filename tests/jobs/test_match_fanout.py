"""One owner's matching fanned out over real Celery workers (a chord on Redis / RabbitMQ with a Redis result
backend, real PostgreSQL): what it stores equals an in-process full match, one partition per task or
partitions grouped by size; a partition task of a run that was replaced commits nothing and the run is
recorded as failed, naming the partition."""
from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from celery import chord
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from aggregator.jobs import match_fanout
from aggregator.jobs.celery_app import make_celery
from aggregator.jobs.lease import acquire
from aggregator.matching_service.service import plan_match, run_match
from aggregator.store.db import create_engine_for, session_scope
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.jobs import JobLease, JobRun
from aggregator.store.models.matching import LotValueRow, MatchLinkRow, MatchPartitionRow, TitleEventRow
from tests.jobs.workers import RESULT_BACKEND, log_tail, running_worker, settings_of, worker_env
from tests.matching.db_story import load_story
from tests.matching.story import OWNER


def stored(engine) -> dict[str, list]:
    """What matching derived for the story's owner, comparable across runs."""
    with Session(engine) as session:
        return {
            "links": sorted(session.execute(select(
                MatchLinkRow.partition, MatchLinkRow.step, MatchLinkRow.left_key, MatchLinkRow.right_key,
                MatchLinkRow.qty, MatchLinkRow.method, MatchLinkRow.confidence)).all()),
            "partitions": sorted(session.execute(select(
                MatchPartitionRow.partition, MatchPartitionRow.fingerprint, MatchPartitionRow.links,
                MatchPartitionRow.exceptions)).all()),
            "title": sorted(session.execute(select(TitleEventRow.event_id).where(
                TitleEventRow.retracted_at.is_(None))).scalars().all()),
            "retracted": sorted(session.execute(select(TitleEventRow.event_id).where(
                TitleEventRow.retracted_at.is_not(None))).scalars().all()),
            "values": sorted(session.execute(select(LotValueRow.lot_key, LotValueRow.unit_value,
                                                    LotValueRow.currency)).all()),
            "exceptions": sorted(session.execute(select(ExceptionItem.ref, ExceptionItem.status).where(
                ExceptionItem.queue == "match")).all()),
        }


#: how long a wait on a worker may take before the test gives up (a loaded machine is slow; a test that
#: passes returns as soon as its condition holds)
PATIENCE = 600.0


def wait_until(condition, log: Path, worker, what: str, timeout: float = PATIENCE):
    """``condition()``'s first true value, checked every 0.1 s while the worker lives."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        assert worker.poll() is None, f"the worker stopped while waiting for {what}:\n{log_tail(log)}"
        time.sleep(0.1)
    pytest.fail(f"{what}: not within {timeout:.0f} s:\n{log_tail(log)}")


def finished_run(engine, owner_id: str) -> JobRun | None:
    """The owner's newest ``match-owners`` execution if it has finished."""
    with Session(engine) as session:
        run = session.scalars(select(JobRun).where(JobRun.job == "match-owners", JobRun.target == owner_id)
                              .order_by(JobRun.id.desc()).limit(1)).first()
    return run if run is not None and run.status not in ("running", "busy") else None


def wait_for_run(engine, owner_id: str, log: Path, worker) -> JobRun:
    """The owner's newest finished ``match-owners`` execution (waiting for it)."""
    return wait_until(lambda: finished_run(engine, owner_id), log, worker, f"the match of {owner_id}")


def fanned_out_match(url: str, tmp_path: Path, broker: str, **settings: str) -> tuple[JobRun, dict, str]:
    """The story's owner matched by ``aggregator.match_owner`` on a worker of two processes: its run, what it
    stored, the worker's log."""
    engine = create_engine_for(url)
    env = worker_env(url, tmp_path, broker, result_backend=RESULT_BACKEND, **settings)
    settings_ = settings_of(env)
    log = tmp_path / "worker.log"
    with running_worker(env, log, concurrency=2) as worker:
        make_celery(settings_).send_task("aggregator.match_owner", args=[OWNER], queue=settings_.task_queue)
        run = wait_for_run(engine, OWNER, log, worker)
        assert run.status == "succeeded", (run.error, log_tail(log))
        data = stored(engine)
    with session_scope(engine) as session:
        assert session.scalars(select(JobLease.holder).where(JobLease.name == f"match:{OWNER}")).one() is None
    engine.dispose()
    return run, data, log_tail(log)


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_chord_over_two_workers_stores_what_an_in_process_full_match_stores(
        broker: str, pg_database_factory, tmp_path: Path) -> None:
    url = pg_database_factory()
    engine = create_engine_for(url)
    load_story(engine, tmp_path)
    # a budget of one line: every partition is a task of its own, so both worker processes take part
    run, fanned_out, log = fanned_out_match(url, tmp_path, broker, match_task_lines="1")
    assert run.result["fanned_out"] and run.result["partitions"] == 5 and run.result["links"] == 53, run.result
    assert run.result["tasks"] == 5, run.result
    assert len(run.result["workers"]) == 2, (run.result, log)  # both worker processes matched partitions
    run_match(engine, full=True, owner_id=OWNER)  # in-process, one transaction: the same data must result
    in_process = stored(engine)
    assert fanned_out == in_process
    assert len(fanned_out["links"]) == 53 and len(fanned_out["title"]) == 85 and not fanned_out["retracted"]
    engine.dispose()


def test_small_partitions_share_a_task_and_store_what_an_in_process_full_match_stores(
        pg_database_factory, tmp_path: Path) -> None:
    """Under the default budget the story's partitions (a few lines each) are one task per phase."""
    url = pg_database_factory()
    engine = create_engine_for(url)
    load_story(engine, tmp_path)
    run, fanned_out, log = fanned_out_match(url, tmp_path, "redis")
    assert run.result["partitions"] == 5 and run.result["tasks"] == 2, (run.result, log)
    run_match(engine, full=True, owner_id=OWNER)
    assert fanned_out == stored(engine)
    assert len(fanned_out["links"]) == 53 and len(fanned_out["title"]) == 85 and not fanned_out["retracted"]
    engine.dispose()


def test_partitions_are_grouped_into_tasks_by_their_lines() -> None:
    group = match_fanout.group_by_size
    sizes = {"a": 900, "b": 100, "c": 300, "d": 300, "e": 250, "f": 50}  # 1,900 lines
    assert group(sizes, 100_000) == [["a", "b", "c", "d", "e", "f"]]  # one task under the budget
    groups = group(sizes, 1_000)  # two tasks, largest first to the lighter one
    assert groups == [["a", "f"], ["b", "c", "d", "e"]]
    assert sorted(n for g in groups for n in g) == sorted(sizes)
    assert group(sizes, 1) == [[n] for n in sorted(sizes)]  # never more tasks than partitions
    assert group({"big": 5_000, "x": 10, "y": 10}, 1_000) == [["big"], ["x"], ["y"]]
    assert group({"a": 0, "b": 0}, 1_000) == [["a", "b"]]  # no rows known: one task


def test_partition_sizes_count_the_lines_each_partition_holds(pg_database_factory, tmp_path: Path) -> None:
    from aggregator.matching_service.scope import partition_sizes
    from aggregator.store.models.logistics import CustomsEntryLineRow, TransportDocumentLineRow
    from aggregator.store.models.marketplace import OrderLineRow
    from aggregator.store.models.warehouse import WarehouseShipmentLineRow

    engine = create_engine_for(pg_database_factory())
    load_story(engine, tmp_path)
    partitions = plan_match(engine, OWNER, full=True).partitions
    with session_scope(engine) as session:
        sizes = partition_sizes(session, OWNER, partitions)
        totals = {model: session.scalar(select(func.count()).select_from(model)) for model in (
            OrderLineRow, WarehouseShipmentLineRow, TransportDocumentLineRow, CustomsEntryLineRow)}
    assert set(sizes) == set(partitions) and all(n > 0 for n in sizes.values()), sizes
    shops = sum(n for p, n in sizes.items() if p.startswith("shop|"))
    assert shops == totals[OrderLineRow]  # the story's outbound lines all name their shop
    assert sum(n for p, n in sizes.items() if p.startswith("wh|")) == totals[WarehouseShipmentLineRow]
    assert sizes[f"doc|{OWNER}"] == totals[TransportDocumentLineRow] + totals[CustomsEntryLineRow]
    engine.dispose()


def test_a_partition_task_of_a_replaced_run_commits_nothing_and_fails_the_run(
        pg_database_factory, tmp_path: Path) -> None:
    """Waits on conditions only: every task of the chord has ended (the chord's callback is then marked
    failed by the result backend, never run) before anything is checked, so "commits nothing" is checked
    after every task had its chance to commit, and no timing of the worker matters."""
    url = pg_database_factory()
    engine = create_engine_for(url)
    load_story(engine, tmp_path)
    env = worker_env(url, tmp_path, "redis", result_backend=RESULT_BACKEND)
    settings = settings_of(env)
    ticket = match_fanout.begin(settings, OWNER)  # the run's plan and lease, as its first task takes them
    partitions = ticket["plan"]["partitions"]
    assert len(partitions) == 5
    with session_scope(engine) as session:  # the run stalled past its lease; another run took the owner over
        session.execute(update(JobLease).where(JobLease.name == f"match:{OWNER}")
                        .values(holder="match-run:successor", token=JobLease.token + 1))
    celery = make_celery(settings)
    log = tmp_path / "worker.log"
    with running_worker(env, log, concurrency=2) as worker:
        callback = chord([celery.signature("aggregator.match_partition", args=[ticket, [p]],
                                           queue=settings.task_queue) for p in partitions])(
            celery.signature("aggregator.finish_match", args=[ticket], queue=settings.task_queue))
        tasks = callback.parent.results
        wait_until(lambda: all(t.ready() for t in tasks), log, worker, "the partition tasks")
        wait_until(callback.ready, log, worker, "the chord's callback to be marked")
        run = finished_run(engine, OWNER)
    assert [t.state for t in tasks] == ["FAILURE"] * len(partitions)
    assert all(type(t.result).__name__ == "LeaseLost" for t in tasks), [t.result for t in tasks]
    assert callback.state == "FAILURE"  # the finalizer never ran
    assert run is not None and run.status == "failed"
    assert run.error.startswith("partition ") and "LeaseLost: lost the lease match:" in run.error, run.error
    assert run.error.split(":", 1)[0].removeprefix("partition ") in partitions
    data = stored(engine)
    assert not data["links"] and not data["partitions"] and not data["title"], "a replaced run stored something"
    with session_scope(engine) as session:  # the successor's lease is left alone
        assert session.scalars(select(JobLease.holder).where(JobLease.name == f"match:{OWNER}")).one() \
            == "match-run:successor"
    engine.dispose()


def test_a_plan_travels_as_json_and_back(sqlite_engine) -> None:
    import json

    from aggregator.tenancy import add_owner

    with session_scope(sqlite_engine) as session:
        add_owner(session, "BRAND", "Brand")
    for full in (False, True):
        plan = plan_match(sqlite_engine, "BRAND", full=full)
        assert match_fanout.plan_from_json(json.loads(json.dumps(match_fanout.plan_to_json(plan)))) == plan
    with pytest.raises(ValueError, match="lacks 'partitions'"):
        match_fanout.plan_from_json({"owner_id": "BRAND"})


def test_a_run_whose_lease_is_gone_is_closed_as_failed_by_the_reaper(engine) -> None:
    """A fanned-out run still 'running' whose lease expired, passed on or was freed (its chord lost with
    the broker) is closed as failed; a run holding a live lease is left alone; an expired lease is freed so
    that a late task of the lost run commits nothing."""
    from datetime import timedelta

    from aggregator.jobs.history import start_run
    from aggregator.jobs.lease import LeaseLost
    from aggregator.tenancy import add_owner

    with session_scope(engine) as session:
        for owner in ("LIVE", "EXPIRED", "TAKEN"):
            add_owner(session, owner, owner)
    live = acquire(engine, "match:LIVE", "match-run:live", timedelta(minutes=10))
    expired = acquire(engine, "match:EXPIRED", "match-run:expired", timedelta(minutes=10))
    acquire(engine, "match:TAKEN", "match-run:old", timedelta(seconds=0.01))
    time.sleep(0.05)
    acquire(engine, "match:TAKEN", "match-run:new", timedelta(minutes=10))
    with session_scope(engine) as session:
        session.execute(update(JobLease).where(JobLease.name == "match:EXPIRED")
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    ids = {owner: start_run(engine, "match-owners", owner, owner, 1, worker=holder)
           for owner, holder in (("LIVE", "match-run:live"), ("EXPIRED", "match-run:expired"),
                                 ("TAKEN", "match-run:old"))}
    assert sorted(match_fanout.reap_lost_runs(engine)) == sorted([ids["EXPIRED"], ids["TAKEN"]])
    with Session(engine) as session:
        runs = {r.target: r for r in session.scalars(select(JobRun))}
        holders = dict(session.execute(select(JobLease.name, JobLease.holder)).all())
    assert runs["LIVE"].status == "running"
    assert runs["EXPIRED"].status == "failed" and runs["EXPIRED"].error.startswith("abandoned: its lease expired")
    assert runs["TAKEN"].status == "failed" and "its lease passed to match-run:new" in runs["TAKEN"].error
    assert holders == {"match:LIVE": "match-run:live", "match:EXPIRED": None, "match:TAKEN": "match-run:new"}
    with pytest.raises(LeaseLost):  # a late task of the expired run
        expired.renew()
    live.renew()
    assert match_fanout.reap_lost_runs(engine) == []
