"""Two ``aggregator worker`` processes on one host and one RabbitMQ broker both run: each takes a node
name of its own (``aggregator-<pid>@host``), so neither is locked out of its exclusive control queue
(RabbitMQ answers a second ``celery@host.celery.pidbox`` declaration with 405 RESOURCE_LOCKED)."""
from __future__ import annotations

import time
from pathlib import Path

from tests.jobs.workers import log_tail, running_worker, worker_env


def test_two_workers_on_one_host_and_rabbitmq_both_start(pg_database_factory, tmp_path: Path) -> None:
    url = pg_database_factory()
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    envs = [worker_env(url, tmp_path, "rabbitmq") for _ in logs]
    with running_worker(envs[0], logs[0], concurrency=1) as first, \
            running_worker(envs[1], logs[1], concurrency=1) as second:
        deadline = time.monotonic() + 600  # (bounds a hang only: returns once both are ready)
        while time.monotonic() < deadline and not all(" ready." in log.read_text() for log in logs):
            assert first.poll() is None, log_tail(logs[0])
            assert second.poll() is None, log_tail(logs[1])
            time.sleep(0.5)
        assert all(" ready." in log.read_text() for log in logs), log_tail(logs[0]) + log_tail(logs[1])
        assert first.poll() is None and second.poll() is None
    texts = [log.read_text() for log in logs]
    assert all("RESOURCE_LOCKED" not in text for text in texts)
    assert any("aggregator-" in text for text in texts), texts[0][-2000:]
