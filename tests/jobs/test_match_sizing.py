"""Sizing a fanned-out match (``match_fanout.batches``: lines per partition, read before the chord is sent)
meets the database like any other step: a transient error is ridden out, one that lasts fails the run naming
the sizing (not the dispatch) and the ``aggregator.match_owner`` task is retried as a new run. Real PostgreSQL;
the task runs in this process (eager), the database errors are injected into the sizing's statements."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import OperationalError

from aggregator.config import load_settings
from aggregator.jobs import match_fanout
from aggregator.jobs.celery_app import make_celery
from aggregator.store.db import create_engine_for, session_scope
from aggregator.store.models.jobs import JobLease, JobRun
from tests.jobs.workers import RESULT_BACKEND
from tests.matching.db_story import load_story
from tests.matching.story import OWNER


@contextmanager
def failing_sizing(failures: int) -> Iterator[dict]:
    """The next ``failures`` statements counting a partition's order lines (``scope.partition_sizes``, only
    the sizing reads them) fail as a dropped connection does."""
    state = {"left": failures, "failed": 0}

    def before(conn, cursor, statement: str, *_args) -> None:
        if "count(order_lines.id)" in statement and state["left"] > 0:
            state["left"] -= 1
            state["failed"] += 1
            raise OperationalError(statement, {}, ConnectionError("server closed the connection unexpectedly"))

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield state
    finally:
        event.remove(Engine, "before_cursor_execute", before)


def _runs(engine) -> list[tuple[str, str | None]]:
    with session_scope(engine) as session:
        return [tuple(r) for r in session.execute(select(JobRun.status, JobRun.error).where(
            JobRun.job == match_fanout.JOB, JobRun.target == OWNER).order_by(JobRun.id)).all()]


def _settings(url: str, tmp_path: Path, retry_seconds: float):
    return load_settings(database_url=url, data_dir=tmp_path, jobs_mode="in-process", result_backend=RESULT_BACKEND,
                         db_retry_seconds=retry_seconds)


@pytest.fixture
def story(pg_database_factory, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A fresh PostgreSQL database holding the matching story: its URL and an engine on it."""
    url = pg_database_factory()
    engine = create_engine_for(url)
    load_story(engine, tmp_path)
    yield url, engine
    engine.dispose()


def test_a_transient_error_while_sizing_is_ridden_out(story, tmp_path: Path) -> None:
    url, _ = story
    settings = _settings(url, tmp_path, 30.0)
    ticket = match_fanout.begin(settings, OWNER, full=True)
    first = list(match_fanout.phases(ticket)[0])
    assert len(first) > 1  # more than one partition: the sizes are read
    with failing_sizing(2) as state:
        groups = match_fanout.batches(settings, ticket, first)
    assert state["failed"] == 2
    assert sorted(p for g in groups for p in g) == sorted(first)
    match_fanout.fail(settings, ticket, "test over", RuntimeError("done"))


def test_an_error_that_lasts_while_sizing_fails_the_run_as_sizing_and_the_task_retries(
        story, tmp_path: Path) -> None:
    url, engine = story
    app = make_celery(_settings(url, tmp_path, 0.3))
    task = app.tasks["aggregator.match_owner"]
    with failing_sizing(10_000) as state:
        result = task.apply(args=[OWNER], kwargs={"full": True})
    assert isinstance(result.result, OperationalError)  # given up after the task's retries
    runs = _runs(engine)
    assert len(runs) == task.max_retries + 1 and state["failed"] >= len(runs)  # retried: a new run each time
    assert all(status == "failed" and error.startswith("sizing: ") for status, error in runs), runs
    with session_scope(engine) as session:  # every run freed the owner's lease
        assert session.scalars(select(JobLease.holder).where(JobLease.name == f"match:{OWNER}")).one() is None
