"""The ``beat`` verb: the Celery scheduler that enqueues the periodic jobs of ``aggregator.jobs.schedule``."""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app


@click.command(name="beat", help="Run Celery beat (AGGREGATOR_JOBS_MODE=celery): enqueue the jobs of the job "
                                  "table (aggregator/jobs/schedule.py) at their times: syncs, matching, booking, "
                                  "rate fetches, reaping of abandoned runs, outbox pruning.")
@pass_app
def command(app: AppContext) -> None:
    settings = app.settings
    if settings.jobs_mode != "celery":
        raise click.ClickException("beat needs a broker: set AGGREGATOR_JOBS_MODE=celery and AGGREGATOR_BROKER_URL; "
                                   "the embedded default schedules inside `aggregator worker`")
    from aggregator.jobs.celery_app import make_celery

    schedule = settings.data_dir / "celerybeat-schedule"
    make_celery(settings).start(["beat", "--loglevel=INFO", f"--schedule={schedule}"])
