"""A real Celery worker (a separate process) on real Redis and RabbitMQ brokers syncs every sandbox shop
into a real PostgreSQL database; a second sync of the same shop racing the first is deferred by the
lease, so nothing is synced twice."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.config import load_settings
from aggregator.jobs.celery_app import make_celery
from aggregator.sandbox_link import connect_sandbox
from aggregator.store.db import create_engine_for, upgrade_schema
from aggregator.store.models import OrderRow, SyncRun
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import STREAMS
from platform_adapters.sandbox import running_sandbox

BROKERS = {
    "redis": "redis://127.0.0.1:6379/0",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_worker_syncs_every_shop_once(broker: str, pg_database_factory, tmp_path: Path) -> None:
    url = pg_database_factory()
    engine = create_engine_for(url)
    upgrade_schema(engine)
    env = {
        "AGGREGATOR_DATABASE_URL": url, "AGGREGATOR_SECRET_KEY": Fernet.generate_key().decode(),
        "AGGREGATOR_DATA_DIR": str(tmp_path), "AGGREGATOR_JOBS_MODE": "celery",
        "AGGREGATOR_BROKER_URL": BROKERS[broker], "AGGREGATOR_TASK_QUEUE": f"agg-test-{uuid.uuid4().hex[:8]}",
        "AGGREGATOR_SYNC_INITIAL_LOOKBACK_DAYS": "60", "AGGREGATOR_SYNC_LAG_SECONDS": "0",
    }
    settings = load_settings(**{k.removeprefix("AGGREGATOR_").lower(): v for k, v in env.items()})
    with running_sandbox(seed=5, orders=80) as sandbox:
        shop_ids = connect_sandbox(engine, Vault.from_settings(settings), sandbox.base_url)
        truth = httpx.get(sandbox.base_url + "/_sandbox/truth/orders", timeout=30).json()
        log = (tmp_path / "worker.log").open("w+")  # a file, not a pipe: a chatty worker must never block
        worker = subprocess.Popen([sys.executable, "-m", "aggregator.cli.main", "worker", "--concurrency", "2"],
                                  env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        try:
            celery = make_celery(settings)
            celery.send_task("aggregator.sync_due", queue=settings.task_queue)
            celery.send_task("aggregator.sync_shop", args=[shop_ids[0], "orders"], queue=settings.task_queue)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with Session(engine) as session:
                    finished = {(shop, stream): n for shop, stream, n in session.execute(
                        select(SyncRun.shop_pk, SyncRun.stream, func.count())
                        .where(SyncRun.status.in_(["succeeded", "partial"]))
                        .group_by(SyncRun.shop_pk, SyncRun.stream))}
                every = {(shop, stream) for shop in shop_ids for stream in STREAMS}
                if set(finished) == every and finished[(shop_ids[0], "orders")] >= 2:
                    break
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
                time.sleep(0.5)
            else:
                worker.terminate()
                pytest.fail("the worker did not sync every shop in time:\n" + (tmp_path / "worker.log").read_text()[-3000:])
        finally:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
            log.close()
    with Session(engine) as session:
        stored = session.execute(select(OrderRow.platform, OrderRow.shop_id, OrderRow.order_id)).all()
        runs = session.scalars(select(SyncRun)).all()
    expected = {(o["platform"], o["shop_id"], o["order_id"]) for o in truth["orders"]}
    assert len(stored) == len(set(stored)) == len(expected)
    assert set(stored) == expected
    assert all(run.finished_at is not None for run in runs)
    engine.dispose()
