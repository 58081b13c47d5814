"""The sync framework: one run of one (shop, stream).

Flow (OCA's importer vocabulary): close the shop-stream's dead runs, take its lease → record a run → for each bounded
window: pull → map (done by the puller) → write in batches (a batch writer when given, else each
record in its own SAVEPOINT; a bad record is parked in the exceptions queue, the window goes on) →
the window's last batch commits together with the cursor and the run's counts. Given a ``PushGuard``
(the orders stream), an order pushed while its window was read is left to the push's re-read
(``sync.push_deferral``). A failure before that
commit leaves the cursor where it was; re-running is idempotent because every write is an upsert by
natural key. No transaction is open while the puller talks to the source, so a token refresh (or
any other writer) never waits on the sync, even on SQLite's single writer.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from platform_adapters.canonical import MappingResult, OrderStatus, Severity
from platform_adapters.tabular.control import NUL_RE, find_control, holds, visible
from aggregator.logging_setup import redact_text
from aggregator.events.emitters import run_finished
from aggregator.jobs.lease import DEFAULT_TTL, Lease, LeaseHeld, LeaseLost, holder_id, take
from aggregator.store.db import session_scope
from aggregator.store.gc_pause import gc_paused
from aggregator.exceptions_queue.writes import park
from aggregator.store.models.sync import SyncCursor, SyncRun
from aggregator.store.models.tenancy import ShopRow
from aggregator.store.retry import DEFAULT_RETRY_SECONDS, with_db_retry
from aggregator.store.upsert import UpsertResult, insert_for
from aggregator.store.widths import too_long
from aggregator.sync.reaper import reap_in, sync_lease_name

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Pulled:
    """One record as pulled from a source: the raw payload, its mapping, and a key for parking."""

    raw: Any
    result: MappingResult[Any]
    record_key: str


class StreamPuller(Protocol):
    """What an adapter offers the framework for one (shop, stream)."""

    max_window: timedelta

    def pull(self, window: Window) -> Iterator[Pulled]: ...

    def request_ids(self) -> list[str]: ...


class PushGuard(Protocol):
    """What ``write_batch`` asks about pushes that came while a window was read (``sync.push_deferral``)."""

    def newest_event(self, engine: Engine) -> int: ...

    def pushed_since(self, session: Session, shop: ShopRow, seen: int, order_ids: Iterable[str]) -> set[str]: ...

    def request_rereads(self, session: Session, shop: ShopRow, order_ids: Iterable[str], run_id: int) -> list[str]: ...


RecordWriter = Callable[[Session, Any, str], UpsertResult]
BatchWriter = Callable[[Session, list[Any], str], list[UpsertResult]]


class SyncBusy(LeaseHeld):
    """Another worker holds the lease on this (shop, stream)."""


@dataclass
class SyncSummary:
    run_id: int
    platform: str
    shop_id: str
    stream: str
    status: str = "running"
    windows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    failed: int = 0
    unknown_status: int = 0
    #: Orders left to a push's re-read (pushed while their page was read), and re-reads requested for them.
    deferred: int = 0
    rereads_requested: int = 0
    cursor_before: datetime | None = None
    cursor_after: datetime | None = None
    error: str | None = None
    request_ids: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.platform}:{self.shop_id} {self.stream}: {self.status} — created {self.created}, "
                f"updated {self.updated}, unchanged {self.unchanged}, stale {self.stale}, "
                f"failed {self.failed}, unknown status {self.unknown_status}"
                + (f", deferred to a push's re-read {self.deferred}" if self.deferred else ""))


def split_windows(start: datetime, end: datetime, max_window: timedelta) -> list[Window]:
    """Cut [start, end) into consecutive windows no longer than ``max_window``."""
    if max_window <= timedelta(0):
        raise ValueError("max_window must be positive")
    windows, cursor = [], start
    while cursor < end:
        nxt = min(cursor + max_window, end)
        windows.append(Window(cursor, nxt))
        cursor = nxt
    return windows


def default_worker_id() -> str:
    """This process as a lease holder (``host:pid:start``)."""
    return holder_id()


class RunNotClosed(RuntimeError):
    """The run's work is over but the database stayed away while closing it; the reaper closes it
    (``abandoned``) once its lease expires. ``summary`` is what the run did."""

    def __init__(self, summary: SyncSummary, cause: BaseException) -> None:
        super().__init__(f"run #{summary.run_id} ({summary.platform}:{summary.shop_id} {summary.stream}) could not "
                         f"be closed: database unavailable ({type(cause).__name__}); the reaper closes it once its "
                         f"lease expires")
        self.summary = summary


def _start_run(session: Session, shop_pk: int, stream: str, worker: str, mode: str, now: datetime,
               ttl: timedelta) -> tuple[SyncRun, int]:
    """Close this shop-stream's dead runs, take its lease, make sure the cursor row exists, open the run."""
    reap_in(session, shop_pk=shop_pk, stream=stream)
    try:
        token = take(session, sync_lease_name(shop_pk, stream), worker, ttl)
    except LeaseHeld as exc:
        raise SyncBusy(f"shop #{shop_pk} stream {stream} is being synced by another worker ({exc})") from None
    session.execute(insert_for(session, SyncCursor.__table__)
                    .values(shop_pk=shop_pk, stream=stream, updated_at=now)
                    .on_conflict_do_nothing(index_elements=["shop_pk", "stream"]))
    cursor = session.scalars(select(SyncCursor).where(SyncCursor.shop_pk == shop_pk,
                                                      SyncCursor.stream == stream)).one()
    run = SyncRun(shop_pk=shop_pk, stream=stream, mode=mode, status="running", started_at=now,
                  cursor_before=cursor.position, worker=worker, lease_token=token)
    session.add(run)
    session.flush()
    return run, token


def run_sync(
    engine: Engine,
    shop: ShopRow,
    stream: str,
    puller: StreamPuller,
    writer: RecordWriter,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
    lag: timedelta = timedelta(seconds=60),
    initial_lookback: timedelta = timedelta(days=30),
    lease: timedelta = DEFAULT_TTL,
    worker_id: str | None = None,
    db_retry_seconds: float = DEFAULT_RETRY_SECONDS,
    on_record: Callable[[], None] | None = None,
    batch_writer: BatchWriter | None = None,
    batch_size: int = 500,
    pushes: PushGuard | None = None,
) -> SyncSummary:
    """Run one sync of ``stream`` for ``shop``; returns the run's summary (also stored as a row).

    ``batch_writer`` (optional) writes ``batch_size`` records in one go; when it fails, the batch is
    written again record by record so that only the culprit is parked. ``pushes``: orders pushed while
    their window was read are not written from it (``sync.push_deferral``).
    """
    now = now or datetime.now(timezone.utc)
    worker = worker_id or default_worker_id()
    mode = "backfill" if since is not None else "incremental"

    def start() -> tuple[SyncRun, int]:
        with session_scope(engine) as session:
            return _start_run(session, shop.id, stream, worker, mode, now, lease)

    run, token = with_db_retry(start, db_retry_seconds, f"starting {shop.platform}:{shop.shop_id} {stream}")
    held = Lease(engine, sync_lease_name(shop.id, stream), worker, token, lease)
    held.start_heartbeat()
    summary = SyncSummary(run.id, shop.platform, shop.shop_id, stream, cursor_before=run.cursor_before)
    start_at = since or summary.cursor_before or (now - initial_lookback)
    end = until or (now - lag)
    position = summary.cursor_before
    try:
        for window in split_windows(start_at, end, puller.max_window):
            position = _sync_window(engine, shop, stream, puller, writer, batch_writer, batch_size, window,
                                    summary, position, on_record, held, db_retry_seconds, pushes)
        summary.status = "partial" if summary.failed else "succeeded"
    except Exception as exc:  # the window's transaction rolled back; the cursor stays put
        summary.status, summary.error = "failed", redact_text(f"{type(exc).__name__}: {exc}")
        log.warning("sync %s:%s %s failed: %s", shop.platform, shop.shop_id, stream, summary.error)
    finally:
        held.stop_heartbeat()
        summary.request_ids = list(puller.request_ids())[-200:]
        try:
            with_db_retry(lambda: _finish(engine, held, summary), db_retry_seconds,
                          f"closing run #{summary.run_id}")
        except Exception as exc:  # the database stayed away: the lease lapses, the reaper closes the run
            log.error("sync %s:%s %s: run #%s not closed: %s: %s", shop.platform, shop.shop_id, stream,
                      summary.run_id, type(exc).__name__, exc)
            raise RunNotClosed(summary, exc) from exc
    return summary


def _sync_window(engine: Engine, shop: ShopRow, stream: str, puller: StreamPuller, writer: RecordWriter,
                 batch_writer: BatchWriter | None, batch_size: int, window: Window, summary: SyncSummary,
                 position: datetime | None, on_record: Callable[[], None] | None, lease: Lease,
                 db_retry_seconds: float, pushes: PushGuard | None = None) -> datetime | None:
    """Write the window in batches; the last batch commits with the cursor. No transaction is open
    while the puller is fetching (the generator is suspended during each write). The cyclic garbage
    collector waits while a batch is written (``gc_paused``: tens of thousands of short-lived objects,
    none in cycles, which it would otherwise walk again and again with everything else the process
    holds) and while each record is mapped (the pullers: ``sync.marketplace``), never while the puller
    waits on the platform: with many shops syncing at once in one process (``sync.pool``), a pause
    held across their HTTP calls left the collector off most of the time. ``pushes``: the newest webhook
    event stored is taken before the window's first page is read (``sync.push_deferral``)."""
    seen = pushes.newest_event(engine) if pushes is not None else None
    pulled_records = iter(puller.pull(window))
    size = max(batch_size, 1)
    new_position = window.end if position is None else max(position, window.end)
    while True:
        batch: list[Pulled] = []
        for pulled in pulled_records:
            if on_record:
                on_record()
            batch.append(pulled)
            if len(batch) >= size:
                break
        last = len(batch) < size  # the window is exhausted: this batch commits with the cursor
        with gc_paused():
            _commit_with_retry(engine, shop, stream, writer, batch_writer, batch, summary, lease,
                               new_position if last else None, db_retry_seconds, (pushes, seen))
        if last:
            return new_position


def _commit_with_retry(engine: Engine, shop: ShopRow, stream: str, writer: RecordWriter,
                       batch_writer: BatchWriter | None, batch: list[Pulled], summary: SyncSummary, lease: Lease,
                       cursor: datetime | None, db_retry_seconds: float,
                       guard: tuple[PushGuard | None, int | None] = (None, None)) -> None:
    """Commit one batch, again while the database is briefly away (a killed connection, a restart):
    the batch is in memory and its transaction rolled back whole, so writing it again is safe."""
    with_db_retry(lambda: _commit_batch(engine, shop, stream, writer, batch_writer, batch, summary, lease, cursor,
                                        guard),
                  db_retry_seconds, f"writing {shop.platform}:{shop.shop_id} {stream}")


def _commit_batch(engine: Engine, shop: ShopRow, stream: str, writer: RecordWriter,
                  batch_writer: BatchWriter | None, batch: list[Pulled], summary: SyncSummary, lease: Lease,
                  cursor: datetime | None, guard: tuple[PushGuard | None, int | None] = (None, None)) -> None:
    counts = dict.fromkeys(("created", "updated", "unchanged", "stale", "failed", "unknown_status"), 0)
    pushed = {"deferred": 0, "rereads_requested": 0}  # in the summary and the log; deferred also on the run
    with session_scope(engine) as session:
        # Fencing: renew the lease with every commit; a worker whose lease lapsed and was taken over stops
        # here (the batch rolls back) instead of writing beside the new holder or moving its cursor back.
        try:
            lease.check(session)
        except LeaseLost as exc:
            raise SyncBusy(f"{shop.platform}:{shop.shop_id} {stream}: {exc}") from None
        write_batch(session, shop, f"{shop.platform}:{stream}", writer, batch_writer, batch, summary.run_id, counts,
                    pushes=guard[0], seen=guard[1], pushed=pushed)
        run = session.get(SyncRun, summary.run_id)
        for name, value in (*counts.items(), ("deferred", pushed["deferred"])):
            setattr(run, name, getattr(run, name) + value)
        if cursor is not None:
            session.execute(update(SyncCursor).where(SyncCursor.shop_pk == shop.id, SyncCursor.stream == stream)
                            .values(position=cursor))
            run.windows += 1
            run.cursor_after = cursor
    # committed: only now does the summary reflect it
    for name, value in (*counts.items(), *pushed.items()):
        setattr(summary, name, getattr(summary, name) + value)
    if cursor is not None:
        summary.windows += 1
        summary.cursor_after = cursor


def unwritable(result: MappingResult[Any]) -> tuple[str, str] | None:
    """Why ``write_batch`` parks a mapped record instead of writing it, as (kind, reason), or None: not
    mapped or mapped with an error, a NUL character (no column can hold it), a value longer than its
    column holds (``store.widths``; PostgreSQL would refuse it, SQLite keep it whole: parked on both,
    nothing cut short). The push re-read's planned write asks the same (``push_reread.plan``)."""
    errors = [p for p in result.problems if p.severity is Severity.ERROR]
    if result.record is None or errors:
        return "mapping_error", visible("; ".join(p.describe() for p in errors) or "record could not be mapped")
    damaged = find_control(result.record, "record", NUL_RE) if holds(result.record, "\x00") else None
    if damaged is not None:
        return ("control_character",
                f"{damaged[0]} holds a NUL character (U+0000), which cannot be stored; the record is parked")
    oversized = too_long(result.record)
    if oversized:
        return "too_long", visible("; ".join(oversized)[:900] + "; no marketplace value is that long, the record is parked")
    return None


class _PushedMeanwhile(Exception):
    """Orders a batch updated that a push committed to between ``write_batch``'s first look and its write."""

    def __init__(self, order_ids: set[str]) -> None:
        super().__init__(f"{len(order_ids)} orders pushed meanwhile")
        self.order_ids = order_ids


def write_batch(session: Session, shop: ShopRow, source: str, writer: RecordWriter,
                batch_writer: BatchWriter | None, batch: list[Pulled], run_id: int | None,
                counts: dict[str, int], outcomes: dict[str, str] | None = None, *,
                pushes: PushGuard | None = None, seen: int | None = None,
                pushed: dict[str, int] | None = None) -> None:
    """Store pulled records in ``session``: unmappable ones parked (and those with a NUL character or a
    value longer than its column holds, ``store.widths``, the same on SQLite and PostgreSQL), the rest
    written (in one go when a
    batch writer is given, else, or when that fails, one SAVEPOINT each so only a culprit is parked);
    outcomes are added to ``counts`` (created, updated, unchanged, stale, failed, unknown_status) and,
    when ``outcomes`` is given, recorded there per record key (the webhook re-read reports each order).
    ``pushes``: an order with an order push stored after event ``seen`` is not written (outcome
    ``deferred``, counted in ``pushed`` with the re-reads requested for it; ``sync.push_deferral``)."""
    outcomes = {} if outcomes is None else outcomes
    usable: list[Pulled] = []
    for pulled in batch:
        result = pulled.result
        refused = unwritable(result)
        if refused is not None:
            park(session, owner_id=shop.owner_id, source=source, kind=refused[0], reason=refused[1],
                 raw_payload=pulled.raw, record_key=visible(f"{shop.shop_id}:{pulled.record_key}"), run_id=run_id)
            counts["failed"] += 1
            outcomes[pulled.record_key] = "failed"
            continue
        if getattr(getattr(result.record, "status", None), "value", None) == OrderStatus.UNKNOWN.value:
            counts["unknown_status"] += 1
        usable.append(pulled)
    guard = None
    if pushes is not None and usable:
        guard = _Guard(session, shop, pushes, seen or 0, run_id, source, outcomes,
                       pushed if pushed is not None else {"deferred": 0, "rereads_requested": 0})
        usable = guard.leave(usable, pushes.pushed_since(session, shop, guard.seen, (p.record_key for p in usable)))
    while batch_writer is not None and usable:
        try:
            with session.begin_nested():
                written = batch_writer(session, [p.result.record for p in usable], shop.owner_id)
                if guard is not None:
                    guard.check(usable, written)
        except _PushedMeanwhile as exc:  # rolled back: written again without them
            usable = guard.leave(usable, exc.order_ids)
            continue
        except Exception as exc:  # find the culprit record by record below
            log.info("batch write of %d %s records failed (%s); retrying one by one", len(usable), source, exc)
            break
        for pulled, result in zip(usable, written):
            counts[result.outcome.value] += 1
            outcomes[pulled.record_key] = result.outcome.value
        return
    for pulled in usable:
        try:
            with session.begin_nested():
                outcome = writer(session, pulled.result.record, shop.owner_id)
                if guard is not None:
                    guard.check([pulled], [outcome])
        except _PushedMeanwhile as exc:
            guard.leave([pulled], exc.order_ids)
            continue
        except Exception as exc:  # one bad record never stops the batch
            park(session, owner_id=shop.owner_id, source=source, kind="store_error",
                 reason=visible(redact_text(f"{type(exc).__name__}: {exc}")), raw_payload=pulled.raw,
                 record_key=visible(f"{shop.shop_id}:{pulled.record_key}"), run_id=run_id)
            counts["failed"] += 1
            outcomes[pulled.record_key] = "failed"
            continue
        counts[outcome.outcome.value] += 1
        outcomes[pulled.record_key] = outcome.outcome.value


@dataclass
class _Guard:
    """``write_batch``'s orders pushed while their window was read: left out and told (``sync.push_deferral``)."""

    session: Session
    shop: ShopRow
    pushes: PushGuard
    seen: int
    run_id: int | None
    source: str
    outcomes: dict[str, str]
    pushed: dict[str, int]

    def leave(self, usable: list[Pulled], order_ids: set[str]) -> list[Pulled]:
        """``usable`` without ``order_ids`` (deferred); a re-read requested for those no push waits for."""
        if not order_ids:
            return usable
        left = [p.record_key for p in usable if p.record_key in order_ids]
        requested = self.pushes.request_rereads(self.session, self.shop, left, self.run_id or 0)
        for key in left:
            self.outcomes[key] = "deferred"
        self.pushed["deferred"] += len(left)
        self.pushed["rereads_requested"] += len(requested)
        log.info("%s:%s: %d orders pushed while their page was read left to the push's re-read (%s)%s",
                 self.source, self.shop.shop_id, len(left), ", ".join(left[:20]) + ("…" if len(left) > 20 else ""),
                 f"; re-read requested for {len(requested)}" if requested else "")
        return [p for p in usable if p.record_key not in order_ids]

    def check(self, usable: list[Pulled], written: list[UpsertResult]) -> None:
        """PostgreSQL: raise ``_PushedMeanwhile`` when a push committed to an order this write updated
        after the first look (looked at after the write: a later push waits for the order's row lock).
        SQLite's write transaction excludes any push from its start: nothing to look at."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        updated = [p.record_key for p, r in zip(usable, written) if r.outcome.value == "updated"]
        late = self.pushes.pushed_since(self.session, self.shop, self.seen, updated) if updated else set()
        if late:
            raise _PushedMeanwhile(late)


def _finish(engine: Engine, lease: Lease, summary: SyncSummary) -> None:
    """Close the run (status, error, request ids, ``run.finished``) and free its lease, in one transaction."""
    with session_scope(engine) as session:
        run = session.get(SyncRun, summary.run_id)
        if run.status != "running":  # the reaper closed it meanwhile (our lease had lapsed): say what we did
            summary.error = (summary.error + "; " if summary.error else "") + f"run was closed as {run.status}"
        run.status, run.error = summary.status, summary.error
        run.finished_at = datetime.now(timezone.utc)
        run.request_ids = summary.request_ids
        if summary.cursor_after is None:
            run.cursor_after = summary.cursor_before
            summary.cursor_after = summary.cursor_before
        run_finished(session, run)
        lease.release_in(session)
