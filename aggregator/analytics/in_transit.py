"""The in-transit report: the owner's title position per day (``transit``) up to one as-of instant, valued
in the owner's base currency as ``aggregator title position`` values it.

The as-of instant is explicit: ``at`` when given, else the data's end — the instant the owner's last title
event takes effect (never after now), so the series ends where the ledger does, not on today's date. The
days are the period's up to that instant, or without a period the 90 days ending on it; each day's position
is the one at 23:59:59.999999 UTC, the last day's at the as-of instant. Every value is the lot's cost
converted into the owner's base currency at the rates of the as-of date (one set of rates for the whole
series, so the days differ only by what moved), with the rate paths named in the notes.

Tables: ``totals`` (per day: in transit and in all, in the base currency) and ``series`` (per day, title
state and stage, with the rate paths and anything not converted)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.analytics.report import Report, scope
from aggregator.analytics.transit import daily_series, daily_totals
from aggregator.matching_service.queries import load_ledger
from fx.money import Money

DEFAULT_DAYS = 90


def report_days(first: date | None, last: date | None, until: date) -> list[date]:
    """The days of the period up to ``until`` (the whole period when it ends before), else the 90 days
    ending on ``until``."""
    if first is None or last is None:
        first, last = until - timedelta(days=DEFAULT_DAYS - 1), until
    last = min(last, until)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def data_end(ledger: pd.DataFrame, owner_id: str, now: datetime) -> datetime | None:
    """When the owner's last title event takes effect (at most ``now``); None without events."""
    mine = ledger.loc[ledger["owner_id"] == owner_id, "effective_at"]
    if mine.empty:
        return None
    last = pd.to_datetime(mine, utc=True).max().to_pydatetime()
    return min(last, now)


def in_transit(session: Session, owner_id: str, period: str | None = None, *, at: datetime | None = None,
               now: datetime | None = None) -> Report:
    from aggregator.fx_service.rates import load_rate_book
    from aggregator.matching_service.valuation import value_position
    from aggregator.store.models.tenancy import OwnerRow
    from fx.convert import ConversionPolicy, Converter

    where = scope(session, owner_id, period)
    ledger, values = load_ledger(session, owner_id)
    now = now or datetime.now(UTC)
    end = data_end(ledger, owner_id, now)
    as_of = (at or end or now).astimezone(UTC)
    why = "given" if at is not None else "the data's end: the last title event" if end is not None else \
        "now: no title event yet"
    base = session.scalar(select(OwnerRow.base_currency).where(OwnerRow.owner_id == owner_id))
    policy = ConversionPolicy(allow_fallback=True)
    rates_on = as_of.date()
    converter = Converter(load_rate_book(session, since=rates_on - timedelta(days=policy.max_age_days),
                                         until=rates_on), policy)
    days = report_days(where.first, where.last, rates_on)
    series = daily_series(ledger, values, owner_id, days, at=as_of,
                          value=lambda position: value_position(position, {owner_id: base}, converter, rates_on,
                                                                detail=True))
    totals = daily_totals(series)
    for frame, columns in ((series, ["value"]), (totals, ["in_transit_value", "total_value"])):
        for column in columns:  # converted values to the base currency's minor units, after the exact sums
            frame[column] = [Money(v, base).round().amount for v in frame[column]]
    report = Report("in-transit", owner_id, period, {"totals": totals, "series": series})
    report.notes.append(f"{owner_id}: as of {as_of.isoformat(timespec='seconds')} ({why}); each day's position at "
                        "23:59:59.999999 UTC, the last day's at the as-of instant")
    if days:
        last = series[series["day"] == days[-1].isoformat()]
        moving = last[last["in_transit"]]
        # the totals' figure: the exact sum rounded once (a sum of the rows' rounded values can differ from it)
        value = totals.loc[totals["day"] == days[-1].isoformat(), "in_transit_value"]
        held = (f"{Money(value.iloc[0], base)} at cost "
                f"({int(moving['qty'].sum())} units"
                + (f", {int(moving['unvalued_qty'].sum())} of them without a cost" if moving["unvalued_qty"].sum()
                   else "") + ")") if len(moving) else "nothing"
        report.notes.append(f"{owner_id}: in transit at the as-of instant: {held}; {len(days)} day(s) from "
                            f"{days[0]} to {days[-1]}")
    else:
        report.notes.append(f"{owner_id}: no day of the period {period} is at or before the as-of instant")
    paths = sorted({p for v in series["rate_path"] for p in str(v).split("; ") if p})
    unconverted = sorted({p for v in series["unconverted"] for p in str(v).split("; ") if p})
    report.notes.append(f"values at cost in {base} (the owner's base currency) at the rates of {rates_on}: "
                        + ("; ".join(paths) if paths else "no rate used" if unconverted
                           else f"none needed (every cost in {base})"))
    if unconverted:
        report.notes.append("not converted (left out of the values): " + "; ".join(unconverted[:5])
                            + (f" and {len(unconverted) - 5} more" if len(unconverted) > 5 else ""))
    return report
