"""One owner's matching fanned out per partition on real Celery workers (a chord on Redis / RabbitMQ with a
Redis result backend, real PostgreSQL): what it stores equals an in-process full match; a partition task
of a run that was replaced commits nothing and the run is recorded as failed, naming the partition."""
from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from celery import chord
from sqlalchemy import select, update
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


def wait_for_run(engine, owner_id: str, log: Path, worker, timeout: float = 120) -> JobRun:
    """The owner's newest finished ``match-owners`` execution (waiting for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as session:
            run = session.scalars(select(JobRun).where(JobRun.job == "match-owners", JobRun.target == owner_id)
                                  .order_by(JobRun.id.desc()).limit(1)).first()
        if run is not None and run.status not in ("running", "busy"):
            return run
        assert worker.poll() is None, log_tail(log)
        time.sleep(0.3)
    pytest.fail(f"the match of {owner_id} did not finish in time:\n{log_tail(log)}")


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_chord_over_two_workers_stores_what_an_in_process_full_match_stores(
        broker: str, pg_database_factory, tmp_path: Path) -> None:
    url = pg_database_factory()
    engine = create_engine_for(url)
    load_story(engine, tmp_path)
    env = worker_env(url, tmp_path, broker, result_backend=RESULT_BACKEND)
    settings = settings_of(env)
    log = tmp_path / "worker.log"
    with running_worker(env, log, concurrency=2) as worker:
        make_celery(settings).send_task("aggregator.match_owner", args=[OWNER], queue=settings.task_queue)
        run = wait_for_run(engine, OWNER, log, worker)
        assert run.status == "succeeded", (run.error, log_tail(log))
        assert run.result["fanned_out"] and run.result["partitions"] == 5 and run.result["links"] == 53, run.result
        fanned_out = stored(engine)
        assert len(run.result["workers"]) == 2, run.result  # both worker processes matched partitions
        fanned_out = stored(engine)
    with session_scope(engine) as session:
        assert session.scalars(select(JobLease.holder).where(JobLease.name == f"match:{OWNER}")).one() is None
    run_match(engine, full=True, owner_id=OWNER)  # in-process, one transaction: the same data must result
    in_process = stored(engine)
    assert fanned_out == in_process
    assert len(fanned_out["links"]) == 53 and len(fanned_out["title"]) == 85 and not fanned_out["retracted"]
    engine.dispose()


def test_a_partition_task_of_a_replaced_run_commits_nothing_and_fails_the_run(
        pg_database_factory, tmp_path: Path) -> None:
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
        chord([celery.signature("aggregator.match_partition", args=[ticket, [p]], queue=settings.task_queue)
               for p in partitions])(celery.signature("aggregator.finish_match", args=[ticket],
                                                      queue=settings.task_queue))
        run = wait_for_run(engine, OWNER, log, worker)
    assert run.status == "failed"
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
