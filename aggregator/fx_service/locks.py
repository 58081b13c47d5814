"""Rate locks in the database: create, read, list, cancel and utilise without ever over-drawing.

``utilise_lock`` takes the lock row with ``SELECT … FOR UPDATE`` (PostgreSQL; SQLite has one
writer at a time), rebuilds the pure ``fx.locks.RateLock`` with its utilisations, lets the pure
rules decide, then writes the utilisation and bumps ``used_amount`` under a version check
(``UPDATE … WHERE version = :seen``). The unique (lock, idempotency key) constraint is the last
line of defence: the same key can never be stored twice. The caller owns the transaction.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aggregator.store.models.fx import FxLockRow, FxLockUtilisationRow
from aggregator.store.upsert import write_audit
from fx.locks import LockError, LockKind, LockUsage, RateLock, Utilisation, UtilisationOutcome, cancel, utilise
from fx.money import Money


class LockNotFound(LookupError):
    """No lock with that id for that owner."""


class LockExists(LockError):
    """A different lock with the same id already exists for the owner."""


class ConcurrentLockUpdate(RuntimeError):
    """The lock row changed between read and write (version mismatch); retry the operation."""


def _terms(lock: RateLock) -> dict:
    return {
        "kind": lock.kind.value, "provider": lock.provider, "reference": lock.reference,
        "sell_currency": lock.sell_currency, "buy_currency": lock.buy_currency,
        "rate_base": lock.rate_base, "client_rate": lock.client_rate, "mid_rate": lock.mid_rate, "notional_amount": lock.notional.amount,
        "notional_currency": lock.notional.currency, "tolerance": lock.tolerance, "usage": lock.usage.value,
        "valid_from": lock.valid_from, "valid_to": lock.valid_to,
    }


def create_lock(session: Session, owner_id: str, lock: RateLock, *, actor: str = "system") -> FxLockRow:
    """Store a new lock; creating the same lock again is a no-op, different terms are refused."""
    existing = session.scalars(select(FxLockRow).where(FxLockRow.owner_id == owner_id,
                                                       FxLockRow.lock_id == lock.lock_id)).first()
    terms = _terms(lock)
    if existing is not None:
        differing = [k for k, v in terms.items() if getattr(existing, k) != v]
        if differing:
            raise LockExists(f"lock {lock.lock_id} already exists for {owner_id} with other {', '.join(differing)}")
        return existing
    row = FxLockRow(owner_id=owner_id, lock_id=lock.lock_id, used_amount=lock.used.amount, version=1, **terms)
    session.add(row)
    session.flush()
    write_audit(session, entity="fx_locks", key=f"{owner_id}|{lock.lock_id}", action="create", owner_id=owner_id,
                changes={k: str(v) for k, v in terms.items()}, actor=actor)
    return row


def _utilisations(session: Session, lock_pk: int) -> tuple[Utilisation, ...]:
    rows = session.scalars(select(FxLockUtilisationRow).where(FxLockUtilisationRow.lock_pk == lock_pk)
                           .order_by(FxLockUtilisationRow.id))
    return tuple(Utilisation(r.idempotency_key, Money(r.dealt_amount, r.dealt_currency),
                             Money(r.counter_amount, r.counter_currency), r.utilised_at, r.reference) for r in rows)


def to_domain(session: Session, row: FxLockRow) -> RateLock:
    return RateLock(row.lock_id, LockKind(row.kind), row.provider, row.sell_currency, row.buy_currency,
                    row.client_rate, Money(row.notional_amount, row.notional_currency), row.valid_from,
                    row.valid_to, LockUsage(row.usage), row.tolerance, row.mid_rate, row.reference,
                    _utilisations(session, row.id), row.cancelled_at, row.rate_base)


def _row(session: Session, owner_id: str, lock_id: str, *, for_update: bool) -> FxLockRow:
    query = select(FxLockRow).where(FxLockRow.owner_id == owner_id, FxLockRow.lock_id == lock_id)
    if for_update:
        # Wait for any other writer, then read the committed row (not a stale identity-map copy).
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.scalars(query).first()
    if row is None:
        raise LockNotFound(f"no lock {lock_id!r} for owner {owner_id!r}")
    return row


def get_lock(session: Session, owner_id: str, lock_id: str) -> RateLock:
    return to_domain(session, _row(session, owner_id, lock_id, for_update=False))


def list_locks(session: Session, owner_id: str) -> list[RateLock]:
    rows = session.scalars(select(FxLockRow).where(FxLockRow.owner_id == owner_id).order_by(FxLockRow.valid_from,
                                                                                            FxLockRow.lock_id))
    return [to_domain(session, row) for row in rows]


def utilise_lock(session: Session, owner_id: str, lock_id: str, amount: Money, key: str, now: datetime, *,
                 reference: str | None = None) -> UtilisationOutcome:
    """Use ``amount`` of the lock under idempotency ``key``; the pure rules decide, the row lock serialises."""
    row = _row(session, owner_id, lock_id, for_update=True)
    seen_version = row.version
    outcome = utilise(to_domain(session, row), amount, key, now, reference=reference)
    if outcome.replayed:
        return outcome
    used = outcome.utilisation
    session.add(FxLockUtilisationRow(
        lock_pk=row.id, owner_id=owner_id, idempotency_key=key, dealt_amount=used.dealt.amount,
        dealt_currency=used.dealt.currency, counter_amount=used.counter.amount,
        counter_currency=used.counter.currency, utilised_at=now, reference=reference))
    bumped = session.execute(
        update(FxLockRow).where(FxLockRow.id == row.id, FxLockRow.version == seen_version)
        .values(used_amount=outcome.lock.used.amount, version=seen_version + 1)
        .execution_options(synchronize_session=False))
    if bumped.rowcount != 1:
        raise ConcurrentLockUpdate(f"lock {lock_id} changed while utilising it; retry")
    session.flush()
    return outcome


def cancel_lock(session: Session, owner_id: str, lock_id: str, now: datetime, *, actor: str = "system") -> RateLock:
    row = _row(session, owner_id, lock_id, for_update=True)
    before = to_domain(session, row)
    after = cancel(before, now)
    if after is not before:
        row.cancelled_at = now
        row.version += 1
        write_audit(session, entity="fx_locks", key=f"{owner_id}|{lock_id}", action="cancel", owner_id=owner_id,
                    changes={"cancelled_at": now.isoformat(), "remaining": str(after.remaining)}, actor=actor)
        session.flush()
    return after
