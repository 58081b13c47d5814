"""The expiry report: lots on hand at the latest stock snapshot with their expiry dates, sold first-expiry-
first-out at each SKU's forecast demand (the demand report's), and which units will expire unsold
(``expiry``). Tables: ``lots`` (most urgent first) and ``summary`` (per status: lots, units, units at risk)."""
from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy.orm import Session

from aggregator.analytics.demand_report import demand
from aggregator.analytics.expiry import NEAR_DAYS, expiry_risk
from aggregator.analytics.facts import period_range, stock_picture
from aggregator.analytics.report import Report, rounded, scope


def expiry(session: Session, owner_id: str, period: str | None = None, *, near_days: int = NEAR_DAYS,
           now: datetime | None = None) -> Report:
    where = scope(session, owner_id, period)
    now = now or datetime.now(UTC)
    _, end = period_range(where.first, where.last)
    as_of = min(end, now) if end is not None else now
    lots, at = stock_picture(session, owner_id, as_of)
    table = demand(session, owner_id, period, lead_days=0, now=now).tables["demand"]
    daily = {(r.warehouse_code, r.sku): (r.forecast_weekly / 7 if pd.notna(r.forecast_weekly) else 0.0)
             for r in table.itertuples()}
    risk = expiry_risk(lots, daily, at or as_of, near_days=near_days)
    summary = (risk.groupby("status", as_index=False, sort=False)
               .agg(lots=("lot_id", "count"), units=("on_hand", "sum"), at_risk=("at_risk", "sum"))
               if not risk.empty else pd.DataFrame(columns=["status", "lots", "units", "at_risk"]))
    report = Report("expiry", owner_id, period, {"lots": rounded(risk, 3), "summary": summary})
    dated = risk[risk["status"] != "NO_DATE"]
    units = int(dated["on_hand"].sum()) if not dated.empty else 0
    lost = int(dated["at_risk"].sum()) if not dated.empty else 0
    report.notes.append(
        f"{owner_id}: {len(dated)} lot(s) with an expiry date, {units} units; {lost} unit(s) "
        f"({(lost / units if units else 0):.1%}) will expire before they sell at the forecast demand; "
        f"{int((risk['status'] == 'NO_DATE').sum())} lot(s) without a date")
    return report
