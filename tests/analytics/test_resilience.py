"""The resilience index on a hand-built case, exception resolution times by kind, and the report's history
on the sandbox world."""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from aggregator.analytics.collaboration import resolution_times
from aggregator.analytics.resilience import PARTS, Inputs, Parameters, part_scores, resilience_index
from aggregator.analytics.resilience_report import resilience


def test_index_of_a_hand_built_owner() -> None:
    inputs = Inputs(delivery_days=(2.0, 4.0, 6.0, 4.0), slow_share=0.2, turnover=3.0, wape=0.25,
                    resolution_days=2.0)
    scores = part_scores(inputs, Parameters(turnover_target=6.0, resolution_days=2.0))
    sigma = math.sqrt(((2 - 4) ** 2 + 0 + (6 - 4) ** 2 + 0) / 4)  # population σ of 2, 4, 6, 4 (μ = 4)
    assert scores["elasticity"]["score"] == pytest.approx(100 * (1 - sigma / 4))
    assert scores["inventory_health"]["score"] == pytest.approx(50 * 0.8 + 50 * 0.5)  # 65
    assert scores["demand_sensing"]["score"] == pytest.approx(75.0)
    assert scores["collaboration"]["score"] == pytest.approx(50.0)
    index, measured = resilience_index(scores)
    assert measured == 4
    assert index == pytest.approx((100 * (1 - sigma / 4) + 65 + 75 + 50) / 4)
    # a part with no data is shown as not measured and left out, never scored 0 or 100
    partial = part_scores(Inputs(delivery_days=(3.0, 3.0), wape=1.4))
    assert math.isnan(partial["inventory_health"]["score"]) and math.isnan(partial["collaboration"]["score"])
    assert partial["demand_sensing"]["score"] == 0 and partial["elasticity"]["score"] == 100
    assert resilience_index(partial) == (50.0, 2)
    assert resilience_index(part_scores(Inputs())) [1] == 0


def test_resolution_times_by_kind() -> None:
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    frame = pd.DataFrame([
        {"queue": "match", "kind": "match:unknown_order", "first_seen_at": t0, "resolved_at": t0 + timedelta(days=1)},
        {"queue": "match", "kind": "match:unknown_order", "first_seen_at": t0, "resolved_at": t0 + timedelta(days=3)},
        {"queue": "queue", "kind": "import:outbound:rejects", "first_seen_at": t0, "resolved_at": None},
    ])
    table = resolution_times(frame, t0 + timedelta(days=10)).set_index("kind")
    assert table.loc["match:unknown_order", "resolved"] == 2 and table.loc["match:unknown_order", "mean_days"] == 2
    assert table.loc["import:outbound:rejects", "open"] == 1
    assert table.loc["import:outbound:rejects", "open_p50_age_days"] == 10
    assert table.loc["ALL", "resolved"] == 2 and table.loc["ALL", "open"] == 1


def test_resilience_report_on_the_world(analytics_world) -> None:
    owner = analytics_world.world.owners[0][0]
    now = datetime.fromtimestamp(analytics_world.now, UTC)
    with Session(analytics_world.engine) as session:
        report = resilience(session, owner, now=now)
    history, parts = report.tables["history"], report.tables["parts"]
    assert history["month"].iloc[-1] == now.strftime("%Y-%m") and list(parts["part"]) == list(PARTS)
    last = history.iloc[-1]
    measured = parts["score"].dropna()
    assert last["parts_measured"] == len(measured) >= 3
    assert last["index"] == pytest.approx(measured.mean(), abs=0.01)
    assert parts.loc[parts["score"].notna(), "weight"].sum() == pytest.approx(1.0, abs=1e-3)
    assert report.notes[0].startswith(f"{owner}: resilience index ")
    next_month = (now.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    with Session(analytics_world.engine) as session, pytest.raises(ValueError, match=f"period {next_month} has not"):
        resilience(session, owner, next_month, now=now)  # today's inputs are not next month's index
