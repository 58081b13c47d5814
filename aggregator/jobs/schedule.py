"""The one job table: every scheduled job, its schedule and its retry rule, read by Celery beat
(``celery_app.beat_schedule``) and by the embedded scheduler (``embedded``) alike — the same jobs at
the same times, whichever runs them.

A job has a Celery task (beat enqueues it; sync, matching and booking fan out into one task per shop
or owner, and an owner's matching further into one task per partition, ``match_fanout``) and an inline body for the embedded scheduler (the same work, one unit after the other in
this process). A unit that fails with an error that really occurs and passes (``transient``: a
marketplace or rate publisher unreachable, throttling or answering 5xx, the database away, another
worker holding the lease) is retried with backoff, ``max_retries`` times; anything else fails at
once. Every execution is recorded (``aggregator.jobs.history``), so a job that keeps failing shows
in ``aggregator runs list`` and ``GET /api/v1/job-runs``.

To add a job: its body in ``work.py``, a task in ``celery_app.py`` (named as ``task`` here) and a row
below.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from aggregator.config import Settings
from aggregator.jobs.lease import LeaseHeld
from aggregator.store.retry import is_transient_db_error
from fx.sources.http import FetchError
from platform_adapters.http.errors import PlatformError


@dataclass(frozen=True, slots=True)
class Every:
    """Every N seconds: a fixed number, or the value of a setting (``sync_interval_seconds``)."""

    seconds: float | None = None
    setting: str | None = None

    def interval(self, settings: Settings) -> float:
        value = float(getattr(settings, self.setting)) if self.setting else float(self.seconds or 0)
        if value <= 0:
            raise ValueError(f"job interval must be positive (got {value} from {self.setting or 'the table'})")
        return value

    def first_due(self, settings: Settings, now: datetime) -> datetime:
        return now  # interval jobs run when the scheduler starts, as beat does

    def next_due(self, settings: Settings, now: datetime) -> datetime:
        return now + timedelta(seconds=self.interval(settings))

    def describe(self, settings: Settings) -> str:
        return f"every {self.interval(settings):g} s" + (f" ({self.setting})" if self.setting else "")


@dataclass(frozen=True, slots=True)
class DailyAt:
    """Every day at ``minute`` past each of ``hours`` (UTC)."""

    hours: tuple[int, ...]
    minute: int = 0

    def first_due(self, settings: Settings, now: datetime) -> datetime:
        return self.next_due(settings, now)

    def next_due(self, settings: Settings, now: datetime) -> datetime:
        now = now.astimezone(timezone.utc)
        for day in range(2):
            base = (now + timedelta(days=day)).replace(minute=self.minute, second=0, microsecond=0)
            for hour in sorted(self.hours):
                moment = base.replace(hour=hour)
                if moment > now:
                    return moment
        raise AssertionError("unreachable: a daily time is always found within two days")

    def describe(self, settings: Settings) -> str:
        return "daily at " + ", ".join(f"{h:02d}:{self.minute:02d}" for h in sorted(self.hours)) + " UTC"


Schedule = Every | DailyAt


def transient(exc: BaseException) -> bool:
    """Errors that really occur in jobs and pass with time: worth a retry with backoff."""
    if isinstance(exc, (LeaseHeld, FetchError, httpx.TransportError)):
        return True
    if isinstance(exc, PlatformError):
        return exc.retryable
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    return is_transient_db_error(exc)


def retry_delay(attempt: int, base: float = 30.0, cap: float = 1800.0) -> float:
    """Seconds before retry number ``attempt`` (1, 2, …): exponential from ``base``, capped."""
    return min(cap, base * 2 ** max(0, attempt - 1))


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # the Celery task beat enqueues
    when: Schedule
    inline: Callable[..., list[dict[str, Any]]]  # the embedded scheduler's body: (settings, *args, **kwargs)
    description: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    max_retries: int = 5


def _work() -> Any:
    from aggregator.jobs import work

    return work


JOBS: tuple[Job, ...] = (
    Job("reap-runs", "aggregator.reap_runs", Every(seconds=60),
        lambda s: [_work().reap_runs(s)],
        "close sync runs whose worker died as abandoned, and fanned-out match runs whose lease lapsed as "
        "failed, with the reason"),
    Job("sync-due-shops", "aggregator.sync_due", Every(setting="sync_interval_seconds"),
        lambda s: _work().run_due_syncs(s),
        "sync every active shop's streams from their cursors"),
    # a second net under pushes and cursors: re-read the last reconcile_lookback_hours of every stream
    Job("reconcile-syncs", "aggregator.reconcile_due", DailyAt(hours=(2,), minute=40),
        lambda s: _work().run_due_syncs(s, reconcile=True),
        "re-read every active shop's streams over the reconciliation window (missed pushes, late updates)"),
    Job("recover-lost-pushes", "aggregator.recover_lost_pushes", Every(setting="lost_push_interval_seconds"),
        lambda s: [_work().recover_lost_pushes(s)],
        "fetch back, store and apply the pushes a marketplace could not deliver (Shopee lost pushes)"),
    Job("match-owners", "aggregator.match_due", Every(setting="match_interval_seconds"),
        lambda s: _work().run_for_owners(s, "match-owners"),
        "match every owner's changed data (links, exceptions, title)"),
    Job("book-settlements", "aggregator.book_due", Every(setting="booking_interval_seconds"),
        lambda s: _work().run_for_owners(s, "book-settlements"),
        "reconcile and book every owner's new statements"),
    Job("prune-outbox", "aggregator.prune_outbox", DailyAt(hours=(3,), minute=10),
        lambda s: [_work().prune_outbox(s)],
        "delete live events delivered more than outbox_retention_days ago"),
    Job("prune-job-runs", "aggregator.prune_job_runs", DailyAt(hours=(3,), minute=20),
        lambda s: [_work().prune_job_runs(s)],
        "delete scheduled-job executions finished more than job_runs_retention_days ago"),
    # ECB publishes around 16:00 CET; fetch after it, and again later in case of a late publication.
    Job("fx-ecb-daily", "aggregator.fetch_rates", DailyAt(hours=(15, 18), minute=30),
        lambda s, *a, **k: [_work().fetch_rates(s, *a, **k)],
        "fetch and import the ECB reference rates", args=("ecb",)),
    # NBP publishes table A each business day and table B on Wednesdays around 12:00 Warsaw time; fetch
    # both for the last week after it, and again later (an import of unchanged rates changes nothing).
    Job("fx-nbp-daily", "aggregator.fetch_rates", DailyAt(hours=(11, 14), minute=15),
        lambda s, *a, **k: [_work().fetch_rates(s, *a, **k)],
        "fetch and import the NBP table A and B mid rates (VND, TWD…)", args=("nbp",)),
)


def job_named(name: str) -> Job:
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(f"unknown job {name!r}; jobs are {', '.join(j.name for j in JOBS)}")


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """The table as Celery beat's ``beat_schedule``."""
    from celery.schedules import crontab

    schedule: dict[str, dict[str, Any]] = {}
    for job in JOBS:
        if isinstance(job.when, Every):
            when: Any = job.when.interval(settings)
        else:
            when = crontab(minute=job.when.minute, hour=",".join(str(h) for h in sorted(job.when.hours)))
        entry: dict[str, Any] = {"task": job.task, "schedule": when}
        if job.args:
            entry["args"] = job.args
        if job.kwargs:
            entry["kwargs"] = dict(job.kwargs)
        schedule[job.name] = entry
    return schedule
