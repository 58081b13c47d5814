"""The demand report: weekly sales per SKU and warehouse, the forecast and its rolling 3-month WAPE, days of
cover counting stock on hand and in transit, and the reorder signal (``demand``).

The lead time of the reorder point is the owner's measured supply lead time (p90 of on board → warehouse
receipt over its orders' lots, from the cash-cycle legs) unless ``lead_days`` is given; without either the
report is refused (never a made-up lead time).

Tables: ``demand`` (per warehouse × SKU) and ``weekly`` (the weekly sales series)."""
from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy.orm import Session

from aggregator.analytics.demand import demand_table, overall_wape, weekly_sales
from aggregator.analytics.facts import inbound_open, outbound_sales, period_range, stock_picture
from aggregator.analytics.report import Report, rounded, scope
from aggregator.refusals import FieldRefusal

SAFETY_DAYS = 14.0


class NoLeadTime(FieldRefusal):
    """Neither a measured supply lead time nor a given one (the ``lead_days`` input: ``--lead-days``)."""


def supply_lead_days(session: Session, owner_id: str) -> float | None:
    """p90 of on board → warehouse receipt (days) over the owner's orders' lots, or None."""
    from aggregator.analytics.cash_cycle import owner_legs

    legs = owner_legs(session, owner_id)
    supply = (legs["on_board_to_arrival_days"] + legs["arrival_to_release_days"]
              + legs["release_to_receipt_days"]).dropna()
    supply = supply[supply >= 0]
    return float(supply.quantile(0.9)) if len(supply) else None


def demand(session: Session, owner_id: str, period: str | None = None, *, lead_days: float | None = None,
           safety_days: float = SAFETY_DAYS, now: datetime | None = None) -> Report:
    where = scope(session, owner_id, period)
    now = now or datetime.now(UTC)
    _, end = period_range(where.first, where.last)
    as_of = min(end, now) if end is not None else now
    basis = "given"
    if lead_days is None:
        lead_days, basis = supply_lead_days(session, owner_id), "measured p90 on board → receipt"
        if lead_days is None:
            raise NoLeadTime(("lead_days", f"is needed: owner {owner_id} has no measured supply lead time yet (no "
                                           "order's lot with on board and receipt times)"))
    weekly = weekly_sales(outbound_sales(session, owner_id, None, as_of), as_of)
    lots, _at = stock_picture(session, owner_id, as_of)
    on_hand = lots.groupby(["warehouse_code", "sku"], as_index=False)["on_hand"].sum()
    cover = on_hand.merge(inbound_open(session, owner_id), on=["warehouse_code", "sku"], how="outer")
    cover = cover.fillna({"on_hand": 0, "in_transit": 0})
    table = demand_table(weekly, cover, lead_days=lead_days, safety_days=safety_days)
    wape = overall_wape(table)
    report = Report("demand", owner_id, period, {"demand": rounded(table, 3), "weekly": weekly})
    signals = table["signal"].value_counts().to_dict() if not table.empty else {}
    report.notes.append(
        f"{owner_id}: {len(table)} SKU × warehouse; rolling 3-month WAPE "
        f"{'—' if pd.isna(wape) else f'{wape:.1%}'}; lead time {lead_days:.1f} d ({basis}) + safety "
        f"{safety_days:g} d; " + ", ".join(f"{k} {v}" for k, v in sorted(signals.items())))
    return report
