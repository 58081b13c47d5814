"""Distributions of durations: count, mean, p50, p90 and standard deviation per group (pure).

Percentiles interpolate linearly between the two nearest ranks (numpy's default ``linear`` method: the
p50 of 1, 2, 3, 4 is 2.5); the standard deviation is the population one (``ddof=0``), so a single
observation has a spread of 0 rather than none.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

SUMMARY_COLUMNS = ["orders", "mean_days", "p50_days", "p90_days", "std_days"]


def describe(values: Sequence[float] | np.ndarray | pd.Series) -> dict[str, float | int]:
    """``orders`` (count of known values), mean, p50, p90 and std of ``values`` in days (NaN ignored)."""
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    if array.size == 0:
        return {"orders": 0, "mean_days": float("nan"), "p50_days": float("nan"), "p90_days": float("nan"),
                "std_days": float("nan")}
    p50, p90 = np.percentile(array, [50, 90])
    return {"orders": int(array.size), "mean_days": float(array.mean()), "p50_days": float(p50),
            "p90_days": float(p90), "std_days": float(array.std(ddof=0))}


def summarise(frame: pd.DataFrame, value_columns: Sequence[str], dimensions: Sequence[str]) -> pd.DataFrame:
    """One row per (dimension, group, measure): ``dimension, group, leg`` + ``SUMMARY_COLUMNS``.

    ``value_columns`` hold days (NaN = unknown); ``dimensions`` are columns of ``frame`` to group by, each
    on its own (``owner`` groups by ``owner_id`` …). Groups are sorted; measures keep the given order."""
    rows: list[dict] = []
    for dimension in dimensions:
        if frame.empty:
            continue
        for group, part in frame.groupby(dimension, sort=True, dropna=False):
            for column in value_columns:
                stats = describe(part[column])
                if stats["orders"]:
                    rows.append({"dimension": dimension, "group": "" if pd.isna(group) else str(group),
                                 "leg": column, **stats})
    return pd.DataFrame(rows, columns=["dimension", "group", "leg", *SUMMARY_COLUMNS])
