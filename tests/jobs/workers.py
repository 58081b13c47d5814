"""Test helper: real Celery worker processes (``aggregator worker``) on a real broker, stopped at the end."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BROKERS = {
    "redis": "redis://127.0.0.1:6379/0",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}
#: where chords collect their results (RabbitMQ has none of its own)
RESULT_BACKEND = "redis://127.0.0.1:6379/1"


def worker_env(url: str, data_dir: Path, broker: str, *, result_backend: str | None = None,
               **extra: str) -> dict[str, str]:
    """The environment of a worker on ``broker`` (a key of ``BROKERS``) and database ``url``, on a queue
    of its own (tests running at the same time never take each other's tasks)."""
    from cryptography.fernet import Fernet

    env = {"AGGREGATOR_DATABASE_URL": url, "AGGREGATOR_SECRET_KEY": Fernet.generate_key().decode(),
           "AGGREGATOR_DATA_DIR": str(data_dir), "AGGREGATOR_JOBS_MODE": "celery",
           "AGGREGATOR_BROKER_URL": BROKERS[broker], "AGGREGATOR_TASK_QUEUE": f"agg-test-{uuid.uuid4().hex[:8]}"}
    if result_backend:
        env["AGGREGATOR_RESULT_BACKEND"] = result_backend
    return {**env, **{f"AGGREGATOR_{k.upper()}": v for k, v in extra.items()}}


def settings_of(env: dict[str, str]):
    from aggregator.config import load_settings

    return load_settings(**{k.removeprefix("AGGREGATOR_").lower(): v for k, v in env.items()})


@contextmanager
def running_worker(env: dict[str, str], log_path: Path, concurrency: int = 2) -> Iterator[subprocess.Popen]:
    """``aggregator worker`` in a process of its own (its output in ``log_path``: a file, never a pipe that a
    chatty worker could fill), terminated on exit."""
    with log_path.open("w+") as log:
        worker = subprocess.Popen([sys.executable, "-m", "aggregator.cli.main", "worker", "--concurrency",
                                   str(concurrency)], env={**os.environ, **env}, stdout=log,
                                  stderr=subprocess.STDOUT)
        try:
            yield worker
        finally:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)


def log_tail(log_path: Path, size: int = 3000) -> str:
    return log_path.read_text()[-size:]
