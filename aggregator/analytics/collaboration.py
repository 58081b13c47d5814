"""Collaboration: how long exceptions take from first seen to resolved, by kind (pure).

The one exceptions queue feeds it (``facts.exception_facts``): match exceptions (kind ``match:<reason>``;
resolved when a person resolved it, ``resolved_at``, or when new data cleared it, ``gone``, at its last
sighting), parked records and settlement findings (kind ``<source>:<kind>``; ``resolved_at``). Per kind: resolved
count with mean, p50 and p90 days, open count and the p50 age of the open ones at ``as_of``.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from aggregator.analytics.stats import describe

EXCEPTION_COLUMNS = ["queue", "kind", "first_seen_at", "resolved_at"]
RESOLUTION_COLUMNS = ["kind", "resolved", "mean_days", "p50_days", "p90_days", "open", "open_p50_age_days"]


def _days(end: pd.Series, start: pd.Series) -> pd.Series:
    return (pd.to_datetime(end, utc=True) - pd.to_datetime(start, utc=True)).dt.total_seconds() / 86_400.0


def resolution_times(exceptions: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """``RESOLUTION_COLUMNS`` per kind and an ``ALL`` row (kinds sorted)."""
    if exceptions.empty:
        return pd.DataFrame(columns=RESOLUTION_COLUMNS)
    frame = exceptions.assign(days=_days(exceptions["resolved_at"], exceptions["first_seen_at"]),
                              age=_days(pd.Series([pd.Timestamp(as_of)] * len(exceptions), index=exceptions.index),
                                        exceptions["first_seen_at"]))
    rows = []
    for kind, part in [*frame.groupby("kind", sort=True), ("ALL", frame)]:
        done = part[part["resolved_at"].notna()]
        waiting = part[part["resolved_at"].isna()]
        stats = describe(done["days"])
        rows.append({"kind": kind, "resolved": stats["orders"], "mean_days": stats["mean_days"],
                     "p50_days": stats["p50_days"], "p90_days": stats["p90_days"], "open": len(waiting),
                     "open_p50_age_days": describe(waiting["age"])["p50_days"]})
    return pd.DataFrame(rows, columns=RESOLUTION_COLUMNS)
