"""One settlement cycle per owner: reconcile what changed, then book what is new. Called after every
``settlements`` sync (CLI ``sync``, the scheduled sync job), by the scheduled booking job and by the
demo, so journals exist after every sync with no manual step. Each owner runs in its own transaction.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aggregator.settlement.booking import BookingSummary, book_owner
from aggregator.settlement.service import ReconcileSummary, reconcile_owner
from aggregator.store.db import session_scope
from aggregator.store.models.tenancy import OwnerRow


@dataclass
class CycleResult:
    reconcile: ReconcileSummary
    booking: BookingSummary

    def lines(self) -> list[str]:
        return [self.reconcile.describe(), self.booking.describe(), *(f"  {p}" for p in self.booking.problems[:10])]


def rate_sources(text: str) -> tuple[str, ...]:
    """``"ECB, MAS"`` → ("ECB", "MAS"); empty → every source."""
    return tuple(part.strip().upper() for part in text.split(",") if part.strip())


def settle_owners(engine: Engine, owner_ids: list[str] | None = None, *, sources: tuple[str, ...] = (),
                  max_age_days: int = 7, now: datetime | None = None,
                  fence: Callable[[Session], None] | None = None) -> list[CycleResult]:
    """Reconcile and book each owner (all owners when ``owner_ids`` is None).

    ``fence``: called inside each transaction before it commits (a job lease's ``check``): a worker whose
    lease was taken over meanwhile stops there, its transaction rolled back."""
    if owner_ids is None:
        with session_scope(engine) as session:
            owner_ids = list(session.scalars(select(OwnerRow.owner_id).order_by(OwnerRow.owner_id)))
    results = []
    for owner_id in owner_ids:
        with session_scope(engine) as session:
            reconciled = reconcile_owner(session, owner_id, now=now)
            if fence is not None:
                fence(session)
        with session_scope(engine) as session:
            booked = book_owner(session, owner_id, sources=sources, max_age_days=max_age_days, now=now)
            if fence is not None:
                fence(session)
        results.append(CycleResult(reconciled, booked))
    return results
