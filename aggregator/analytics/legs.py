"""Legs in days per order, from the facts of the order and of the lots it drew from (pure).

An order's instants: ``ordered_at``; ``dispatched_at`` (the last of its packages to leave the warehouse);
``delivered_at`` (the last package delivered; unknown while any dispatched package is not); ``paid_out_at``
(the first settlement line the marketplace released for it). Each lot it drew from brings ``on_board_at``
(supplier's goods on board), ``arrived_at`` (port of discharge), ``released_at`` (customs release) and
``received_at`` (warehouse receipt), with the units the order took from it.

A lot leg (``on_board_to_arrival`` … ``receipt_to_order`` and ``on_board_to_cash``) is measured per lot
and the order's value is the unit-weighted mean over its lots (one lot: exactly that lot's leg). A leg
whose either end is unknown is unknown (NaN), never zero. A negative leg (a later step dated before an
earlier one) is a data error: it is left out of the distributions and counted as ``inconsistent``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aggregator.analytics.stats import SUMMARY_COLUMNS, summarise

DAY_SECONDS = 86_400.0


@dataclass(frozen=True, slots=True)
class Leg:
    name: str
    start: str
    end: str
    per_lot: bool  # measured per lot the order drew from (weighted by units)


LEGS: tuple[Leg, ...] = (
    Leg("on_board_to_arrival", "on_board_at", "arrived_at", True),
    Leg("arrival_to_release", "arrived_at", "released_at", True),
    Leg("release_to_receipt", "released_at", "received_at", True),
    Leg("receipt_to_order", "received_at", "ordered_at", True),
    Leg("order_to_dispatch", "ordered_at", "dispatched_at", False),
    Leg("dispatch_to_delivery", "dispatched_at", "delivered_at", False),
    Leg("delivery_to_payout", "delivered_at", "paid_out_at", False),
    Leg("order_to_cash", "ordered_at", "paid_out_at", False),
    Leg("on_board_to_cash", "on_board_at", "paid_out_at", True),
)
LEG_NAMES = tuple(leg.name for leg in LEGS)
DAYS_COLUMNS = tuple(f"{name}_days" for name in LEG_NAMES)
ORDER_COLUMNS = ["order_key", "owner_id", "platform", "shop_id", "country", "ordered_at", "dispatched_at",
                 "delivered_at", "paid_out_at"]
LOT_COLUMNS = ["order_key", "lot_key", "units", "on_board_at", "arrived_at", "released_at", "received_at"]
DIMENSIONS = ("owner", "platform", "shop", "country", "month")
_DIMENSION_COLUMN = {"owner": "owner_id", "platform": "platform", "shop": "shop", "country": "country",
                     "month": "month"}


def _seconds(end: pd.Series, start: pd.Series) -> pd.Series:
    return (end - start).dt.total_seconds()


def _instants(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` as aware UTC datetimes (converted once)."""
    return frame.assign(**{c: pd.to_datetime(frame[c], utc=True) for c in columns})


def order_legs(orders: pd.DataFrame, lots: pd.DataFrame) -> pd.DataFrame:
    """One row per order: its dimensions, ``month`` (of ``ordered_at``, UTC), each leg in seconds (column
    named as the leg) and in days (``<leg>_days``)."""
    out = _instants(orders[ORDER_COLUMNS].reset_index(drop=True), ORDER_COLUMNS[5:])
    out["month"] = out["ordered_at"].dt.strftime("%Y-%m")
    out["shop"] = out["platform"].astype(str) + ":" + out["shop_id"].astype(str)
    per_lot = _instants(lots[LOT_COLUMNS], LOT_COLUMNS[3:]).merge(
        out[["order_key", "ordered_at", "paid_out_at"]], on="order_key", how="inner")
    lot_legs = [leg for leg in LEGS if leg.per_lot]
    sums = None
    if not per_lot.empty:  # Σ units × seconds and Σ units per order and leg, over the lots with both ends known
        units = per_lot["units"].astype(float)
        parts = {"order_key": per_lot["order_key"]}
        for leg in lot_legs:
            seconds = _seconds(per_lot[leg.end], per_lot[leg.start])
            known = seconds.notna()
            parts[f"{leg.name}__w"] = units.where(known, 0.0)
            parts[f"{leg.name}__wx"] = (seconds * units).where(known, 0.0)
        sums = pd.DataFrame(parts).groupby("order_key", sort=False).sum()
    joined = out[["order_key"]].join(sums, on="order_key") if sums is not None else None
    for leg in LEGS:
        if not leg.per_lot:
            out[leg.name] = _seconds(out[leg.end], out[leg.start])
        elif joined is None:
            out[leg.name] = np.nan
        else:
            weight = joined[f"{leg.name}__w"]
            out[leg.name] = (joined[f"{leg.name}__wx"] / weight).where(weight > 0)
        out[leg.name] = out[leg.name].astype(float)
        out[f"{leg.name}_days"] = out[leg.name] / DAY_SECONDS
    return out


def leg_distributions(legs: pd.DataFrame, dimensions: tuple[str, ...] = DIMENSIONS) -> pd.DataFrame:
    """Distributions of each leg's days per group of each dimension (``stats.summarise``), negative legs
    left out and counted in ``inconsistent``."""
    unknown = [d for d in dimensions if d not in _DIMENSION_COLUMN]
    if unknown:
        raise ValueError(f"unknown dimension(s) {', '.join(unknown)}; known: {', '.join(DIMENSIONS)}")
    frame = legs.copy()
    days = list(DAYS_COLUMNS)
    negative = {column: frame[column] < 0 for column in days}
    for column in days:
        frame[column] = frame[column].where(~negative[column])
    columns = {d: _DIMENSION_COLUMN[d] for d in dimensions}
    renamed = frame.rename(columns={v: k for k, v in columns.items() if k != v})
    table = summarise(renamed, days, list(dimensions))
    if table.empty:
        return table.assign(inconsistent=pd.Series(dtype=int))
    flags = pd.DataFrame({column: negative[column] for column in days})
    per_group = {}
    for dimension in dimensions:
        groups = renamed[dimension].map(lambda v: "" if pd.isna(v) else str(v))
        for group, sums in flags.groupby(groups.to_numpy(), sort=False).sum().iterrows():
            per_group[(dimension, group)] = sums
    counts = [int(per_group[(row.dimension, row.group)][row.leg]) for row in table.itertuples(index=False)]
    table["leg"] = table["leg"].str.removesuffix("_days")
    table["inconsistent"] = counts
    return table[["dimension", "group", "leg", *SUMMARY_COLUMNS, "inconsistent"]]
