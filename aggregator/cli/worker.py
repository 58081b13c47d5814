"""The ``worker`` verb: run jobs — a Celery worker, or the embedded scheduler in this process."""
from __future__ import annotations

import os

import click

from aggregator.cli.context import AppContext, pass_app


@click.command(name="worker", help="Run jobs: a Celery worker (AGGREGATOR_JOBS_MODE=celery) or, by default, "
                                    "the embedded scheduler running the job table (the same jobs and times as beat).")
@click.option("--concurrency", default=2, show_default=True, type=int, help="Celery worker processes.")
@click.option("--once", is_flag=True, help="Embedded mode: run one tick and exit.")
@click.option("--name", default=None, metavar="NAME@HOST",
              help="Celery node name (default: aggregator-<pid>@<host name>, unique per process: two workers "
                   "with one name on one RabbitMQ broker lock each other out of their control queue).")
@pass_app
def command(app: AppContext, concurrency: int, once: bool, name: str | None) -> None:
    settings = app.settings
    app.ready_engine()
    if settings.jobs_mode == "in-process":
        from aggregator.jobs.embedded import run_forever

        run_forever(settings, once=once)
        return
    from aggregator.jobs.celery_app import make_celery

    celery = make_celery(settings)
    celery.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=prefork",
                        f"--hostname={name or f'aggregator-{os.getpid()}@%h'}",
                        f"--queues={settings.task_queue}", "--without-gossip", "--without-mingle"])
