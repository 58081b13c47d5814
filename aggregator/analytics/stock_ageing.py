"""The ageing report: the owner's lots on hand at its latest stock snapshot (at or before the end of the
period, else now) with days in warehouse, sales over the window before it and turnover (``ageing``).

Tables: ``summary`` (per warehouse and ALL: lots, units, slow-moving units and share, mean age, turnover) and
``lots`` (one row per lot, oldest first)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from aggregator.analytics.ageing import ageing_summary, lot_ageing
from aggregator.analytics.facts import lot_sales, period_range, stock_picture
from aggregator.analytics.report import Report, rounded, scope

WINDOW_DAYS, SLOW_DAYS = 90, 90


def ageing(session: Session, owner_id: str, period: str | None = None, *, window_days: int = WINDOW_DAYS,
           slow_days: int = SLOW_DAYS, now: datetime | None = None) -> Report:
    where = scope(session, owner_id, period)
    now = now or datetime.now(UTC)
    _, end = period_range(where.first, where.last)
    limit = min(end, now) if end is not None else now
    lots, as_of = stock_picture(session, owner_id, limit)
    report = Report("ageing", owner_id, period)
    if as_of is None:
        report.tables = {"summary": ageing_summary(lot_ageing(lots, lots.iloc[0:0], limit)),
                         "lots": lot_ageing(lots, lots.iloc[0:0], limit)}
        report.notes.append(f"{owner_id}: no stock snapshot at or before {limit.isoformat(timespec='seconds')}")
        return report
    sold = lot_sales(session, owner_id, as_of - timedelta(days=window_days), as_of)
    per_lot = lot_ageing(lots, sold, as_of, window_days=window_days, slow_days=slow_days)
    summary = ageing_summary(per_lot, window_days)
    report.tables = {"summary": rounded(summary, 4), "lots": rounded(per_lot, 3)}
    total = summary[summary["warehouse_code"] == "ALL"]
    if total.empty:
        report.notes.append(f"{owner_id}: nothing on hand at {as_of.isoformat(timespec='seconds')}")
    else:
        t = total.iloc[0]
        report.notes.append(
            f"{owner_id}: stock at {as_of.isoformat(timespec='seconds')}: {t.on_hand} units in {t.lots} lots, "
            f"mean age {t.mean_age_days:.1f} d, slow-moving (> {slow_days} d) {t.slow_share:.1%}, "
            f"turnover {t.turnover:.2f}/year over {window_days} d")
    return report
