"""The collaboration report: exception resolution times by kind for one owner (``collaboration``)."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from aggregator.analytics.collaboration import resolution_times
from aggregator.analytics.facts import exception_facts, period_range
from aggregator.analytics.report import Report, rounded, scope


def collaboration(session: Session, owner_id: str, period: str | None = None, *,
                  now: datetime | None = None) -> Report:
    where = scope(session, owner_id, period)
    now = now or datetime.now(UTC)
    start, end = period_range(where.first, where.last)
    as_of = min(end, now) if end is not None else now
    table = resolution_times(exception_facts(session, owner_id, start, as_of), as_of)
    report = Report("collaboration", owner_id, period, {"resolution": rounded(table, 3)})
    total = table[table["kind"] == "ALL"]
    if total.empty:
        report.notes.append(f"{owner_id}: no exception")
    else:
        t = total.iloc[0]
        mean = "—" if t.resolved == 0 else f"{t.mean_days:.2f} d"
        report.notes.append(f"{owner_id}: {t.resolved} exception(s) resolved, mean {mean}; {t.open} open")
    return report
