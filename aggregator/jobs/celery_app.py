"""The Celery application: tasks wrapping the job bodies; beat's schedule is the job table.

``make_celery(settings)`` builds the app (no configuration is read at import time). Task messages
carry ids only. The schedule comes from ``aggregator.jobs.schedule.JOBS`` (the embedded scheduler
reads the same table). A task that fails with an error that really occurs and passes
(``schedule.transient``: a platform or rate publisher unreachable or throttling, the database away,
another worker holding the lease) is retried with backoff; every execution of a scheduled job is
recorded in ``job_runs``.

With a result backend, an owner's matching fans out: ``aggregator.match_owner`` plans the run and
sends a chord of ``aggregator.match_partition`` (one per group of shop or document partitions of about
``match_task_lines`` lines, ``match_fanout.batches``; on any worker)
whose callback ``aggregator.match_second_phase`` sends the warehouse partitions' chord, whose callback
``aggregator.finish_match`` finalizes the run (``match_fanout``); without one, the owner is matched
whole.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Celery, Task, chord
from celery.exceptions import Retry

from aggregator.config import Settings
from aggregator.jobs import match_fanout, work
from aggregator.jobs.history import record_failure, recorded
from aggregator.jobs.schedule import JOBS, beat_schedule, job_named, retry_delay, transient


def _retrying(task: Task, body: Callable[[], Any], base: float = 30.0) -> Any:
    """Run ``body``; a transient error is retried with backoff while retries remain, anything else raised."""
    try:
        return body()
    except Exception as exc:
        if transient(exc) and task.request.retries < task.max_retries:
            raise task.retry(exc=exc, countdown=retry_delay(task.request.retries + 1, base)) from None
        raise


def make_celery(settings: Settings) -> Celery:
    app = Celery("aggregator", broker=settings.broker_url, backend=settings.result_backend)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_default_queue=settings.task_queue, timezone="UTC", enable_utc=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,  # keep our redacting handler (Celery would replace it)
        task_always_eager=settings.jobs_mode == "in-process",
        beat_schedule=beat_schedule(settings),
    )

    def engine():
        return work.engine_for(settings.effective_database_url)

    def task_named(name: str, **options: Any):
        """A task of this app only (``shared=False``: two apps built in one process never collide)."""
        return app.task(name=name, bind=True, shared=False, **options)

    def attempt(task: Task) -> int:
        return task.request.retries + 1

    @task_named("aggregator.sync_shop", max_retries=20)
    def sync_shop_task(task, shop_pk: int, stream: str = "orders", reconcile: bool = False) -> dict:
        def body() -> dict:
            try:
                return work.sync_shop(settings, shop_pk, stream, reconcile=reconcile)
            except work.SyncBusy:
                raise
            except Exception as exc:  # the run's own row says what it did; record what escaped it
                record_failure(engine(), "sync-due-shops", exc, target=f"shop#{shop_pk} {stream}",
                               attempt=attempt(task))
                raise

        return _retrying(task, body, base=5.0)

    @task_named("aggregator.sync_due", max_retries=job_named("sync-due-shops").max_retries)
    def sync_due_task(task) -> int:
        def fan_out() -> int:
            jobs = work.due_syncs(settings)
            for shop_pk, stream in jobs:
                sync_shop_task.delay(shop_pk, stream)
            return len(jobs)

        return _retrying(task, lambda: recorded(engine(), "sync-due-shops", fan_out, attempt=attempt(task)))

    @task_named("aggregator.reconcile_due", max_retries=job_named("reconcile-syncs").max_retries)
    def reconcile_due_task(task) -> int:
        def fan_out() -> int:
            jobs = work.due_syncs(settings)
            for shop_pk, stream in jobs:
                sync_shop_task.delay(shop_pk, stream, True)
            return len(jobs)

        return _retrying(task, lambda: recorded(engine(), "reconcile-syncs", fan_out, attempt=attempt(task)))

    @task_named("aggregator.recover_lost_pushes", max_retries=job_named("recover-lost-pushes").max_retries)
    def recover_lost_pushes_task(task) -> dict:
        return _retrying(task, lambda: recorded(engine(), "recover-lost-pushes",
                                                lambda: work.recover_lost_pushes(settings), attempt=attempt(task)),
                         base=30.0)

    def owners_fan_out(job: str, fan_out_name: str, unit: Task) -> None:
        @task_named(fan_out_name, max_retries=job_named(job).max_retries)
        def fan_out(task) -> int:
            def body() -> int:
                owners = work.owners_to_match(settings)
                for owner_id in owners:
                    unit.delay(owner_id)
                return len(owners)

            return _retrying(task, lambda: recorded(engine(), job, body, attempt=attempt(task)))

    def run_step(task: Task, ticket: dict, step: str, body: Callable[[], Any]) -> Any:
        """A step of a fanned-out match: transient errors retried per the job table, a step that gives up
        fails the run (``match_fanout.fail``) and raises, so the chord's callback never runs."""
        try:
            return _retrying(task, body, base=10.0)
        except Retry:
            raise
        except Exception as exc:
            match_fanout.fail(settings, ticket, step, exc)
            raise

    match_retries = job_named(match_fanout.JOB).max_retries

    @task_named("aggregator.match_partition", max_retries=match_retries)
    def match_partition_task(task, ticket: dict, partitions: list[str]) -> dict:
        return run_step(task, ticket, f"partition {', '.join(partitions)}",
                        lambda: match_fanout.match_partition(settings, ticket, partitions))

    def send_second_phase(ticket: dict, first: list[dict]) -> dict:
        """The warehouse partitions' chord (its callback finishes the run), or the finish itself."""
        partitions = match_fanout.second_phase(ticket, first)
        if not partitions:
            return match_fanout.finish(settings, ticket, first)
        chord([match_partition_task.s(ticket, group) for group in match_fanout.batches(settings, ticket, partitions)]
              )(finish_match_task.s(ticket, first))
        return {"owner_id": ticket["owner_id"], "status": "second phase sent", "partitions": len(partitions)}

    @task_named("aggregator.match_second_phase", max_retries=match_retries)
    def match_second_phase_task(task, first: list[dict], ticket: dict) -> dict:
        return run_step(task, ticket, "second phase", lambda: send_second_phase(ticket, first))

    @task_named("aggregator.finish_match", max_retries=match_retries)
    def finish_match_task(task, outcomes: list[dict], ticket: dict, first: list[dict] | None = None) -> dict:
        return run_step(task, ticket, "finalize",
                        lambda: match_fanout.finish(settings, ticket, [*(first or []), *outcomes]))

    @task_named("aggregator.match_owner", max_retries=20)
    def match_owner_task(task, owner_id: str, full: bool = False) -> dict:
        """One owner's match: fanned out per partition (a chord per phase) when results can be collected,
        else whole on this worker (the embedded path's ``work.match_owner``)."""
        if not settings.result_backend:
            return _retrying(task, lambda: recorded(engine(), match_fanout.JOB,
                                                    lambda: work.match_owner(settings, owner_id, full),
                                                    target=owner_id, owner_id=owner_id, attempt=attempt(task)),
                             base=10.0)
        ticket = _retrying(task, lambda: match_fanout.begin(settings, owner_id, full=full, attempt=attempt(task)),
                           base=10.0)
        first = match_fanout.phases(ticket)[0]
        if not first:  # no shop or document partition to match first
            return run_step(task, ticket, "second phase", lambda: send_second_phase(ticket, []))

        def sizing() -> list[list[str]]:
            """The first phase's task groups (transient database errors ridden out inside ``batches``); an
            error that lasts fails this run, and a transient one retries the task: a new run, later."""
            try:
                return match_fanout.batches(settings, ticket, list(first))
            except Exception as exc:
                match_fanout.fail(settings, ticket, "sizing", exc)
                raise

        groups = _retrying(task, sizing, base=10.0)
        try:
            chord([match_partition_task.s(ticket, group) for group in groups])(match_second_phase_task.s(ticket))
        except Exception as exc:  # the broker refused the run's tasks: nothing of it will run
            match_fanout.fail(settings, ticket, "dispatch", exc)
            raise
        return {"owner_id": owner_id, "status": "fanned out", "partitions": len(first), "job_run": ticket["job_run"]}

    @task_named("aggregator.book_settlements", max_retries=20)
    def book_settlements_task(task, owner_id: str) -> dict:
        return _retrying(task, lambda: work.run_owner_unit(settings, "book-settlements", owner_id, attempt(task)),
                         base=10.0)

    owners_fan_out(match_fanout.JOB, "aggregator.match_due", match_owner_task)
    owners_fan_out("book-settlements", "aggregator.book_due", book_settlements_task)

    def rates_job(source: str) -> str:
        """The table's job fetching ``source`` (fx-ecb-daily, fx-nbp-daily, …)."""
        for job in JOBS:
            if job.task == "aggregator.fetch_rates" and job.args[:1] == (source,):
                return job.name
        return f"fx-{source}"

    @task_named("aggregator.fetch_rates", max_retries=job_named("fx-ecb-daily").max_retries)
    def fetch_rates_task(task, source: str = "ecb", **options: Any) -> dict:
        return _retrying(task, lambda: recorded(engine(), rates_job(source),
                                                lambda: work.fetch_rates(settings, source, **options),
                                                target=source, attempt=attempt(task)), base=60.0)

    @task_named("aggregator.reap_runs", max_retries=job_named("reap-runs").max_retries)
    def reap_runs_task(task) -> dict:
        return _retrying(task, lambda: recorded(engine(), "reap-runs", lambda: work.reap_runs(settings),
                                                attempt=attempt(task)), base=10.0)

    @task_named("aggregator.prune_outbox", max_retries=job_named("prune-outbox").max_retries)
    def prune_outbox_task(task) -> dict:
        return _retrying(task, lambda: recorded(engine(), "prune-outbox", lambda: work.prune_outbox(settings),
                                                attempt=attempt(task)))

    @task_named("aggregator.prune_job_runs", max_retries=job_named("prune-job-runs").max_retries)
    def prune_job_runs_task(task) -> dict:
        return _retrying(task, lambda: recorded(engine(), "prune-job-runs", lambda: work.prune_job_runs(settings),
                                                attempt=attempt(task)))

    @task_named("aggregator.apply_webhook", max_retries=5)
    def apply_webhook_task(task, event_pk: int) -> str:
        from aggregator.store.vault import Vault
        from aggregator.transport_pool import shared_pool
        from aggregator.webhooks import apply

        return _retrying(task, lambda: apply(engine(), Vault.from_settings(settings), event_pk, shared_pool()),
                         base=5.0)

    return app
