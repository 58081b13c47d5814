"""One owner's matching fanned out over the workers: a plan, one task per group of partitions, a finalizing
callback.

Under Celery with a result backend, the ``match-owners`` unit of an owner is two chords
(``celery_app``): ``begin`` opens the run; ``match_partition`` runs once per group of the plan's first
phase (shop and document partitions), on any worker; the first chord's callback sends the second
(``second_phase``: the warehouse partitions, which read what the shop partitions stored; their title
events are derived in their tasks), whose callback is ``finish``. ``batches`` groups a phase's
partitions into tasks of about ``match_task_lines`` lines (a task's fixed cost — transaction, the
owner's reference rows, the engine's setup — is paid per group, not per small partition; a partition
larger than that is a task of its own). The steps are the matching service's
(``matching_service.service``: ``plan_match``, ``match_partitions``, ``finalize_match``); the embedded
scheduler and a Celery deployment without a result backend run the same steps one after the other in
one process (``work.match_owner`` → ``run_match``).

One logical match per owner at a time: ``begin`` takes the owner's lease ``match:<owner>`` for the
*run* (holder ``match-run:<id>``, not a process: its tasks run anywhere), for
``match_run_lease_seconds`` between tasks; each task renews it at its start, keeps it alive with a
heartbeat while it works and commits only while the run still holds it (fencing: a partition task of
a run that was replaced rolls back, ``LeaseLost``). ``finish`` records the run as succeeded and frees
the lease. A task that gives up (a non-transient error, or transient ones past the job table's
retries) calls ``fail``: the run is recorded as failed, naming the task's partitions and the error, and the
lease is freed, so the run's other tasks commit nothing more and the next run starts at once; the
chord's callback then never runs.

A run lost before it finished (its chord gone with the broker, a message gone with its worker) stays
``running`` until its lease lapses; the ``reap-runs`` job then closes it as failed
(``reap_lost_runs``) and frees the expired lease, so a late task of it commits nothing.

A task message carries a ``ticket``: ids, the plan and the lease's name, holder and token, all JSON.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine

from aggregator.config import Settings
from aggregator.jobs.history import end_run, error_text, start_run
from aggregator.jobs.lease import Lease, LeaseHeld, acquire, holder_id
from aggregator.matching_service.scope import partition_sizes
from aggregator.matching_service.service import MatchPlan, finalize_match, match_partitions, plan_match
from aggregator.store.db import session_scope
from aggregator.store.retry import with_db_retry

log = logging.getLogger(__name__)

JOB = "match-owners"
RUN_HOLDER = "match-run:"  # a run's lease holder (and its job_runs.worker): this and the run's id


def plan_to_json(plan: MatchPlan) -> dict[str, Any]:
    """The plan as JSON values (datetimes as ISO 8601, tuples as lists)."""
    return {f.name: _jsonable(getattr(plan, f.name)) for f in fields(plan)}


def plan_from_json(data: dict[str, Any]) -> MatchPlan:
    """``plan_to_json`` read back; a field the message lacks is refused by name (a worker of another version)."""
    values = {}
    for f in fields(MatchPlan):
        if f.name not in data:
            raise ValueError(f"match plan message lacks {f.name!r} (a worker of another version sent it?)")
        value, kind = data[f.name], str(f.type)
        if "datetime" in kind and isinstance(value, str):
            value = datetime.fromisoformat(value)
        elif kind.startswith("tuple") and isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return MatchPlan(**values)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def _engine(settings: Settings) -> Engine:
    from aggregator.jobs.work import engine_for

    return engine_for(settings.effective_database_url)


def _lease(settings: Settings, ticket: dict[str, Any]) -> Lease:
    """The run's lease as this task holds it (same name, holder and token as when the run began)."""
    held = ticket["lease"]
    return Lease(_engine(settings), held["name"], held["holder"], int(held["token"]),
                 timedelta(seconds=float(held["ttl"])))


def begin(settings: Settings, owner_id: str, *, full: bool = False, attempt: int = 1) -> dict[str, Any]:
    """Open one owner's run: its ``job_runs`` row, the owner's match lease for the run, the plan.

    Raises ``LeaseHeld`` (the row says ``busy``) while another run or worker matches the owner."""
    engine = _engine(settings)
    holder = f"{RUN_HOLDER}{uuid.uuid4().hex}"
    run_id = start_run(engine, JOB, owner_id, owner_id, attempt, worker=holder)
    try:
        lease = acquire(engine, f"match:{owner_id}", holder, timedelta(seconds=settings.match_run_lease_seconds))
    except LeaseHeld as exc:
        end_run(engine, run_id, "busy", str(exc), None)
        raise
    ticket = {"owner_id": owner_id, "job_run": run_id,
              "lease": {"name": lease.name, "holder": lease.holder, "token": lease.token,
                        "ttl": lease.ttl.total_seconds()}}
    try:
        ticket["plan"] = plan_to_json(plan_match(engine, owner_id, full=full))
    except Exception as exc:
        fail(settings, ticket, "planning", exc)
        raise
    return ticket


def phases(ticket: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The plan's (first, second) phase: shop and document partitions, then warehouse partitions."""
    return plan_from_json(ticket["plan"]).phases


def match_partition(settings: Settings, ticket: dict[str, Any], partitions: list[str]) -> dict[str, Any]:
    """Match ``partitions`` of the ticket's plan and store them, only while the run holds its lease."""
    lease = _lease(settings, ticket)
    lease.renew()  # LeaseLost at once when the run was replaced while this task waited in the queue
    lease.start_heartbeat()
    try:
        outcome = match_partitions(lease.engine, plan_from_json(ticket["plan"]), partitions, fence=lease.check)
    finally:
        lease.stop_heartbeat()
    return {"partitions": list(partitions), "rematched": list(outcome.rematched), "also": sorted(outcome.also),
            "worker": holder_id()}


def batches(settings: Settings, ticket: dict[str, Any], partitions: list[str]) -> list[list[str]]:
    """``partitions`` of one phase grouped into tasks of about ``settings.match_task_lines`` lines each
    (``scope.partition_sizes``): as many tasks as the lines need, the partitions dealt largest first to the
    task holding the fewest lines so far (a partition larger than the budget is a task of its own). Each
    task's fixed cost is paid once per group, not once per partition. The sizes are a read of their own: a
    transient database error is retried for ``settings.db_retry_seconds`` (``store.retry``)."""
    if len(partitions) <= 1:
        return [list(partitions)] if partitions else []
    engine = _engine(settings)

    def read() -> dict[str, int]:
        with session_scope(engine) as session:
            return partition_sizes(session, ticket["owner_id"], partitions)

    sizes = with_db_retry(read, settings.db_retry_seconds, f"sizing the partitions of {ticket['owner_id']}")
    return group_by_size(sizes, settings.match_task_lines)


def group_by_size(sizes: dict[str, int], budget: int) -> list[list[str]]:
    """Names grouped into ``ceil(total / budget)`` groups (at least one, at most one per name), largest first
    to the lightest group; each group sorted, the groups in order of their first name."""
    total = sum(sizes.values())
    count = max(1, min(len(sizes), -(-total // max(1, budget))))
    loads, groups = [0] * count, [[] for _ in range(count)]
    for name in sorted(sizes, key=lambda n: (-sizes[n], n)):
        lightest = min(range(count), key=lambda i: (loads[i], i))
        loads[lightest] += sizes[name]
        groups[lightest].append(name)
    return sorted((sorted(g) for g in groups if g), key=lambda g: g[0])


def second_phase(ticket: dict[str, Any], first: list[dict[str, Any]]) -> list[str]:
    """The warehouse partitions to match once the first phase is stored: the plan's, and those a changed
    product name of the first phase concerns."""
    also = {p for outcome in first for p in outcome.get("also", ())}
    return sorted(set(phases(ticket)[1]) | also)


def finish(settings: Settings, ticket: dict[str, Any], outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """The chord's callback: title ledger, lot values and events of the run (fenced), the run recorded as
    succeeded, the lease freed."""
    lease = _lease(settings, ticket)
    lease.renew()
    lease.start_heartbeat()
    try:
        summary = finalize_match(lease.engine, plan_from_json(ticket["plan"]), fence=lease.check,
                                 rematched=sum(len(o.get("rematched", ())) for o in outcomes))
    finally:
        lease.stop_heartbeat()
    result = {"owner_id": ticket["owner_id"], "partitions": sum(len(o.get("partitions", ())) for o in outcomes),
              "tasks": len(outcomes),
              "workers": sorted({o.get("worker", "") for o in outcomes}),
              "links": summary.links, "exceptions": summary.exceptions, "rematched": summary.rematched,
              "title_events_added": summary.title_events_added,
              "title_events_retracted": summary.title_events_retracted, "fanned_out": True}
    end_run(lease.engine, ticket.get("job_run"), "succeeded", None, result)
    lease.release()
    log.info("match %s: %s (%d partition task(s))", ticket["owner_id"], summary.describe(), len(outcomes))
    return result


def fail(settings: Settings, ticket: dict[str, Any], step: str, exc: BaseException) -> None:
    """A step of the run gave up: the run is recorded as failed (which step, what error) and its lease
    freed if the run still holds it (a run replaced meanwhile leaves its successor's lease alone)."""
    lease = _lease(settings, ticket)
    end_run(lease.engine, ticket.get("job_run"), "failed", f"{step}: {error_text(exc)}"[:2000], None)
    lease.release()
    log.warning("match %s failed at %s: %s", ticket["owner_id"], step, error_text(exc))


def reap_lost_runs(engine: Engine) -> list[int]:
    """Close as failed the fanned-out runs still ``running`` whose lease is gone (expired, taken by a newer
    run or freed): a task or the chord was lost with its broker, or its worker with the message. Returns
    the ``job_runs`` ids closed."""
    from sqlalchemy import select, update

    from aggregator.store.db import session_scope
    from aggregator.store.models.jobs import JobLease, JobRun

    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        runs = session.execute(select(JobRun.id, JobRun.target, JobRun.worker).where(
            JobRun.job == JOB, JobRun.status == "running", JobRun.worker.like(f"{RUN_HOLDER}%"))).all()
        leases = {name: (holder, expires) for name, holder, expires in session.execute(
            select(JobLease.name, JobLease.holder, JobLease.expires_at).where(
                JobLease.name.in_({f"match:{r.target}" for r in runs})))} if runs else {}
    closed = []
    for run_id, target, holder in runs:
        held_by, expires = leases.get(f"match:{target}", (None, None))
        if held_by == holder and expires is not None and expires >= now:
            continue
        if held_by == holder:  # expired: freed, so that a late task of the run commits nothing either
            with session_scope(engine) as session:
                session.execute(update(JobLease).where(JobLease.name == f"match:{target}", JobLease.holder == holder,
                                                       JobLease.expires_at < now).values(holder=None, expires_at=None))
        why = ("its lease expired" if held_by == holder else
               f"its lease passed to {held_by}" if held_by else "its lease was freed")
        end_run(engine, run_id, "failed", f"abandoned: {why} before the run finished (a task or the chord "
                                          f"was lost); the next run matches the owner again", None)
        closed.append(run_id)
    return closed
