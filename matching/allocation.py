"""FIFO allocation of demands (shipment lines) to supplies (lots), vectorised, never across groups.

Within a group (owner x warehouse x SKU for lots) supplies are consumed in their order (receipt time,
then id) by demands in their order (ship time, then id); a demand may draw from several supplies and
a supply serves many demands. Quantities always balance: for every demand
``allocated + short == qty``; for every supply ``allocated <= capacity``; per group
``allocated == min(total demand, total capacity)``.

How: inside each group the supplies are laid end to end on a number line (cumulative capacity) and
so are the demands (cumulative quantity). Groups are placed one after the other with an offset, so
the whole problem is two sorted arrays of interval ends; every segment between consecutive interval
ends belongs to exactly one (demand, supply) pair, found with ``numpy.searchsorted``. No Python loop
runs per row.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from matching.frames import sort_rows


def allocate_fifo(
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    *,
    group: list[str],
    demand_id: str,
    supply_id: str,
    demand_order: list[str],
    supply_order: list[str],
    demand_qty: str = "qty",
    supply_qty: str = "qty",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Allocate and return ``(allocations, shortfalls)``.

    ``allocations``: columns ``group..., demand_id, supply_id, qty`` (qty > 0), sorted.
    ``shortfalls``: columns ``group..., demand_id, qty, short`` for demands not fully served.
    Negative quantities count as zero. Ties in the order columns are broken by the id columns.
    """
    d_cols = [*group, demand_id]
    s_cols = [*group, supply_id]
    if demand.empty:
        return (pd.DataFrame(columns=[*group, demand_id, supply_id, "qty"]),
                pd.DataFrame(columns=[*d_cols, "qty", "short"]))
    d = demand[[*dict.fromkeys([*d_cols, *demand_order, demand_qty])]].copy()
    s = supply[[*dict.fromkeys([*s_cols, *supply_order, supply_qty])]].copy()
    d["_q"] = pd.to_numeric(d[demand_qty]).clip(lower=0).astype("int64")
    s["_q"] = pd.to_numeric(s[supply_qty]).clip(lower=0).astype("int64")

    keys = pd.concat([d[group], s[group]], ignore_index=True)
    # group id: factorize each column (sorted, so ids follow the values, not the row order), then the tuples
    codes = pd.DataFrame({i: pd.factorize(keys[c].astype("string"), sort=True, use_na_sentinel=False)[0]
                          for i, c in enumerate(group)})
    gid_all = codes.groupby(list(codes.columns), sort=True).ngroup().to_numpy()
    d["_g"] = gid_all[: len(d)]
    s["_g"] = gid_all[len(d):]

    d = sort_rows(d, ["_g", *demand_order, demand_id])
    s = sort_rows(s, ["_g", *supply_order, supply_id])

    n_groups = int(gid_all.max()) + 1 if len(gid_all) else 0
    d_tot = np.bincount(d["_g"].to_numpy(), weights=d["_q"].to_numpy(), minlength=n_groups).astype(np.int64)
    s_tot = np.bincount(s["_g"].to_numpy(), weights=s["_q"].to_numpy(), minlength=n_groups).astype(np.int64)
    span = np.maximum(d_tot, s_tot)
    base = np.concatenate(([0], np.cumsum(span)[:-1])).astype(np.int64)

    d_q = d["_q"].to_numpy()
    s_q = s["_q"].to_numpy()
    d_end = base[d["_g"].to_numpy()] + d.groupby("_g", sort=False)["_q"].cumsum().to_numpy()
    s_end = base[s["_g"].to_numpy()] + s.groupby("_g", sort=False)["_q"].cumsum().to_numpy()
    d_start = d_end - d_q
    s_start = s_end - s_q

    # the four arrays are each sorted (groups laid end to end), so a stable sort merges four runs; then the
    # distinct values (what np.unique gives, without its hash table)
    points = np.sort(np.concatenate((d_start, d_end, s_start, s_end)), kind="stable")
    if len(points):
        points = points[np.concatenate(([True], points[1:] != points[:-1]))]
    left, right = points[:-1], points[1:]
    di = np.searchsorted(d_end, left, side="right")
    si = np.searchsorted(s_end, left, side="right")
    ok = (di < len(d_end)) & (si < len(s_end))
    di_c = np.minimum(di, max(len(d_end) - 1, 0))
    si_c = np.minimum(si, max(len(s_end) - 1, 0))
    if len(d_end):
        ok &= d_start[di_c] <= left
    if len(s_end):
        ok &= s_start[si_c] <= left
    ok &= right > left

    d_reset = d.reset_index(drop=True)
    s_reset = s.reset_index(drop=True)
    seg = pd.DataFrame({"_di": di_c[ok], "_si": si_c[ok], "qty": (right - left)[ok]})
    seg = seg.groupby(["_di", "_si"], sort=True, as_index=False)["qty"].sum()
    alloc = pd.concat(
        [
            d_reset.loc[seg["_di"].to_numpy(), d_cols].reset_index(drop=True),
            s_reset.loc[seg["_si"].to_numpy(), [supply_id]].reset_index(drop=True),
            seg[["qty"]].astype("int64").reset_index(drop=True),
        ],
        axis=1,
    )
    served = np.bincount(seg["_di"].to_numpy(), weights=seg["qty"].to_numpy(), minlength=len(d_reset))
    short = d_q - served.astype(np.int64)
    shortfalls = d_reset.loc[short > 0, d_cols].copy()
    shortfalls["qty"] = d_q[short > 0]
    shortfalls["short"] = short[short > 0]
    return alloc.reset_index(drop=True), shortfalls.reset_index(drop=True)
