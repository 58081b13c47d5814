"""Demand: weekly sales from the 3PL's outbound lines, the exponential-smoothing forecast, its rolling WAPE,
days of cover and the reorder signal — on hand-built series and on the sandbox world."""
from __future__ import annotations

import csv
import io
import warnings
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.analytics.demand import demand_table, forecast, overall_wape, weekly_sales
from aggregator.analytics.demand_report import NoLeadTime, demand
from aggregator.refusals import cli_flag
from aggregator.store.db import session_scope
from aggregator.store.models.tenancy import OwnerRow
from aggregator.tenancy import add_owner
from platform_adapters.sandbox.logistics import render_logistics


def test_weekly_sales_fill_empty_weeks_and_leave_the_current_week_out() -> None:
    monday = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday
    sales = pd.DataFrame([
        {"warehouse_code": "W", "sku": "A", "qty": 2, "at": monday + timedelta(days=1)},
        {"warehouse_code": "W", "sku": "A", "qty": 3, "at": monday + timedelta(days=6, hours=23)},
        {"warehouse_code": "W", "sku": "A", "qty": 4, "at": monday + timedelta(days=14)},
        {"warehouse_code": "W", "sku": "A", "qty": 9, "at": monday + timedelta(days=21, hours=1)},  # this week
    ])
    weekly = weekly_sales(sales, monday + timedelta(days=23))
    assert weekly["week"].tolist() == ["2026-06-01", "2026-06-08", "2026-06-15"]
    assert weekly["qty"].tolist() == [5, 0, 4]


def test_forecast_matches_statsmodels_and_a_steady_series_has_no_error() -> None:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    steady = forecast(np.full(20, 7.0))
    assert steady["forecast_weekly"] == pytest.approx(7.0) and steady["wape"] == pytest.approx(0.0, abs=1e-6)
    assert steady["wape_weeks"] == 13 and steady["wape_basis"] == "out_of_sample" and steady["wape_units"] == 91
    y = np.array([3, 5, 4, 6, 5, 7, 6, 8, 7, 9, 8, 10, 9, 11, 10, 12], float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = ExponentialSmoothing(y, trend="add", damped_trend=True, initialization_method="estimated").fit()
    assert forecast(y)["forecast_weekly"] == pytest.approx(round(float(np.mean(direct.forecast(4))), 6))
    assert forecast(np.array([]))["wape_basis"] == "no_sales" and forecast(np.zeros(5))["forecast_weekly"] == 0


def test_days_of_cover_and_signals() -> None:
    weeks = [f"2026-0{m}-0{d}" for m, d in ((3, 2), (3, 9))]
    weekly = pd.DataFrame([{"warehouse_code": "W", "sku": sku, "week": w, "qty": qty}
                           for sku, qty in (("FAST", 14), ("SLOW", 7), ("MID", 7)) for w in weeks])
    cover = pd.DataFrame([{"warehouse_code": "W", "sku": "FAST", "on_hand": 20, "in_transit": 8},
                          {"warehouse_code": "W", "sku": "SLOW", "on_hand": 100, "in_transit": 0},
                          {"warehouse_code": "W", "sku": "MID", "on_hand": 30, "in_transit": 0},
                          {"warehouse_code": "W", "sku": "IDLE", "on_hand": 5, "in_transit": 0}])
    table = demand_table(weekly, cover, lead_days=10, safety_days=7).set_index("sku")
    assert table.loc["FAST", "days_of_cover"] == pytest.approx(28 / 2) and table.loc["FAST", "signal"] == "REORDER"
    assert table.loc["MID", "days_of_cover"] == pytest.approx(30.0) and table.loc["MID", "signal"] == "OK"
    assert table.loc["SLOW", "signal"] == "OK" and table.loc["IDLE", "signal"] == "NO_DEMAND"
    assert table.loc["MID", "reorder_point_days"] == 17
    table.loc["FAST", ["wape", "wape_units"]] = [0.5, 10]
    table.loc["SLOW", ["wape", "wape_units"]] = [0.2, 30]
    assert overall_wape(table.loc[["FAST", "SLOW"]]) == pytest.approx((0.5 * 10 + 0.2 * 30) / 40)


def test_weekly_sales_of_the_world_equal_the_3pl_outbound_file(analytics_world) -> None:
    world, now = analytics_world.world, analytics_world.now
    rows = list(csv.DictReader(io.StringIO(render_logistics(world, now)["warehouse_outbound.csv"])))
    as_of = datetime.fromtimestamp(now, UTC)
    this_week = (as_of - timedelta(days=as_of.weekday())).date()
    owner = world.owners[0][0]
    with Session(analytics_world.engine) as session:
        report = demand(session, owner, now=as_of)

    with session_scope(analytics_world.engine) as session:  # a new owner: nothing measured, nothing sold
        if session.get(OwnerRow, 1) is not None and not session.scalar(
                select(OwnerRow.id).where(OwnerRow.owner_id == "NEWBRAND")):
            add_owner(session, "NEWBRAND", "New Brand")
    with Session(analytics_world.engine) as session:
        with pytest.raises(NoLeadTime) as refused:
            demand(session, "NEWBRAND", now=as_of)
        assert refused.value.fields == ("lead_days",)  # named as each caller names it
        assert refused.value.render(cli_flag).startswith("--lead-days is needed: owner NEWBRAND has no measured")
        assert str(refused.value).startswith("lead_days is needed")  # the API's query parameter
        empty = demand(session, "NEWBRAND", lead_days=20, now=as_of)
        assert empty.tables["demand"].empty and "WAPE —" in empty.notes[0]
    weekly, table = report.tables["weekly"], report.tables["demand"]
    skus = set(table["sku"])
    expected: dict[tuple[str, str], int] = {}
    for r in rows:
        at = datetime.fromisoformat(r["created_at"])
        if r["status"] != "CANCELED" and r["sku"] in skus and at.astimezone(UTC).date() < this_week:
            expected[(r["warehouse_code"], r["sku"])] = expected.get((r["warehouse_code"], r["sku"]), 0) + int(r["qty"])
    got = weekly.groupby(["warehouse_code", "sku"])["qty"].sum().to_dict()
    assert {k: v for k, v in got.items() if v} == expected
    known = table[table["forecast_weekly"] > 0]
    assert not known.empty
    for row in known.itertuples():
        assert row.days_of_cover == pytest.approx((row.on_hand + row.in_transit) / (row.forecast_weekly / 7), rel=1e-3)
