"""The embedded scheduler: the job table (``aggregator.jobs.schedule.JOBS``) run inside one process,
no broker needed — the same jobs at the same times as Celery beat.

Interval jobs run when the scheduler starts and then every interval; daily jobs at their times (UTC).
Each execution is recorded in ``job_runs``. A job failing with a transient error (``schedule.transient``)
is retried with backoff up to its ``max_retries`` before waiting for its next time; any other error is
recorded and the job waits for its next time. One job failing never stops the others.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from aggregator.config import Settings
from aggregator.jobs import work
from aggregator.jobs.history import recorded
from aggregator.jobs.schedule import JOBS, Job, retry_delay, transient

log = logging.getLogger(__name__)


@dataclass
class SchedulerState:
    """When each job is next due, and how many times in a row it failed transiently."""

    due: dict[str, datetime] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def next_wake(self) -> datetime | None:
        return min(self.due.values()) if self.due else None


def run_job(settings: Settings, job: Job, attempt: int = 1) -> list[dict[str, Any]]:
    """One execution of ``job`` in this process, recorded (raises what the job raises)."""
    target = str(job.args[0]) if job.args else ""
    return recorded(work.engine_for(settings.effective_database_url), job.name,
                    lambda: job.inline(settings, *job.args, **job.kwargs), target=target, attempt=attempt)


def run_due(settings: Settings, state: SchedulerState, now: datetime | None = None,
            jobs: tuple[Job, ...] = JOBS) -> list[dict[str, Any]]:
    """Run every job of ``jobs`` that is due at ``now`` (in table order) and plan its next time."""
    now = now or datetime.now(timezone.utc)
    results: list[dict[str, Any]] = []
    for job in jobs:
        due = state.due.setdefault(job.name, job.when.first_due(settings, now))
        if due > now:
            continue
        failures = state.failures.get(job.name, 0)
        try:
            results.extend(run_job(settings, job, attempt=failures + 1))
        except Exception as exc:
            retry = transient(exc) and failures < job.max_retries
            state.failures[job.name] = failures + 1 if retry else 0
            state.due[job.name] = (now + _seconds(retry_delay(failures + 1))) if retry \
                else job.when.next_due(settings, now)
            log.warning("job %s failed (%s: %s); %s", job.name, type(exc).__name__, exc,
                        f"retry at {state.due[job.name].isoformat(timespec='seconds')}" if retry
                        else f"next at {state.due[job.name].isoformat(timespec='seconds')}")
            results.append({"job": job.name, "status": "failed", "reason": f"{type(exc).__name__}: {exc}"})
            continue
        state.failures[job.name] = 0
        state.due[job.name] = job.when.next_due(settings, now)
    return results


def _seconds(value: float):
    from datetime import timedelta

    return timedelta(seconds=value)


def run_tick(settings: Settings, now: datetime | None = None) -> list[dict[str, Any]]:
    """What a freshly started scheduler runs at once: every interval job (daily jobs wait for their time)."""
    return run_due(settings, SchedulerState(), now)


def run_forever(settings: Settings, *, once: bool = False, sleep: Callable[[float], None] = time.sleep) -> None:
    state = SchedulerState()
    while True:
        results = run_due(settings, state)
        log.info("embedded scheduler: %d result(s)", len(results))
        if once:
            return
        wake = state.next_wake()
        pause = (wake - datetime.now(timezone.utc)).total_seconds() if wake else 60.0
        sleep(min(60.0, max(0.5, pause)))
