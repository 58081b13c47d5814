"""Value in transit as a daily series from the title ledger (pure).

For each day, the title position at the end of that day (the last event of every lot and allocation at or
before 23:59:59.999999 UTC, ``matching.title.position.title_position``), summed per title state and stage
(``aggregator.matching_service.valuation.STAGE_OF_LOCATION``: on the water, at port and customs, in
warehouse, in last mile, delivered) and cost currency: units, value at cost (landed, else invoice, else
customs value per unit; exact Decimals) and the units with no known cost. ``in_transit`` marks the stages
between the supplier and the buyer outside the warehouse (on the water, at port and customs, last mile).
The position is recomputed only on the days an event takes effect; other days repeat the day before.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd

from aggregator.matching_service.valuation import STAGE_OF_LOCATION
from matching.title.position import title_position

SERIES_COLUMNS = ["day", "title_state", "stage", "in_transit", "qty", "value", "currency", "unvalued_qty"]
IN_TRANSIT_STAGES = frozenset({"ON_THE_WATER", "AT_PORT_AND_CUSTOMS", "IN_LAST_MILE"})


def end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), UTC) - timedelta(microseconds=1)


def daily_series(ledger: pd.DataFrame, unit_values: dict, owner_id: str, days: Iterable[date]) -> pd.DataFrame:
    """``SERIES_COLUMNS``, one row per day × title state × stage × cost currency holding units."""
    frames = []
    mine = ledger[ledger["owner_id"] == owner_id]
    changed = set(pd.to_datetime(mine["effective_at"], utc=True).dt.date)  # days on which an event takes effect
    previous: pd.DataFrame | None = None
    for day in days:
        if previous is not None and day not in changed:  # nothing took effect that day: yesterday's position
            if not previous.empty:
                frames.append(previous.assign(day=day.isoformat()))
            continue
        position = title_position(mine, end_of_day(day), owner_id=owner_id, unit_values=unit_values)
        if position.empty:
            previous = position
            continue
        position = position.assign(day=day.isoformat(),
                                   stage=position["location_state"].map(STAGE_OF_LOCATION).fillna("OTHER"))
        previous = position.groupby(["day", "title_state", "stage", "currency"], as_index=False, sort=True).agg(
            qty=("qty", "sum"), value=("value", lambda v: sum(v, Decimal(0))), unvalued_qty=("unvalued_qty", "sum"))
        frames.append(previous)
    if not frames:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["in_transit"] = out["stage"].isin(IN_TRANSIT_STAGES)
    out["qty"] = out["qty"].astype("int64")
    out["unvalued_qty"] = out["unvalued_qty"].astype("int64")
    return out[SERIES_COLUMNS]


def daily_totals(series: pd.DataFrame) -> pd.DataFrame:
    """Per day and cost currency: units and value in transit, and units and value in all."""
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
