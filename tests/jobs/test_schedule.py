"""One job table for Celery beat and the embedded scheduler; retries on the errors jobs really meet;
a job that keeps failing shows in ``aggregator runs list`` and the API."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from aggregator.api.app import create_app
from aggregator.cli.main import cli
from aggregator.config import load_settings
from aggregator.fx_service.rates import fetch_payload
from aggregator.jobs.celery_app import make_celery
from aggregator.jobs.embedded import SchedulerState, run_due
from aggregator.jobs.history import failing
from aggregator.jobs.schedule import JOBS, DailyAt, job_named, transient
from aggregator.store.db import create_engine_for, session_scope, upgrade_schema
from fx.sources.http import FetchError
from platform_adapters.http.errors import ErrorKind, PlatformError

UTC = timezone.utc


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound by this socket but never listened on, so no other
    process can take it (and answer) while the test uses it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_beat_and_the_embedded_scheduler_read_one_table(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, sync_interval_seconds=120, match_interval_seconds=600)
    app = make_celery(settings)
    beat = app.conf.beat_schedule
    assert list(beat) == [job.name for job in JOBS]
    for job in JOBS:
        assert beat[job.name]["task"] == job.task and job.task in app.tasks, job.name
    assert (beat["sync-due-shops"]["schedule"], beat["match-owners"]["schedule"]) == (120.0, 600.0)
    ecb = beat["fx-ecb-daily"]["schedule"]
    assert (ecb.hour, ecb.minute, beat["fx-ecb-daily"]["args"]) == ({15, 18}, {30}, ("ecb",))
    # the embedded scheduler plans the same job at the same times
    daily = job_named("fx-ecb-daily").when
    assert isinstance(daily, DailyAt)
    assert daily.next_due(settings, datetime(2026, 11, 28, 15, 29, tzinfo=UTC)) == datetime(2026, 11, 28, 15, 30,
                                                                                            tzinfo=UTC)
    assert daily.next_due(settings, datetime(2026, 11, 28, 18, 30, tzinfo=UTC)) == datetime(2026, 11, 29, 15, 30,
                                                                                            tzinfo=UTC)


def test_the_errors_jobs_really_meet_are_retried(pg_database_factory, closed_port: int) -> None:
    port = closed_port
    with pytest.raises(httpx.TransportError) as refused:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
    with pytest.raises(FetchError) as offline:
        fetch_payload("json", url=f"http://127.0.0.1:{port}/latest", attempts=1)
    with pytest.raises(OperationalError) as database_away:
        create_engine_for(f"postgresql://postgres@127.0.0.1:{port}/test").connect()
    for error in (refused.value, offline.value, database_away.value,
                  PlatformError(ErrorKind.THROTTLE, "429", platform="shopee")):
        assert transient(error), error
    for error in (ValueError("bad source"), PlatformError(ErrorKind.FATAL, "error_sign", platform="shopee"),
                  KeyError("x")):
        assert not transient(error), error


def test_a_job_that_keeps_failing_shows_in_runs_list_and_the_api(tmp_path: Path, closed_port: int) -> None:
    settings = load_settings(data_dir=tmp_path)
    engine = create_engine_for(settings.effective_database_url)
    upgrade_schema(engine)
    offline = f"http://127.0.0.1:{closed_port}/latest"  # the rate publisher is unreachable
    job = replace(job_named("fx-ecb-daily"), args=("json",), kwargs={"url": offline, "attempts": 1}, max_retries=2)
    state = SchedulerState()
    now = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    assert run_due(settings, state, now, jobs=(job,)) == []  # not its time yet
    assert state.due[job.name] == datetime(2026, 11, 28, 15, 30, tzinfo=UTC)
    attempts = []
    for _ in range(3):
        now = state.due[job.name]
        (result,) = run_due(settings, state, now, jobs=(job,))
        assert result["status"] == "failed" and "FetchError" in result["reason"]
        attempts.append(state.due[job.name] - now)
    assert attempts[:2] == [timedelta(seconds=30), timedelta(seconds=60)]  # retried with backoff
    assert state.due[job.name] == datetime(2026, 11, 28, 18, 30, tzinfo=UTC)  # then its next time

    with session_scope(engine) as session:
        (stuck,) = failing(session)
    assert (stuck.job, stuck.target, stuck.failures, stuck.last_success) == ("fx-ecb-daily", "json", 3, None)

    listed = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "runs", "list"])
    assert listed.exit_code == 0, listed.output
    assert "job fx-ecb-daily (json) keeps failing: 3 failure(s) in a row" in listed.stderr
    jobs_csv = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "runs", "list", "--kind", "job",
                                        "--format", "csv"])
    assert jobs_csv.stdout.count("fx-ecb-daily,json,failed") == 3

    client = TestClient(create_app(engine, operator_key="op-key-for-the-test"))
    headers = {"Authorization": "Bearer op-key-for-the-test"}
    (shown,) = client.get("/api/v1/job-runs/failing", headers=headers).json()
    assert (shown["job"], shown["failures"]) == ("fx-ecb-daily", 3) and "FetchError" in shown["last_error"]
    page = client.get("/api/v1/job-runs", params={"job": "fx-ecb-daily", "status": "failed"}, headers=headers)
    assert page.status_code == 200 and len(page.json()["items"]) == 3
    assert client.get("/api/v1/job-runs", params={"job": "NOPE"}, headers=headers).status_code == 422
    engine.dispose()


def test_old_job_runs_are_pruned_and_recent_ones_kept(tmp_path: Path) -> None:
    from aggregator.jobs.work import prune_job_runs
    from aggregator.store.models.jobs import JobRun

    settings = load_settings(data_dir=tmp_path, job_runs_retention_days=30)
    engine = create_engine_for(settings.effective_database_url)
    upgrade_schema(engine)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for age, finished in ((40, True), (40, False), (5, True)):
            started = now - timedelta(days=age)
            session.add(JobRun(job="match-owners", target="BRAND", status="succeeded" if finished else "running",
                               started_at=started, finished_at=started if finished else None))
    assert prune_job_runs(settings)["pruned"] == 1
    with session_scope(engine) as session:
        assert session.query(JobRun).count() == 2
    engine.dispose()


def test_a_shop_whose_syncs_keep_failing_is_named_too(tmp_path: Path) -> None:
    from aggregator.store.models import SyncRun
    from tests.store.factories import make_shop

    engine = create_engine_for(load_settings(data_dir=tmp_path).effective_database_url)
    upgrade_schema(engine)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        shop = make_shop(session)
        for minutes, status, error in ((30, "succeeded", None), (20, "failed", "PlatformError: 5xx"),
                                       (10, "abandoned", "abandoned: worker process gone")):
            session.add(SyncRun(shop_pk=shop.id, stream="orders", status=status, error=error,
                                started_at=now - timedelta(minutes=minutes), finished_at=now))
    with session_scope(engine) as session:
        (stuck,) = failing(session)
    assert (stuck.job, stuck.target, stuck.failures) == ("sync-due-shops", "shopee:480012345 orders", 2)
    assert stuck.last_error.startswith("abandoned") and stuck.last_success == now - timedelta(minutes=30)
    listed = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "runs", "list", "--format", "json"])
    assert "sync-due-shops (shopee:480012345 orders) keeps failing: 2 failure(s)" in listed.stderr
    engine.dispose()
