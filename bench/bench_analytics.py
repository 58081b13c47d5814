"""Analytics computation (``aggregator.analytics``) on synthetic inputs, next to baselines of the same run:

* legs: ``legs.order_legs`` (per-order legs, lot legs weighted by units) + ``legs.leg_distributions`` over the
  five dimensions, for N orders with one or two lots each; baseline: bare pandas column subtraction and one
  ``groupby(...).quantile/std`` per dimension on the same instants (no lots, no weighting, no checks);
* demand: ``demand.demand_table`` (forecast + rolling 13-week WAPE backtest + cover + signal) for S weekly
  series of 26 weeks; baseline: one bare statsmodels ``ExponentialSmoothing(...).fit().forecast(4)`` per
  series (the forecast alone, no backtest).

    .venv/bin/python bench/bench_analytics.py                      # 100,000 orders, 200 series
    .venv/bin/python bench/bench_analytics.py --orders 1000000 --series 1000
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from context import cpu_model

from aggregator.analytics.demand import demand_table
from aggregator.analytics.legs import leg_distributions, order_legs


def legs_input(orders: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    ordered = t0 + pd.to_timedelta(rng.integers(0, 180 * 86400, orders), unit="s")
    day = pd.Timedelta(days=1)
    frame = pd.DataFrame({
        "order_key": [f"shopee|S{i % 20}|O{i}" for i in range(orders)], "owner_id": "OWNER",
        "platform": rng.choice(["shopee", "lazada", "tiktok"], orders), "shop_id": [f"S{i % 20}" for i in range(orders)],
        "country": rng.choice(["MY", "SG", "TH", "PH", "ID", "VN"], orders), "ordered_at": ordered,
        "dispatched_at": ordered + day * rng.uniform(0.2, 3, orders),
    })
    frame["delivered_at"] = frame["dispatched_at"] + day * rng.uniform(1, 8, orders)
    frame["paid_out_at"] = frame["delivered_at"] + day * rng.uniform(2, 15, orders)
    lots_per = rng.integers(1, 3, orders)
    keys = np.repeat(frame["order_key"].to_numpy(), lots_per)
    n = len(keys)
    received = np.repeat(ordered, lots_per) - day * rng.uniform(5, 60, n)
    lots = pd.DataFrame({"order_key": keys, "lot_key": [f"L{i % 500}" for i in range(n)],
                         "units": rng.integers(1, 5, n), "received_at": received})
    lots["released_at"] = lots["received_at"] - day * rng.uniform(1, 3, n)
    lots["arrived_at"] = lots["released_at"] - day * rng.uniform(1, 4, n)
    lots["on_board_at"] = lots["arrived_at"] - day * rng.uniform(5, 25, n)
    return frame, lots


def baseline_legs(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.assign(month=frame["ordered_at"].dt.strftime("%Y-%m"),
                       order_to_cash=(frame["paid_out_at"] - frame["ordered_at"]).dt.total_seconds() / 86400,
                       order_to_dispatch=(frame["dispatched_at"] - frame["ordered_at"]).dt.total_seconds() / 86400)
    parts = []
    for dim in ("owner_id", "platform", "shop_id", "country", "month"):
        g = out.groupby(dim)[["order_to_cash", "order_to_dispatch"]]
        parts.append(pd.concat([g.quantile(0.5), g.quantile(0.9), g.std(ddof=0)], axis=1))
    return pd.concat(parts)


def demand_input(series: int, weeks: int = 26, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(series):
        level = rng.uniform(2, 60)
        for w in range(weeks):
            rows.append({"warehouse_code": "WH1", "sku": f"SKU-{s:05d}",
                         "week": (pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=w)).strftime("%Y-%m-%d"),
                         "qty": int(max(0, rng.normal(level, level * 0.3)))})
    return pd.DataFrame(rows)


def baseline_demand(weekly: pd.DataFrame) -> int:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    count = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _key, part in weekly.groupby(["warehouse_code", "sku"]):
            ExponentialSmoothing(part["qty"].to_numpy().astype(float), trend="add", damped_trend=True,
                                 initialization_method="estimated").fit().forecast(4)
            count += 1
    return count


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--series", type=int, default=200)
    args = parser.parse_args()
    import statsmodels

    print(f"machine: {cpu_model()}, {platform.python_implementation()} {platform.python_version()}, "
          f"pandas {pd.__version__}, statsmodels {statsmodels.__version__}")
    orders, lots = legs_input(args.orders)
    ours, legs = timed(lambda: leg_distributions(order_legs(orders, lots)))
    base, _ = timed(baseline_legs, orders)
    print(f"legs, {args.orders:,} orders / {len(lots):,} lot rows: ours {ours:.2f} s "
          f"({args.orders / ours:,.0f} orders/s, {len(legs)} distribution rows); "
          f"baseline bare pandas groupby {base:.2f} s ({args.orders / base:,.0f} orders/s)")
    weekly = demand_input(args.series)
    cover = pd.DataFrame({"warehouse_code": "WH1", "sku": sorted(set(weekly["sku"])), "on_hand": 100, "in_transit": 0})
    ours, _table = timed(lambda: demand_table(weekly, cover, lead_days=20, safety_days=14))
    base, fitted = timed(baseline_demand, weekly)
    print(f"demand, {args.series:,} series × 26 weeks: ours {ours:.2f} s ({ours / args.series * 1000:.0f} ms/series, "
          f"forecast + 13-week backtest); baseline one statsmodels fit per series {base:.2f} s "
          f"({base / fitted * 1000:.0f} ms/series)")


if __name__ == "__main__":
    main()
