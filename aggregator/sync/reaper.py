"""The reaper: close sync runs whose worker died as ``abandoned``, with the reason.

A run is alive while its lease (``sync:<shop_pk>:<stream>`` in ``job_leases``) still carries the
run's fencing token and holder, is unexpired, and its holder is not known to be dead. Any other
``running`` run is closed: status ``abandoned``, ``finished_at`` now, ``error`` saying what happened
(lease expired at …, worker process gone, lease taken by a newer run), and a ``run.finished`` event.
A dead holder's lease is freed at the same time so the next sync starts at once. The cursor is not
touched: it only ever moved with committed data, so the next run continues where the dead one's last
committed window ended.

Run by the scheduler (the ``reap-runs`` job), at the start of ``aggregator sync``, and by every sync
run for its own shop-stream when it takes the lease.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from aggregator.events.emitters import run_finished
from aggregator.jobs.lease import holder_gone
from aggregator.store.db import session_scope
from aggregator.store.models.jobs import JobLease
from aggregator.store.models.sync import SyncRun


def sync_lease_name(shop_pk: int, stream: str) -> str:
    """The lease one (shop, stream) sync holds."""
    return f"sync:{shop_pk}:{stream}"


@dataclass(frozen=True, slots=True)
class Abandoned:
    run_id: int
    shop_pk: int
    stream: str
    reason: str

    def line(self) -> str:
        return f"run #{self.run_id} (shop #{self.shop_pk} {self.stream}) closed as {self.reason}"


def _why_dead(run: SyncRun, lease: JobLease | None, now: datetime) -> str | None:
    """Why ``run`` is no longer going, or None while its lease is alive."""
    worker = run.worker or "an earlier version's worker"
    if lease is None or run.lease_token is None or lease.token != run.lease_token:
        taken = f" (now token {lease.token}, {lease.holder or 'free'})" if lease is not None else ""
        return f"its lease passed to a newer run{taken}; worker {worker} stopped without closing it"
    if lease.holder is None or lease.holder != run.worker:
        return f"its lease was released while the run was open; worker {worker} stopped without closing it"
    if lease.expires_at is None or lease.expires_at < now:
        expired = lease.expires_at.isoformat(timespec="seconds") if lease.expires_at else "unknown"
        return f"its lease expired at {expired}; worker {worker} stopped renewing it"
    if holder_gone(lease.holder):
        return f"worker process {lease.holder} is gone (killed or crashed mid-run)"
    return None


def reap_in(session: Session, *, shop_pk: int | None = None, stream: str | None = None,
            now: datetime | None = None) -> list[Abandoned]:
    """Close the dead ``running`` runs (all, or one shop-stream's) inside ``session``'s transaction."""
    now = now or datetime.now(timezone.utc)
    query = select(SyncRun).where(SyncRun.status == "running")
    if shop_pk is not None:
        query = query.where(SyncRun.shop_pk == shop_pk)
    if stream is not None:
        query = query.where(SyncRun.stream == stream)
    runs = list(session.scalars(query.order_by(SyncRun.id)))
    if not runs:
        return []
    names = {sync_lease_name(r.shop_pk, r.stream) for r in runs}
    leases = {lease.name: lease for lease in session.scalars(select(JobLease).where(JobLease.name.in_(names)))}
    closed = []
    for run in runs:
        lease = leases.get(sync_lease_name(run.shop_pk, run.stream))
        reason = _why_dead(run, lease, now)
        if reason is None:
            continue
        done = session.execute(update(SyncRun).where(SyncRun.id == run.id, SyncRun.status == "running")
                               .values(status="abandoned", error=f"abandoned: {reason}", finished_at=now,
                                       cursor_after=run.cursor_after or run.cursor_before)
                               .execution_options(synchronize_session=False)).rowcount
        if not done:
            continue
        if lease is not None and lease.token == run.lease_token and lease.holder == run.worker:
            session.execute(update(JobLease).where(JobLease.name == lease.name, JobLease.token == lease.token,
                                                   JobLease.holder == lease.holder)
                            .values(holder=None, expires_at=None))
        session.refresh(run)
        run_finished(session, run)
        closed.append(Abandoned(run.id, run.shop_pk, run.stream, f"abandoned: {reason}"))
    return closed


def reap_abandoned_runs(engine: Engine, *, now: datetime | None = None) -> list[Abandoned]:
    """Close every dead ``running`` run in a transaction of its own; returns what was closed."""
    with session_scope(engine) as session:
        return reap_in(session, now=now)
