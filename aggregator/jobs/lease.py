"""Leases that follow the process: a job runs on one worker at a time, and a dead worker's lease goes.

A lease is a row of ``job_leases`` named after the job (``sync:<shop_pk>:<stream>``,
``match:<owner>``, ``book:<owner>``). Taking it:

* is refused (``LeaseHeld``) while another holder's lease is unexpired and that holder may be alive;
* succeeds at once when the holder is a process of this host that no longer exists (``kill -9``,
  OOM), so an immediate re-run is never locked out; a holder on another host is trusted until its
  lease expires — the time-to-live is short (``DEFAULT_TTL``, 30 s) because a heartbeat thread renews
  it every third of it while the work goes on;
* bumps the **fencing token**. Every commit of the holder's work calls ``Lease.check(session)`` in
  its own transaction: it renews the lease only if the row still carries this holder and token, so a
  worker that stalled past its lease and was replaced rolls back instead of writing beside (or
  behind) the new holder.

The holder id is ``host:pid:start`` (``start`` the process's start time from ``/proc`` where there
is one), so a reused pid is not mistaken for the old process.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.orm import Session

from aggregator.store.db import session_scope
from aggregator.store.models.jobs import JobLease
from aggregator.store.retry import DEFAULT_RETRY_SECONDS, with_db_retry
from aggregator.store.upsert import insert_for

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(seconds=30)


class LeaseHeld(RuntimeError):
    """Another worker holds the lease (retry later)."""


class LeaseLost(RuntimeError):
    """This worker's lease was taken over (it stalled past its time-to-live); its work must stop."""


def _start_ticks(pid: int) -> str:
    """The process's start time in clock ticks since boot ('' where /proc is not available)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return ""
    return fields[19] if len(fields) > 19 else ""


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def holder_id() -> str:
    """This process as a lease holder: ``host:pid:start`` (computed per call: forked workers differ)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def holder_gone(holder: str) -> bool:
    """True only when ``holder`` is known to be dead: a process of this host that no longer runs (or a
    zombie, or a new process that reused its pid). Holders on other hosts, or ids of another shape, are
    never declared dead here; their leases end by expiry."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid, start = int(parts[1]), parts[2]
    if pid == os.getpid():
        return start != _start_ticks(pid) if start else False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    if _state(pid) in ("Z", "X"):
        return True
    return bool(start) and _start_ticks(pid) not in ("", start)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def take(session: Session, name: str, holder: str, ttl: timedelta = DEFAULT_TTL) -> int:
    """Take lease ``name`` for ``holder`` inside ``session``'s transaction; returns the new fencing token.

    Raises ``LeaseHeld`` (saying who holds it until when) when a live holder has it. A lease that is
    free (new, released or expired) is taken by one statement (an insert that, on the existing row,
    updates it only while it is free); a held one is looked at as below."""
    now = _now()
    table = JobLease.__table__
    free = or_(table.c.holder.is_(None), table.c.expires_at.is_(None), table.c.expires_at < now)
    token = session.execute(
        insert_for(session, table).values(name=name, token=1, holder=holder, acquired_at=now, expires_at=now + ttl)
        .on_conflict_do_update(index_elements=["name"], where=free, set_={
            "holder": holder, "token": func.coalesce(table.c.token, 0) + 1, "acquired_at": now,
            "expires_at": now + ttl})
        .returning(table.c.token)).scalar()
    if token is not None:
        return token
    session.execute(insert_for(session, JobLease.__table__).values(name=name, token=0)
                    .on_conflict_do_nothing(index_elements=["name"]))
    row = session.execute(select(JobLease.holder, JobLease.token, JobLease.expires_at)
                          .where(JobLease.name == name)).one()
    if row.holder is not None and row.expires_at is not None and row.expires_at >= now \
            and not holder_gone(row.holder):
        raise LeaseHeld(f"{name} is running on another worker ({row.holder}, lease until "
                        f"{row.expires_at.isoformat(timespec='seconds')})")
    token = (row.token or 0) + 1
    taken = session.execute(update(JobLease).where(JobLease.name == name, JobLease.token == row.token)
                            .values(holder=holder, token=token, acquired_at=now, expires_at=now + ttl)).rowcount
    if not taken:  # another worker took it between our read and our write
        raise LeaseHeld(f"{name} was just taken by another worker")
    return token


@dataclass(eq=False)
class Lease:
    """A lease this process holds: renew it (``check``) with every commit, keep it alive with the
    heartbeat while work goes on between commits, ``release`` it at the end."""

    engine: Engine
    name: str
    holder: str
    token: int
    ttl: timedelta = DEFAULT_TTL
    lost: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def check(self, session: Session) -> None:
        """Fencing, inside the caller's transaction: renew the lease only if it is still ours (same
        holder, same token), else raise ``LeaseLost`` so the caller's transaction rolls back."""
        renewed = session.execute(
            update(JobLease).where(JobLease.name == self.name, JobLease.token == self.token,
                                   JobLease.holder == self.holder)
            .values(expires_at=_now() + self.ttl)).rowcount
        if not renewed:
            self.lost = f"lost the lease {self.name} (token {self.token}) to another worker"
            raise LeaseLost(self.lost)

    def renew(self) -> None:
        with session_scope(self.engine) as session:
            self.check(session)

    def start_heartbeat(self, interval: float | None = None) -> None:
        """Renew the lease every ``interval`` seconds (a third of the time-to-live) on a daemon thread."""
        every = interval if interval is not None else max(0.05, self.ttl.total_seconds() / 3)
        self._thread = threading.Thread(target=self._beat, args=(every,), daemon=True,
                                        name=f"lease-heartbeat:{self.name}")
        self._thread.start()

    def _beat(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                self.renew()
            except LeaseLost as exc:
                log.warning("%s; the work stops at its next commit", exc)
                return
            except Exception as exc:  # the database is away: keep trying; the lease may lapse meanwhile
                log.warning("lease %s heartbeat failed (%s: %s); retrying", self.name, type(exc).__name__, exc)

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def release_in(self, session: Session) -> None:
        """Free the lease inside ``session`` (only if it is still ours: a newer holder keeps it)."""
        session.execute(update(JobLease).where(JobLease.name == self.name, JobLease.token == self.token,
                                               JobLease.holder == self.holder)
                        .values(holder=None, expires_at=None))

    def release(self, retry_seconds: float = DEFAULT_RETRY_SECONDS) -> None:
        """Stop the heartbeat and free the lease; when the database stays away the lease simply expires."""
        self.stop_heartbeat()

        def release() -> None:
            with session_scope(self.engine) as session:
                self.release_in(session)

        try:
            with_db_retry(release, retry_seconds, f"releasing lease {self.name}")
        except Exception as exc:
            log.warning("could not release lease %s (%s: %s); it expires within %s", self.name,
                        type(exc).__name__, exc, self.ttl)


def acquire(engine: Engine, name: str, holder: str | None = None, ttl: timedelta = DEFAULT_TTL) -> Lease:
    """Take lease ``name`` in a transaction of its own (``LeaseHeld`` when a live holder has it)."""
    who = holder or holder_id()
    with session_scope(engine) as session:
        token = take(session, name, who, ttl)
    return Lease(engine, name, who, token, ttl)


@contextmanager
def job_lease(engine: Engine, name: str, holder: str | None = None, ttl: timedelta = DEFAULT_TTL,
              *, heartbeat: bool = True) -> Iterator[Lease]:
    """Hold lease ``name`` for the ``with`` block, renewed by a heartbeat, released at the end."""
    lease = acquire(engine, name, holder, ttl)
    if heartbeat:
        lease.start_heartbeat()
    try:
        yield lease
    finally:
        lease.release()
