"""Scheduled job runs (``aggregator.jobs.history``), as the caller may see them: every execution, and
the jobs that keep failing. An owner-scoped key sees its owner's jobs (matching, booking); staff see
every job, global ones (rate fetches, reaping) included."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.api.auth import Principal, get_session, reader
from aggregator.api.bounds import Cursor, Limit
from aggregator.api.pagination import CursorPage, keyset_page
from aggregator.jobs.history import failing
from aggregator.jobs.schedule import JOBS
from aggregator.store.models.jobs import JobRun

router = APIRouter(prefix="/api/v1", tags=["operations"])

JobName = Literal[tuple(job.name for job in JOBS)]  # type: ignore[valid-type]  # unknown names: 422
JobStatus = Literal["running", "succeeded", "failed", "busy"]


class JobRunOut(BaseModel):
    id: int
    job: str
    target: str
    owner_id: str | None
    status: str
    attempt: int
    worker: str | None
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    result: Any = None


class FailingJobOut(BaseModel):
    job: str
    target: str
    owner_id: str | None
    failures: int
    since: datetime
    last_success: datetime | None
    last_error: str | None


@router.get("/job-runs", response_model=CursorPage[JobRunOut])
def list_job_runs(principal: Principal = Depends(reader), session: Session = Depends(get_session),
                  job: JobName | None = None, status: JobStatus | None = None, cursor: Cursor = None,
                  limit: Limit = 50) -> CursorPage[JobRunOut]:
    """Executions of the scheduled jobs, newest first."""
    query = principal.scope(select(JobRun), JobRun.owner_id)
    if job:
        query = query.where(JobRun.job == job)
    if status:
        query = query.where(JobRun.status == status)
    return keyset_page(session, query, order=[JobRun.id], kinds=(int,), cursor=cursor, limit=limit,
                       filters={"o": principal.owner_id, "job": job, "status": status},
                       out=lambda r: JobRunOut.model_validate(r, from_attributes=True))


@router.get("/job-runs/failing", response_model=list[FailingJobOut])
def failing_jobs(principal: Principal = Depends(reader),
                 session: Session = Depends(get_session)) -> list[FailingJobOut]:
    """Jobs whose newest executions failed: how many in a row, since when, the last error."""
    owners = None if principal.owner_id is None else [principal.owner_id]
    return [FailingJobOut(job=f.job, target=f.target, owner_id=f.owner_id, failures=f.failures, since=f.since,
                          last_success=f.last_success, last_error=f.last_error) for f in failing(session, owners)]
