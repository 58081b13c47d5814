"""What scheduled jobs did: one ``job_runs`` row per execution, and which jobs keep failing.

``recorded(engine, job, target)`` wraps one execution (Celery task or embedded scheduler alike): a
row ``running`` first, then ``succeeded`` with the job's result, ``busy`` when another worker held
its lease, or ``failed`` with the error (secrets redacted). Recording never hides the job's own
outcome: when the database is away the execution still runs and raises as it would. An execution
that spans several tasks (a fanned-out match, ``match_fanout``) opens its row with ``start_run`` and
closes it with ``end_run`` from whichever task ends it.

``failing(session)`` answers "which jobs keep failing": per (job, target) the failures since its
last success, newest first; ``aggregator runs list`` warns about them and ``GET /api/v1/job-runs``
lists them.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from aggregator.jobs.lease import LeaseHeld, holder_id
from aggregator.logging_setup import redact_text
from aggregator.store.db import session_scope
from aggregator.store.jsonutil import to_jsonable
from aggregator.store.models.jobs import JobRun

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How many of the newest job runs ``failing`` looks at (bounded: the answer costs the same at any age).
RECENT = 2000


def _now() -> datetime:
    return datetime.now(timezone.utc)


def start_run(engine: Engine, job: str, target: str, owner_id: str | None, attempt: int,
              worker: str | None = None) -> int | None:
    """A ``running`` row for one execution of ``job`` by ``worker`` (this process unless named); its id
    (None when it could not be written)."""
    try:
        with session_scope(engine) as session:
            row = JobRun(job=job, target=target, owner_id=owner_id, status="running", attempt=attempt,
                         worker=worker or holder_id(), started_at=_now())
            session.add(row)
            session.flush()
            return row.id
    except Exception as exc:  # the job runs anyway; its own database work will say what is wrong
        log.warning("job %s %s: could not record its start (%s)", job, target, type(exc).__name__)
        return None


def end_run(engine: Engine, run_id: int | None, status: str, error: str | None, result: Any) -> None:
    """Close execution ``run_id`` as ``status`` (``error_text`` makes the error of an exception); an
    execution already closed keeps its outcome (the first task of a fanned-out run to fail names the error)."""
    if run_id is None:
        return
    try:
        with session_scope(engine) as session:
            session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status == "running").values(
                status=status, error=error, finished_at=_now(), result=to_jsonable(result) if result else None))
    except Exception as exc:
        log.warning("job run #%s: could not record its end (%s)", run_id, type(exc).__name__)


def recorded(engine: Engine, job: str, work: Callable[[], T], *, target: str = "", owner_id: str | None = None,
             attempt: int = 1) -> T:
    """Run ``work`` as one execution of ``job`` (for ``target``), recorded in ``job_runs``."""
    run_id = start_run(engine, job, target, owner_id, attempt)
    try:
        result = work()
    except LeaseHeld as exc:
        end_run(engine, run_id, "busy", str(exc), None)
        raise
    except Exception as exc:
        end_run(engine, run_id, "failed", error_text(exc), None)
        raise
    status = "busy" if isinstance(result, dict) and result.get("status") == "busy" else "succeeded"
    end_run(engine, run_id, status, None, result)
    return result


def error_text(exc: BaseException) -> str:
    """An exception as ``job_runs.error`` stores it: its type and message, secrets redacted, bounded."""
    return redact_text(f"{type(exc).__name__}: {exc}")[:2000]


def record_failure(engine: Engine, job: str, exc: BaseException, *, target: str = "",
                   owner_id: str | None = None, attempt: int = 1) -> None:
    """Record a unit of ``job`` that failed outside ``recorded`` (a shop's sync that raised)."""
    run_id = start_run(engine, job, target, owner_id, attempt)
    end_run(engine, run_id, "failed", error_text(exc), None)


def prune(session: Session, before: datetime) -> int:
    """Delete finished executions started before ``before``; returns how many."""
    from sqlalchemy import delete

    return session.execute(delete(JobRun).where(JobRun.started_at < before, JobRun.finished_at.is_not(None))
                           .execution_options(synchronize_session=False)).rowcount


@dataclass(frozen=True, slots=True)
class Failing:
    """A job (for a target) whose latest executions failed: how many since its last success, the last error."""

    job: str
    target: str
    owner_id: str | None
    failures: int
    since: datetime
    last_error: str | None
    last_success: datetime | None

    def line(self) -> str:
        what = f"{self.job} ({self.target})" if self.target else self.job
        ok = self.last_success.isoformat(timespec="seconds") if self.last_success else "never"
        return (f"job {what} keeps failing: {self.failures} failure(s) in a row since "
                f"{self.since.isoformat(timespec='seconds')}, last success {ok}; last error: {self.last_error}")


def failing(session: Session, owner_ids: list[str] | None = None) -> list[Failing]:
    """Jobs whose newest finished executions failed (per job and target), most failures first.

    ``owner_ids``: only those owners' jobs (an owner-scoped reader); None: every job."""
    query = select(JobRun).where(JobRun.status.in_(("succeeded", "failed")))
    if owner_ids is not None:
        query = query.where(JobRun.owner_id.in_(owner_ids))
    runs = session.scalars(query.order_by(JobRun.id.desc()).limit(RECENT)).all()
    streaks: dict[tuple[str, str], list[JobRun]] = {}
    closed: set[tuple[str, str]] = set()
    successes: dict[tuple[str, str], datetime] = {}
    for run in runs:  # newest first: a streak ends at the first success met
        key = (run.job, run.target)
        if key in closed:
            continue
        if run.status == "succeeded":
            closed.add(key)
            successes[key] = run.started_at
            continue
        streaks.setdefault(key, []).append(run)
    found = [Failing(job, target, streak[0].owner_id, len(streak), streak[-1].started_at, streak[0].error,
                     successes.get((job, target)))
             for (job, target), streak in streaks.items()]
    return sorted(found + _failing_syncs(session, owner_ids), key=lambda f: (-f.failures, f.job, f.target))


def _failing_syncs(session: Session, owner_ids: list[str] | None) -> list[Failing]:
    """Shop-streams whose newest sync runs failed or were abandoned (the sync-due-shops job's units)."""
    from aggregator.store.models.sync import SyncRun
    from aggregator.store.models.tenancy import ShopRow

    query = (select(SyncRun.status, SyncRun.started_at, SyncRun.error, SyncRun.stream, ShopRow.platform,
                    ShopRow.shop_id, ShopRow.owner_id)
             .join(ShopRow, ShopRow.id == SyncRun.shop_pk).where(SyncRun.status != "running"))
    if owner_ids is not None:
        query = query.where(ShopRow.owner_id.in_(owner_ids))
    streaks: dict[str, list] = {}
    closed: dict[str, datetime | None] = {}
    for run in session.execute(query.order_by(SyncRun.id.desc()).limit(RECENT)):
        target = f"{run.platform}:{run.shop_id} {run.stream}"
        if target in closed:
            continue
        if run.status in ("succeeded", "partial"):
            closed[target] = run.started_at
            continue
        streaks.setdefault(target, []).append(run)
    return [Failing("sync-due-shops", target, runs[0].owner_id, len(runs), runs[-1].started_at, runs[0].error,
                    closed.get(target)) for target, runs in streaks.items()]
