"""Named leases in the database: a job runs on one worker at a time, and a dead worker's lease expires."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, or_, update

from aggregator.store.db import session_scope
from aggregator.store.models.jobs import JobLease
from aggregator.store.upsert import insert_for


class LeaseHeld(RuntimeError):
    """Another worker holds the lease (retry later)."""


@contextmanager
def job_lease(engine: Engine, name: str, holder: str, ttl: timedelta = timedelta(minutes=30)) -> Iterator[None]:
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        session.execute(insert_for(session, JobLease.__table__).values(name=name)
                        .on_conflict_do_nothing(index_elements=["name"]))
        taken = session.execute(
            update(JobLease).where(JobLease.name == name)
            .where(or_(JobLease.holder.is_(None), JobLease.holder == holder, JobLease.expires_at < now))
            .values(holder=holder, expires_at=now + ttl)).rowcount
    if not taken:
        raise LeaseHeld(f"{name} is running on another worker")
    try:
        yield
    finally:
        with session_scope(engine) as session:
            session.execute(update(JobLease).where(JobLease.name == name, JobLease.holder == holder)
                            .values(holder=None, expires_at=None))
