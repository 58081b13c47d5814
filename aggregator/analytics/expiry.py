"""Near-expiry warnings (pure): which lots will spoil before they sell, first-expiry-first-out.

For each warehouse × SKU, its lots on hand with an expiry date are sold in expiry order (FEFO) at the SKU's
daily demand (``demand.forecast_weekly`` / 7). Lot i starts selling when the lots before it are gone (or
expired) and sells until it is gone or expires: ``sold_before_expiry`` = min(on hand, daily × (days to
expiry − start)); the rest is ``at_risk`` (units, and value at cost). ``days_of_cover`` is the day the lot
would be sold out at that rate (counting the lots before it); a lot expires first when its days to expiry
are fewer.

Status: ``EXPIRED`` (expiry before ``as_of``), ``AT_RISK`` (units will expire unsold; with no demand at all,
every unit), ``NEAR_EXPIRY`` (sells in time but expires within ``near_days``), ``OK``. Lots without an expiry
date are listed as ``NO_DATE`` and count in nobody's cover.
"""
from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

import pandas as pd

from fx.currencies import is_known
from fx.money import Money

EXPIRY_COLUMNS = ["warehouse_code", "sku", "lot_id", "batch_no", "expiry_date", "days_to_expiry", "on_hand",
                  "daily_demand", "days_of_cover", "sold_before_expiry", "at_risk", "value_at_risk", "currency",
                  "status"]
NEAR_DAYS = 30


def _value(unit, qty: float, currency: str | None) -> Decimal | None:
    """The units' value at cost, to the cost currency's minor units (none without a unit cost); exact when
    the currency has no ISO 4217 minor units to round to (a code a 3PL file wrote that ISO does not list)."""
    if unit is None or (isinstance(unit, float) and math.isnan(unit)):
        return None
    value = Decimal(str(unit)) * Decimal(str(qty))
    return Money(value, currency).round().amount if isinstance(currency, str) and is_known(currency) else value


def expiry_risk(lots: pd.DataFrame, daily: dict[tuple[str, str], float], as_of: datetime, *,
                near_days: int = NEAR_DAYS) -> pd.DataFrame:
    """``EXPIRY_COLUMNS`` per lot on hand (``lots``: warehouse_code, sku, lot_id, batch_no, expiry_date,
    on_hand, unit_cost, currency); ``daily``: units a day per (warehouse, SKU)."""
    today = pd.Timestamp(as_of).tz_convert("UTC").date() if pd.Timestamp(as_of).tzinfo else pd.Timestamp(as_of).date()
    rows = []
    held = lots[lots["on_hand"] > 0]
    for (warehouse, sku), part in held.groupby(["warehouse_code", "sku"], sort=True):
        rate = float(daily.get((warehouse, sku), 0.0) or 0.0)
        dated = part[part["expiry_date"].notna()].copy()
        dated["days_left"] = [(d - today).days for d in dated["expiry_date"]]
        start = 0.0
        for lot in dated.sort_values(["days_left", "lot_id"], kind="mergesort").itertuples(index=False):
            days, units = int(lot.days_left), int(lot.on_hand)
            if days < 0:
                sold, status = 0, "EXPIRED"
            else:
                sold = min(units, math.floor(rate * max(0.0, days - start))) if rate > 0 else 0
                status = "AT_RISK" if sold < units else "NEAR_EXPIRY" if days <= near_days else "OK"
            cover = start + units / rate if rate > 0 else math.inf
            if rate > 0 and days >= 0:
                start = min(start + units / rate, float(days)) if sold < units else start + units / rate
            rows.append({"warehouse_code": warehouse, "sku": sku, "lot_id": lot.lot_id, "batch_no": lot.batch_no,
                         "expiry_date": lot.expiry_date.isoformat(), "days_to_expiry": days, "on_hand": units,
                         "daily_demand": rate, "days_of_cover": cover if math.isfinite(cover) else float("nan"),
                         "sold_before_expiry": int(sold), "at_risk": units - int(sold),
                         "value_at_risk": _value(lot.unit_cost, units - int(sold), lot.currency), "currency": lot.currency or "",
                         "status": status})
        for lot in part[part["expiry_date"].isna()].itertuples(index=False):
            rows.append({"warehouse_code": warehouse, "sku": sku, "lot_id": lot.lot_id, "batch_no": lot.batch_no,
                         "expiry_date": None, "days_to_expiry": None, "on_hand": int(lot.on_hand), "daily_demand": rate,
                         "days_of_cover": float("nan"), "sold_before_expiry": None, "at_risk": None,
                         "value_at_risk": None, "currency": lot.currency or "", "status": "NO_DATE"})
    order = {"EXPIRED": 0, "AT_RISK": 1, "NEAR_EXPIRY": 2, "OK": 3, "NO_DATE": 4}
    out = pd.DataFrame(rows, columns=EXPIRY_COLUMNS)
    if out.empty:
        return out
    out["_o"] = out["status"].map(order)
    return out.sort_values(["_o", "expiry_date", "warehouse_code", "sku"], kind="mergesort",
                           na_position="last").drop(columns="_o").reset_index(drop=True)
