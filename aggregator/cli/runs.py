"""The ``runs`` verb: the sync run log and the scheduled jobs' runs.

``runs list`` lists sync runs (``--kind sync``, the default) or scheduled job executions
(``--kind job``: reaping, matching, booking, rate fetches, …). Whatever is listed, a job that keeps
failing (its two or more newest executions failed; a shop-stream whose newest sync runs failed or were
abandoned counts as the sync job's) is named on standard error, so it is never missed.
"""
from __future__ import annotations

import click

from aggregator.cli.context import AppContext, pass_app
from aggregator.cli.output import format_option, render
from aggregator.cli.shop_option import shop_filter_option


@click.group(name="runs", help="Sync runs and scheduled job runs: list.")
def command() -> None:
    pass


COLUMNS = ("run", "shop", "stream", "mode", "status", "started", "finished", "created", "updated", "unchanged",
           "stale", "failed", "unknown", "deferred", "cursor after", "error")
JOB_COLUMNS = ("run", "job", "target", "status", "attempt", "started", "finished", "worker", "error")


def _when(moment) -> str:  # noqa: ANN001 - an aware datetime or None
    return moment.isoformat(timespec="seconds") if moment else ""


@command.command(name="list", help="List the most recent sync runs, or scheduled job runs with --kind job "
                                    "(newest first); jobs that keep failing are named on standard error.")
@click.option("--kind", type=click.Choice(["sync", "job"]), default="sync", show_default=True,
              help="sync: marketplace sync runs; job: executions of the scheduled jobs.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@shop_filter_option(help="Only this shop id (sync runs); an unknown id is refused.")
@click.option("--job", "job_name", default=None, help="Only this job (job runs), e.g. fx-ecb-daily.")
@format_option()
@pass_app
def list_(app: AppContext, kind: str, limit: int, shop_id: str | None, job_name: str | None, fmt: str) -> None:
    from sqlalchemy import select

    from aggregator.cli.errors import UserError
    from aggregator.jobs.history import failing
    from aggregator.jobs.schedule import JOBS
    from aggregator.store.db import session_scope
    from aggregator.store.models import ShopRow, SyncRun
    from aggregator.store.models.jobs import JobRun

    if job_name is not None and job_name not in {j.name for j in JOBS}:
        raise UserError(f"unknown job {job_name!r}; jobs are {', '.join(j.name for j in JOBS)}")
    rows = []
    with session_scope(app.ready_engine()) as session:
        if kind == "job":
            query = select(JobRun)
            if job_name:
                query = query.where(JobRun.job == job_name)
            for run in session.scalars(query.order_by(JobRun.id.desc()).limit(limit)):
                rows.append((run.id, run.job, run.target, run.status, run.attempt, _when(run.started_at),
                             _when(run.finished_at), run.worker or "", run.error or ""))
        else:
            query = select(SyncRun, ShopRow).join(ShopRow, ShopRow.id == SyncRun.shop_pk)
            if shop_id:
                query = query.where(ShopRow.shop_id == shop_id)
            for run, shop in session.execute(query.order_by(SyncRun.id.desc()).limit(limit)):
                rows.append((run.id, f"{shop.platform}:{shop.shop_id}", run.stream, run.mode, run.status,
                             _when(run.started_at), _when(run.finished_at), run.created, run.updated,
                             run.unchanged, run.stale, run.failed, run.unknown_status, run.deferred,
                             _when(run.cursor_after),
                             run.error or ""))
        troubled = failing(session)
    render(rows, JOB_COLUMNS if kind == "job" else COLUMNS, fmt)
    for item in troubled:
        if item.failures < 2:  # once is an incident; twice in a row is a job that keeps failing
            continue
        click.echo(f"warning: {item.line()} (see: aggregator runs list --kind job --job {item.job})", err=True)
