"""The in-transit report: the owner's title position per day (``transit``), for the period's days (up to
today) or, without a period, the 90 days ending today.

Tables: ``totals`` (per day and cost currency: in transit and in all) and ``series`` (per day, title state,
stage and cost currency)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from aggregator.analytics.report import Report, scope
from aggregator.analytics.transit import daily_series, daily_totals
from aggregator.matching_service.queries import load_ledger

DEFAULT_DAYS = 90


def report_days(first: date | None, last: date | None, today: date) -> list[date]:
    """The days of the period up to ``today`` (the whole period when it is past), else the last 90 days."""
    if first is None or last is None:
        first, last = today - timedelta(days=DEFAULT_DAYS - 1), today
    last = min(last, today)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def in_transit(session: Session, owner_id: str, period: str | None = None, *, today: date | None = None) -> Report:
    where = scope(session, owner_id, period)
    days = report_days(where.first, where.last, today or datetime.now(UTC).date())
    ledger, values = load_ledger(session, owner_id)
    series = daily_series(ledger, values, owner_id, days)
    totals = daily_totals(series)
    report = Report("in-transit", owner_id, period, {"totals": totals, "series": series})
    if days:
        last = totals[totals["day"] == days[-1].isoformat()]
        moving = ", ".join(f"{r.in_transit_value} {r.currency} ({r.in_transit_qty} units)" for r in last.itertuples()
                           if r.currency) or "nothing valued"
        report.notes.append(f"{owner_id}: in transit on {days[-1]}: {moving}; {len(days)} day(s) from {days[0]}")
    return report
