"""Value in transit as a daily series from the title ledger (pure).

For each day, the title position at the end of that day (the last event of every lot and allocation at or
before 23:59:59.999999 UTC, ``matching.title.position.title_position``; the last day at the report's as-of
instant when that is earlier), valued by ``value`` (``aggregator.matching_service.valuation.value_position``
with ``detail``: each lot at cost — landed, else invoice, else customs value per unit — converted into the
owner's base currency, with the rate path), summed per title state and stage (``STAGE_OF_LOCATION``: on the
water, at port and customs, in warehouse, in last mile, delivered): units, value, the units with no known
cost and the values that could not be converted. ``in_transit`` marks the stages between the supplier and
the buyer outside the warehouse (on the water, at port and customs, last mile). The position is recomputed
only on the days an event takes effect (and on the as-of day); other days repeat the day before.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd

from matching.title.position import title_position

SERIES_COLUMNS = ["day", "title_state", "stage", "in_transit", "qty", "value", "currency", "unvalued_qty",
                  "rate_path", "unconverted"]
IN_TRANSIT_STAGES = frozenset({"ON_THE_WATER", "AT_PORT_AND_CUSTOMS", "IN_LAST_MILE"})


def end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), UTC) - timedelta(microseconds=1)


def _joined(values: pd.Series) -> str:
    return "; ".join(sorted({part for v in values if v for part in str(v).split("; ")}))


def daily_series(ledger: pd.DataFrame, unit_values: dict, owner_id: str, days: Iterable[date], *,
                 value: Callable[[pd.DataFrame], pd.DataFrame], at: datetime | None = None) -> pd.DataFrame:
    """``SERIES_COLUMNS``, one row per day × title state × stage holding units. ``value`` turns a
    ``title_position`` frame into ``valuation.DETAIL_COLUMNS`` (values in one currency); ``at`` (aware)
    ends the last day early."""
    frames = []
    mine = ledger[ledger["owner_id"] == owner_id]
    changed = set(pd.to_datetime(mine["effective_at"], utc=True).dt.date)  # days on which an event takes effect
    previous: pd.DataFrame | None = None
    for day in days:
        instant = min(end_of_day(day), at) if at is not None else end_of_day(day)
        if previous is not None and day not in changed and instant == end_of_day(day):
            if not previous.empty:  # nothing took effect that day: yesterday's position
                frames.append(previous.assign(day=day.isoformat()))
            continue
        position = title_position(mine, instant, owner_id=owner_id, unit_values=unit_values)
        valued = value(position) if not position.empty else position
        valued = valued[valued["stage"] != "TOTAL"] if not valued.empty else valued
        if valued.empty:
            previous = valued
            continue
        previous = valued.assign(day=day.isoformat()).groupby(["day", "title_state", "stage"], as_index=False,
                                                              sort=True).agg(
            qty=("qty", "sum"), value=("value", lambda v: sum(v, Decimal(0))), currency=("currency", "first"),
            unvalued_qty=("unvalued_qty", "sum"), rate_path=("rate_path", _joined),
            unconverted=("unconverted", _joined))
        frames.append(previous)
    if not frames:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["in_transit"] = out["stage"].isin(IN_TRANSIT_STAGES)
    out["qty"] = out["qty"].astype("int64")
    out["unvalued_qty"] = out["unvalued_qty"].astype("int64")
    return out[SERIES_COLUMNS]


def daily_totals(series: pd.DataFrame) -> pd.DataFrame:
    """Per day (and currency: the owner's base currency): units and value in transit, and units and value in
    all."""
    columns = ["day", "currency", "in_transit_qty", "in_transit_value", "total_qty", "total_value"]
    if series.empty:
        return pd.DataFrame(columns=columns)
    moving = series[series["in_transit"]]
    total = series.groupby(["day", "currency"], as_index=False, sort=True).agg(
        total_qty=("qty", "sum"), total_value=("value", lambda v: sum(v, Decimal(0))))
    transit = moving.groupby(["day", "currency"], as_index=False, sort=True).agg(
        in_transit_qty=("qty", "sum"), in_transit_value=("value", lambda v: sum(v, Decimal(0))))
    out = total.merge(transit, on=["day", "currency"], how="left")
    out["in_transit_qty"] = out["in_transit_qty"].fillna(0).astype("int64")
    out["in_transit_value"] = [v if isinstance(v, Decimal) else Decimal(0) for v in out["in_transit_value"]]
    return out[columns]
