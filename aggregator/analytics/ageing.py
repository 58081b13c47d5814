"""Stock ageing by lot (pure): days in warehouse, slow-moving share and turnover.

Per lot of the stock picture at ``as_of`` (the 3PL's latest snapshot): ``on_hand`` = units in receiving,
available and allocated; ``age_days`` = ``as_of`` − the lot's receipt; ``sold`` = units dispatched from the
lot in the ``window_days`` before ``as_of`` (cancelled and returned shipments left out); ``turnover`` =
``sold`` / the average of the lot's units at the start and at the end of the window, annualised
(× 365 / window; a lot received inside the window starts at 0); ``days_of_supply`` = ``on_hand`` / daily
sales over the window (empty with no sales); ``slow_moving`` when ``age_days`` > ``slow_days``.

The summary's ``slow_share`` is the slow-moving units over all units on hand (and the same in value per cost
currency); its ``turnover`` is over all lots together.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pandas as pd

DAY_SECONDS = 86_400.0
LOT_COLUMNS = ["warehouse_code", "lot_id", "sku", "received_at", "on_hand", "unit_cost", "currency"]
SOLD_COLUMNS = ["warehouse_code", "lot_id", "qty", "shipped_at"]
AGEING_COLUMNS = ["warehouse_code", "lot_id", "sku", "received_at", "age_days", "on_hand", "value", "currency",
                  "opening", "sold", "turnover", "days_of_supply", "slow_moving"]
SUMMARY_COLUMNS = ["warehouse_code", "lots", "on_hand", "slow_units", "slow_share", "mean_age_days", "sold",
                   "turnover"]


def lot_ageing(lots: pd.DataFrame, sold: pd.DataFrame, as_of: datetime, *, window_days: int = 90,
               slow_days: int = 90) -> pd.DataFrame:
    """``AGEING_COLUMNS``, one row per lot with units on hand, oldest first."""
    if window_days <= 0 or slow_days < 0:
        raise ValueError("window_days must be positive and slow_days not negative")
    start = pd.Timestamp(as_of) - pd.Timedelta(days=window_days)
    frame = lots[lots["on_hand"] > 0].copy()
    if frame.empty:
        return pd.DataFrame(columns=AGEING_COLUMNS)
    shipped = pd.to_datetime(sold["shipped_at"], utc=True)
    recent = sold[(shipped > start) & (shipped <= pd.Timestamp(as_of))]
    sums = recent.groupby(["warehouse_code", "lot_id"])["qty"].sum()
    frame["sold"] = [int(sums.get((w, lot), 0)) for w, lot in zip(frame["warehouse_code"], frame["lot_id"])]
    received = pd.to_datetime(frame["received_at"], utc=True)
    frame["age_days"] = (pd.Timestamp(as_of) - received).dt.total_seconds() / DAY_SECONDS
    frame["opening"] = (frame["on_hand"] + frame["sold"]).where(~(received > start), 0).astype("int64")
    average = (frame["opening"] + frame["on_hand"]) / 2
    frame["turnover"] = (frame["sold"] / average * 365.0 / window_days).where(average > 0)
    daily = frame["sold"] / window_days
    frame["days_of_supply"] = (frame["on_hand"] / daily).where(daily > 0)
    frame["slow_moving"] = frame["age_days"] > slow_days
    frame["value"] = [Decimal(u) * q if u is not None and not pd.isna(u) else None
                      for u, q in zip(frame["unit_cost"], frame["on_hand"])]
    frame = frame.sort_values(["age_days", "warehouse_code", "lot_id"], ascending=[False, True, True],
                              kind="mergesort")
    return frame[AGEING_COLUMNS].reset_index(drop=True)


def ageing_summary(ageing: pd.DataFrame, window_days: int = 90) -> pd.DataFrame:
    """``SUMMARY_COLUMNS`` per warehouse and an ``ALL`` row: lots, units, slow units and share, unit-weighted
    mean age, units sold in the window and the annualised turnover of all of them together."""
    if ageing.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    rows = []
    groups = [(w, part) for w, part in ageing.groupby("warehouse_code", sort=True)] + [("ALL", ageing)]
    for warehouse, part in groups:
        on_hand = int(part["on_hand"].sum())
        slow = int(part.loc[part["slow_moving"], "on_hand"].sum())
        sold = int(part["sold"].sum())
        average = float((part["opening"] + part["on_hand"]).sum()) / 2
        rows.append({"warehouse_code": warehouse, "lots": len(part), "on_hand": on_hand, "slow_units": slow,
                     "slow_share": slow / on_hand if on_hand else float("nan"),
                     "mean_age_days": float((part["age_days"] * part["on_hand"]).sum() / on_hand) if on_hand else
                     float("nan"),
                     "sold": sold, "turnover": sold / average * 365.0 / window_days if average else float("nan")})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
