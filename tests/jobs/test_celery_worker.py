"""A real Celery worker (a separate process) on real Redis and RabbitMQ brokers syncs every sandbox shop
into a real PostgreSQL database; a second sync of the same shop racing the first is deferred by the
lease, so nothing is synced twice."""
from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.jobs.celery_app import make_celery
from aggregator.sandbox_link import connect_sandbox
from aggregator.store.db import create_engine_for, upgrade_schema
from aggregator.store.models import OrderRow, SyncRun
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import STREAMS
from platform_adapters.sandbox import running_sandbox
from tests.jobs.workers import BROKERS, log_tail, running_worker, settings_of, worker_env


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_worker_syncs_every_shop_once(broker: str, pg_database_factory, tmp_path: Path) -> None:
    url = pg_database_factory()
    engine = create_engine_for(url)
    upgrade_schema(engine)
    env = worker_env(url, tmp_path, broker, sync_initial_lookback_days="60", sync_lag_seconds="0")
    settings = settings_of(env)
    with running_sandbox(seed=5, orders=80) as sandbox:
        shop_ids = connect_sandbox(engine, Vault.from_settings(settings), sandbox.base_url)
        truth = httpx.get(sandbox.base_url + "/_sandbox/truth/orders", timeout=30).json()
        log = tmp_path / "worker.log"
        with running_worker(env, log) as worker:
            celery = make_celery(settings)
            celery.send_task("aggregator.sync_due", queue=settings.task_queue)
            celery.send_task("aggregator.sync_shop", args=[shop_ids[0], "orders"], queue=settings.task_queue)
            deadline = time.monotonic() + 600  # (bounds a hang only: returns once every shop is synced)
            while time.monotonic() < deadline:
                with Session(engine) as session:
                    finished = {(shop, stream): n for shop, stream, n in session.execute(
                        select(SyncRun.shop_pk, SyncRun.stream, func.count())
                        .where(SyncRun.status.in_(["succeeded", "partial"]))
                        .group_by(SyncRun.shop_pk, SyncRun.stream))}
                every = {(shop, stream) for shop in shop_ids for stream in STREAMS}
                if set(finished) == every and finished[(shop_ids[0], "orders")] >= 2:
                    break
                assert worker.poll() is None, log_tail(log)
                time.sleep(0.5)
            else:
                pytest.fail("the worker did not sync every shop in time:\n" + log_tail(log))
    with Session(engine) as session:
        stored = session.execute(select(OrderRow.platform, OrderRow.shop_id, OrderRow.order_id)).all()
        runs = session.scalars(select(SyncRun)).all()
    expected = {(o["platform"], o["shop_id"], o["order_id"]) for o in truth["orders"]}
    assert len(stored) == len(set(stored)) == len(expected)
    assert set(stored) == expected
    assert all(run.finished_at is not None for run in runs)
    engine.dispose()
