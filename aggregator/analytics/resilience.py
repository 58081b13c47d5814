"""The business-resilience index (业务韧性指数) of an owner, 0–100, from four parts (pure).

| part | measure | score (0–100) |
|---|---|---|
| supply-chain response elasticity | order → delivery days of the period's orders: standard deviation σ and mean μ | 100 × max(0, 1 − σ / μ) |
| inventory health | slow-moving share s of units on hand, turnover t (turns a year) | 50 × (1 − s) + 50 × min(1, t / target) |
| demand-sensing accuracy | rolling 3-month WAPE w of the weekly forecast | 100 × max(0, 1 − w) |
| collaboration efficiency | mean days d from first seen to resolved of the exceptions resolved | 100 × r / (r + d) |

``target`` (turnover a year, default 6) and ``r`` (days, default 2: a two-day resolution scores 50) are
``Parameters``. The index is the mean of the parts that could be measured; a part without data (no order
delivered, no stock, no forecast error, no exception resolved) is shown as not measured and left out, and
the number of parts measured is given beside the index — never a made-up score.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PARTS = ("elasticity", "inventory_health", "demand_sensing", "collaboration")


@dataclass(frozen=True, slots=True)
class Parameters:
    turnover_target: float = 6.0
    resolution_days: float = 2.0


@dataclass(frozen=True, slots=True)
class Inputs:
    delivery_days: tuple[float, ...] = ()
    slow_share: float = math.nan
    turnover: float = math.nan
    wape: float = math.nan
    resolution_days: float = math.nan  # mean of the resolved exceptions


def _clamp(value: float) -> float:
    return min(100.0, max(0.0, value))


def part_scores(inputs: Inputs, params: Parameters = Parameters()) -> dict[str, dict[str, float | str]]:
    """Each part's measure text, values and score (``nan`` when not measured)."""
    out: dict[str, dict[str, float | str]] = {}
    days = np.asarray([d for d in inputs.delivery_days if not math.isnan(d)], dtype=float)
    if days.size and days.mean() > 0:
        sigma, mu = float(days.std(ddof=0)), float(days.mean())
        out["elasticity"] = {"measure": f"σ {sigma:.2f} d / μ {mu:.2f} d over {days.size} orders", "value": sigma,
                             "score": _clamp(100 * (1 - sigma / mu))}
    else:
        out["elasticity"] = {"measure": "no order delivered", "value": math.nan, "score": math.nan}
    if not math.isnan(inputs.slow_share) and not math.isnan(inputs.turnover):
        out["inventory_health"] = {
            "measure": f"slow-moving {inputs.slow_share:.1%}, turnover {inputs.turnover:.2f}/year",
            "value": inputs.slow_share,
            "score": _clamp(50 * (1 - inputs.slow_share) + 50 * min(1.0, inputs.turnover / params.turnover_target))}
    else:
        out["inventory_health"] = {"measure": "no stock on hand", "value": math.nan, "score": math.nan}
    if not math.isnan(inputs.wape):
        out["demand_sensing"] = {"measure": f"WAPE {inputs.wape:.1%}", "value": inputs.wape,
                                 "score": _clamp(100 * (1 - inputs.wape))}
    else:
        out["demand_sensing"] = {"measure": "no forecast error measured", "value": math.nan, "score": math.nan}
    if not math.isnan(inputs.resolution_days):
        d = max(0.0, inputs.resolution_days)
        out["collaboration"] = {"measure": f"mean resolution {d:.2f} d", "value": d,
                                "score": _clamp(100 * params.resolution_days / (params.resolution_days + d))}
    else:
        out["collaboration"] = {"measure": "no exception resolved", "value": math.nan, "score": math.nan}
    return out


def resilience_index(scores: dict[str, dict[str, float | str]]) -> tuple[float, int]:
    """(index 0–100 over the measured parts, number of parts measured); (nan, 0) when none is."""
    measured = [float(scores[p]["score"]) for p in PARTS if not math.isnan(float(scores[p]["score"]))]
    return (sum(measured) / len(measured), len(measured)) if measured else (math.nan, 0)
