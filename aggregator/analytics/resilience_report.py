"""The resilience report: the owner's index and its four parts (``resilience``) for the period's month (or
the current one) and each of the five months before it that has orders, so the owner is compared with its
own history.

Inputs per month: the cash-cycle legs of the orders placed in it (order → delivery), the ageing summary at
its last stock snapshot, the demand report's overall WAPE at its end, and the exceptions resolved in it.
Tables: ``history`` (month, index, parts measured, the four scores) and ``parts`` (the month's parts with
their measures)."""
from __future__ import annotations

import math
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.analytics.cash_cycle import owner_legs
from aggregator.analytics.collaboration import resolution_times
from aggregator.analytics.demand import overall_wape
from aggregator.analytics.demand_report import demand
from aggregator.analytics.facts import exception_facts, period_range
from aggregator.analytics.report import Report, rounded, scope
from aggregator.analytics.resilience import PARTS, Inputs, Parameters, part_scores, resilience_index
from aggregator.analytics.stock_ageing import ageing
from aggregator.store.models.marketplace import OrderRow
from fx.gains import period_bounds

HISTORY_MONTHS = 6


def _months_back(month: str, count: int) -> list[str]:
    year, number = (int(x) for x in month.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{number:02d}")
        year, number = (year, number - 1) if number > 1 else (year - 1, 12)
    return out[::-1]


def month_inputs(session: Session, owner_id: str, month: str, now: datetime) -> Inputs:
    first, last = period_bounds(month)
    start, end = period_range(first, last)
    as_of = min(end, now)
    legs = owner_legs(session, owner_id, first, last)
    delivery = (legs["order_to_dispatch_days"] + legs["dispatch_to_delivery_days"]).dropna()
    summary = ageing(session, owner_id, month, now=now).tables["summary"]
    total = summary[summary["warehouse_code"] == "ALL"]
    slow, turns = (float(total.iloc[0]["slow_share"]), float(total.iloc[0]["turnover"])) if not total.empty \
        else (math.nan, math.nan)
    wape = overall_wape(demand(session, owner_id, month, lead_days=0, now=now).tables["demand"])
    times = resolution_times(exception_facts(session, owner_id, start, as_of), as_of)
    resolved = times[(times["kind"] == "ALL") & (times["resolved"] > 0)]
    return Inputs(tuple(float(d) for d in delivery if d >= 0), slow, turns, wape,
                  float(resolved.iloc[0]["mean_days"]) if not resolved.empty else math.nan)


def resilience(session: Session, owner_id: str, period: str | None = None, *, now: datetime | None = None,
               params: Parameters = Parameters()) -> Report:
    scope(session, owner_id, period)
    now = now or datetime.now(UTC)
    month = period or now.strftime("%Y-%m")
    if month > now.strftime("%Y-%m"):  # its inputs would be today's, labelled with a month still to come
        raise ValueError(f"period {month} has not begun (now is {now:%Y-%m-%d}); the index of a month is "
                         "measured from what happened in it")
    months = _months_back(month, HISTORY_MONTHS)
    first_order = session.scalar(select(func.min(OrderRow.ordered_at)).where(OrderRow.owner_id == owner_id))
    if first_order is not None:
        earliest = first_order.strftime("%Y-%m")
        months = [m for m in months if m >= earliest or m == month]
    else:
        months = [month]
    history, parts = [], None
    for m in months:
        scores = part_scores(month_inputs(session, owner_id, m, now), params)
        index, measured = resilience_index(scores)
        history.append({"month": m, "index": index, "parts_measured": measured,
                        **{p: scores[p]["score"] for p in PARTS}})
        parts = scores
    history_frame = pd.DataFrame(history, columns=["month", "index", "parts_measured", *PARTS])
    measured = [p for p in PARTS if not math.isnan(float(parts[p]["score"]))]
    part_rows = pd.DataFrame([{"part": p, "measure": parts[p]["measure"], "value": parts[p]["value"],
                               "score": parts[p]["score"], "weight": 1 / len(measured) if p in measured else 0.0}
                              for p in PARTS],
                             columns=["part", "measure", "value", "score", "weight"])
    report = Report("resilience", owner_id, period, {"history": rounded(history_frame, 2),
                                                     "parts": rounded(part_rows, 4)})
    report.notes.append(_comparison(owner_id, history_frame))
    return report


def _comparison(owner_id: str, history: pd.DataFrame) -> str:
    current = history.iloc[-1]
    if math.isnan(current["index"]):
        return f"{owner_id}: resilience index for {current['month']}: not measured (no part has data)"
    text = f"{owner_id}: resilience index {current['index']:.1f}/100 for {current['month']} " \
           f"({int(current['parts_measured'])} of 4 parts measured)"
    earlier = history.iloc[:-1]["index"].dropna()
    if len(earlier):
        text += f"; previous month {earlier.iloc[-1]:.1f} ({current['index'] - earlier.iloc[-1]:+.1f}), own median " \
                f"{earlier.median():.1f} over {len(earlier)} month(s)"
    else:
        text += "; no earlier month to compare with"
    return text


