"""Demand per SKU and warehouse (pure): weekly sales, a forecast, its rolling 3-month error and days of cover.

* **Weekly sales**: units of the 3PL's outbound lines (cancelled ones left out) per ISO week (Monday 00:00
  UTC), from the SKU's first week to the last complete week before ``as_of``; weeks without sales are 0.
* **Forecast**: statsmodels' ``ExponentialSmoothing`` (Holt-Winters) — level only, or with an additive
  damped trend once there are ``TREND_WEEKS`` weeks — fitted by maximum likelihood; ``forecast_weekly``
  is the mean of the next ``horizon`` weeks' forecasts (never below 0; rounded to 10⁻⁶ unit).
* **Rolling 3-month WAPE**: over the last ``window`` weeks (13 ≈ 3 months, fewer when the history is
  shorter), each week forecast one step ahead from the weeks before it with the smoothing parameters
  estimated on the weeks before the window (``wape_basis`` ``out_of_sample``); when fewer than
  ``MIN_FIT_WEEKS`` weeks precede the window, on the whole history (``in_sample_parameters``).
  WAPE = Σ|actual − forecast| / Σ actual (empty when nothing sold in the window).
* **Days of cover** = (on hand + in transit) / (``forecast_weekly`` / 7); the **signal** is ``REORDER``
  when it is below the lead time plus the safety days, ``WATCH`` below the lead time plus twice the safety
  days, ``OK`` above, ``NO_DEMAND`` when the forecast is 0.
"""
from __future__ import annotations

import warnings
from datetime import datetime

import numpy as np
import pandas as pd

TREND_WEEKS = 10
MIN_FIT_WEEKS = 4
WINDOW_WEEKS = 13
HORIZON_WEEKS = 4
FORECAST_DIGITS = 6  # a forecast below a millionth of a unit a week is no demand
SALES_COLUMNS = ["warehouse_code", "sku", "qty", "at"]
WEEKLY_COLUMNS = ["warehouse_code", "sku", "week", "qty"]
DEMAND_COLUMNS = ["warehouse_code", "sku", "weeks", "last_week_qty", "mean_weekly", "forecast_weekly", "wape",
                  "wape_weeks", "wape_units", "wape_basis", "on_hand", "in_transit", "days_of_cover", "reorder_point_days",
                  "signal"]


def week_start(at: pd.Series) -> pd.Series:
    """Monday 00:00 UTC of each instant's ISO week."""
    when = pd.to_datetime(at, utc=True)
    return (when - pd.to_timedelta(when.dt.day_of_week, unit="D")).dt.normalize()


def weekly_sales(sales: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """``WEEKLY_COLUMNS``: complete weeks only (the week of ``as_of`` is not over), zeros filled."""
    last_complete = week_start(pd.Series([pd.Timestamp(as_of)])).iloc[0] - pd.Timedelta(days=7)
    if sales.empty:
        return pd.DataFrame(columns=WEEKLY_COLUMNS)
    frame = sales.assign(week=week_start(sales["at"]))
    frame = frame[frame["week"] <= last_complete]
    out = []
    for (warehouse, sku), part in frame.groupby(["warehouse_code", "sku"], sort=True):
        weeks = pd.date_range(part["week"].min(), last_complete, freq="7D")
        totals = part.groupby("week")["qty"].sum().reindex(weeks, fill_value=0)
        out.append(pd.DataFrame({"warehouse_code": warehouse, "sku": sku, "week": weeks.strftime("%Y-%m-%d"),
                                 "qty": totals.to_numpy().astype("int64")}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=WEEKLY_COLUMNS)


def _model(y: np.ndarray, trend: bool):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    return ExponentialSmoothing(y.astype(float), trend="add" if trend else None, damped_trend=trend,
                                initialization_method="estimated")


_PARAMETERS = ("smoothing_level", "smoothing_trend", "damping_trend", "initial_level", "initial_trend")


def forecast(y: np.ndarray, horizon: int = HORIZON_WEEKS, window: int = WINDOW_WEEKS) -> dict:
    """``forecast_weekly``, ``wape``, ``wape_weeks`` and ``wape_basis`` of one weekly series."""
    y = np.asarray(y, dtype=float)
    out = {"forecast_weekly": float("nan"), "wape": float("nan"), "wape_weeks": 0, "wape_units": 0,
           "wape_basis": ""}
    if len(y) < 2:
        out["wape_basis"] = "too_short" if len(y) else "no_sales"
        if len(y):
            out["forecast_weekly"] = float(y[-1])
        return out
    if not y.any():
        out.update(forecast_weekly=0.0, wape_basis="no_sales")
        return out
    span = min(window, len(y) - 1)
    before = len(y) - span
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence notes on short series; the fit is still used
        ahead = float(np.mean(_model(y, len(y) >= TREND_WEEKS).fit().forecast(horizon)))
        out["forecast_weekly"] = round(max(0.0, ahead), FORECAST_DIGITS)
        if before >= MIN_FIT_WEEKS:
            trend, basis = before >= TREND_WEEKS, "out_of_sample"
            params = _model(y[:before], trend).fit().params
        else:
            trend, basis = len(y) >= TREND_WEEKS, "in_sample_parameters"
            params = _model(y, trend).fit().params
        model = _model(y, trend)
        fixed = {k: float(params[k]) for k in _PARAMETERS if params.get(k) is not None
                 and not np.isnan(params[k]) and (trend or k in ("smoothing_level", "initial_level"))}
        with model.fix_params(fixed):
            steps = model.fit(optimized=False).fittedvalues[before:]  # one step ahead, nothing re-estimated
    actual = y[before:]
    total = actual.sum()
    out.update(wape=float(np.abs(actual - np.maximum(steps, 0)).sum() / total) if total else float("nan"),
               wape_weeks=int(span), wape_units=int(total), wape_basis=basis)
    return out


def demand_table(weekly: pd.DataFrame, cover: pd.DataFrame, *, lead_days: float, safety_days: float,
                 horizon: int = HORIZON_WEEKS, window: int = WINDOW_WEEKS) -> pd.DataFrame:
    """``DEMAND_COLUMNS`` per warehouse × SKU sold or held (``cover``: warehouse_code, sku, on_hand,
    in_transit)."""
    keys = pd.concat([weekly[["warehouse_code", "sku"]], cover[["warehouse_code", "sku"]]]).drop_duplicates()
    stock = cover.groupby(["warehouse_code", "sku"])[["on_hand", "in_transit"]].sum()
    series = {k: part["qty"].to_numpy() for k, part in weekly.groupby(["warehouse_code", "sku"], sort=True)}
    rows = []
    for warehouse, sku in sorted(keys.itertuples(index=False, name=None)):
        y = series.get((warehouse, sku), np.array([], dtype=float))
        result = forecast(y, horizon, window)
        on_hand = int(stock["on_hand"].get((warehouse, sku), 0))
        in_transit = int(stock["in_transit"].get((warehouse, sku), 0))
        daily = result["forecast_weekly"] / 7 if not np.isnan(result["forecast_weekly"]) else float("nan")
        cover_days = (on_hand + in_transit) / daily if daily and not np.isnan(daily) else float("nan")
        point = lead_days + safety_days
        signal = ("NO_DEMAND" if daily == 0 or np.isnan(daily) else "REORDER" if cover_days < point
                  else "WATCH" if cover_days < point + safety_days else "OK")
        rows.append({"warehouse_code": warehouse, "sku": sku, "weeks": len(y),
                     "last_week_qty": int(y[-1]) if len(y) else 0,
                     "mean_weekly": float(y.mean()) if len(y) else float("nan"), **result, "on_hand": on_hand,
                     "in_transit": in_transit, "days_of_cover": cover_days, "reorder_point_days": point,
                     "signal": signal})
    return pd.DataFrame(rows, columns=DEMAND_COLUMNS)


def overall_wape(table: pd.DataFrame) -> float:
    """The demand-sensing error of all series together: Σ|error| / Σ actual over each series' window
    (each series' WAPE weighted by the units it sold in its window)."""
    known = table[table["wape"].notna() & (table["wape_units"] > 0)]
    total = known["wape_units"].sum()
    return float((known["wape"] * known["wape_units"]).sum() / total) if total else float("nan")
