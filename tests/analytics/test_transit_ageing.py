"""Value in transit per day from the title ledger, and stock ageing by lot, against the sandbox world's own
shipments and the 3PL's files; and the ageing arithmetic on a hand-built case."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from aggregator.analytics.ageing import ageing_summary, lot_ageing
from aggregator.analytics.in_transit import in_transit
from aggregator.analytics.stock_ageing import ageing
from aggregator.analytics.transit import end_of_day
from aggregator.matching_service.queries import position_at
from platform_adapters.sandbox.logistics import render_logistics
from platform_adapters.sandbox.shipments import build_shipments, owner_code


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def test_units_on_the_water_then_in_the_warehouse(analytics_world) -> None:
    shipments = build_shipments(analytics_world.world)
    for owner_id, _name in analytics_world.world.owners:
        mine = [s for s in shipments if s.owner_id == owner_id]
        # the ledger's lots carry the units received (a short receipt's missing units never became stock)
        planned = sum(line.good + line.damaged for s in mine for line in s.lines)
        sailing = _utc(mine[0].etd + 2 * 86400).date()  # on board the day after etd; arrives at eta
        with Session(analytics_world.engine) as session:
            report = in_transit(session, owner_id, sailing.strftime("%Y-%m"), at=_utc(analytics_world.now))
        series, totals = report.tables["series"], report.tables["totals"]
        on_day = series[series["day"] == sailing.isoformat()]
        assert set(on_day["title_state"]) == {"SELLER_TITLE_IN_TRANSIT"} and set(on_day["stage"]) == {"ON_THE_WATER"}
        assert int(on_day["qty"].sum()) == planned
        # every day's units equal the title position at the end of that day
        for day in sorted(set(totals["day"]))[::7]:
            position = position_at(analytics_world.engine, end_of_day(datetime.fromisoformat(day).date()), owner_id)
            assert int(totals.loc[totals["day"] == day, "total_qty"].sum()) == int(position["qty"].sum())
        received = _utc(max(box.received for s in mine for box in s.boxes) + 86400).date()
        if received.strftime("%Y-%m") == sailing.strftime("%Y-%m"):
            after = totals[totals["day"] == received.isoformat()]
            assert int(after["in_transit_qty"].sum()) == 0


def test_lot_ages_units_and_sales_match_the_3pl_files(analytics_world) -> None:
    world, now = analytics_world.world, analytics_world.now
    files = render_logistics(world, now)
    stock = list(csv.DictReader(io.StringIO(files["stock_lots_snapshot.csv"])))
    outbound = list(csv.DictReader(io.StringIO(files["warehouse_outbound.csv"])))
    received = {s.lot_id(line): s.boxes[line.box].received for s in build_shipments(world) for line in s.lines}
    as_of = _utc(now)
    for owner_id, _name in world.owners:
        with Session(analytics_world.engine) as session:
            report = ageing(session, owner_id, window_days=30, slow_days=35, now=as_of + timedelta(hours=1))
        lots = report.tables["lots"].set_index("lot_id")
        expected = {row["lot_id"]: int(row["qty_available"]) + int(row["qty_allocated"]) for row in stock
                    if row["title_holder"] == owner_code(owner_id)
                    and int(row["qty_available"]) + int(row["qty_allocated"]) > 0}
        assert set(lots.index) == set(expected)
        for lot_id, units in expected.items():
            assert lots.loc[lot_id, "on_hand"] == units
            assert lots.loc[lot_id, "age_days"] == pytest.approx((now - received[lot_id]) / 86400, abs=5e-4)
            sold = sum(int(r["qty"]) for r in outbound if r["stock_lot_id"] == lot_id and r["status"] in
                       ("SHIPPED", "DELIVERED") and datetime.fromisoformat(r["shipped_at"]) > as_of - timedelta(30))
            assert lots.loc[lot_id, "sold"] == sold, lot_id
            assert bool(lots.loc[lot_id, "slow_moving"]) == ((now - received[lot_id]) / 86400 > 35)


def test_ageing_arithmetic_on_a_hand_built_case() -> None:
    as_of = datetime(2026, 6, 30, tzinfo=UTC)
    lots = pd.DataFrame([
        {"warehouse_code": "W1", "lot_id": "OLD", "sku": "A", "received_at": as_of - timedelta(days=200),
         "on_hand": 60, "unit_cost": Decimal("2.50"), "currency": "USD"},
        {"warehouse_code": "W1", "lot_id": "NEW", "sku": "A", "received_at": as_of - timedelta(days=10),
         "on_hand": 40, "unit_cost": None, "currency": ""},
        {"warehouse_code": "W2", "lot_id": "GONE", "sku": "B", "received_at": as_of - timedelta(days=50),
         "on_hand": 0, "unit_cost": None, "currency": ""},
    ])
    sold = pd.DataFrame([
        {"warehouse_code": "W1", "lot_id": "OLD", "qty": 30, "shipped_at": as_of - timedelta(days=5)},
        {"warehouse_code": "W1", "lot_id": "OLD", "qty": 99, "shipped_at": as_of - timedelta(days=95)},  # outside
        {"warehouse_code": "W1", "lot_id": "NEW", "qty": 20, "shipped_at": as_of - timedelta(days=1)},
    ])
    table = lot_ageing(lots, sold, as_of, window_days=90, slow_days=90).set_index("lot_id")
    assert list(table.index) == ["OLD", "NEW"]  # oldest first; nothing on hand → no row
    assert table.loc["OLD", "age_days"] == 200 and table.loc["OLD", "slow_moving"]
    assert table.loc["OLD", "value"] == Decimal("150.00") and table.loc["NEW", "value"] is None
    # OLD: 90 at the start, 60 now, 30 sold → 30 / 75 × 365 / 90; NEW received inside the window: 0 → 40
    assert table.loc["OLD", "turnover"] == pytest.approx(30 / 75 * 365 / 90)
    assert table.loc["NEW", "turnover"] == pytest.approx(20 / 20 * 365 / 90)
    assert table.loc["OLD", "days_of_supply"] == pytest.approx(60 / (30 / 90))
    summary = ageing_summary(table.reset_index(), 90).set_index("warehouse_code")
    assert summary.loc["ALL", "slow_share"] == pytest.approx(0.6) and summary.loc["ALL", "on_hand"] == 100
    assert summary.loc["ALL", "mean_age_days"] == pytest.approx((200 * 60 + 10 * 40) / 100)
    assert summary.loc["ALL", "turnover"] == pytest.approx(50 / ((90 + 60 + 0 + 40) / 2) * 365 / 90)


def test_in_transit_is_valued_like_the_title_position_at_one_explicit_instant(analytics_world, tmp_path) -> None:
    """The as-of instant is the data's end (the last title event) unless given; the last day is that
    instant's, and its value in the owner's base currency equals the title position valued at that instant
    (same rates, same paths), named in the notes."""
    from sqlalchemy import func, select

    from aggregator.fx_service.rates import import_rates
    from fx.rates import Rate
    from fx.sources.base import ParsedRates
    from aggregator.matching_service.queries import valued_position_at
    from aggregator.store.db import create_engine_for, session_scope
    from aggregator.store.models.matching import TitleEventRow
    from fx.money import Money

    import sqlite3

    source = sqlite3.connect(analytics_world.engine.url.database)  # the shared world is left as it is
    with sqlite3.connect(tmp_path / "copy.sqlite") as copy:
        source.backup(copy)
    source.close()
    engine = create_engine_for(f"sqlite:///{tmp_path / 'copy.sqlite'}")
    owner_id = analytics_world.world.owners[0][0]
    with session_scope(engine) as session:
        last = session.scalar(select(func.max(TitleEventRow.effective_at)).where(
            TitleEventRow.owner_id == owner_id, TitleEventRow.retracted_at.is_(None)))
        day = last.date()
        rates = [Rate("EUR", quote, Decimal(value), day, "ECB") for quote, value in
                 (("CNY", "8.2530"), ("USD", "1.1612"), ("MYR", "4.9021"), ("SGD", "1.5088"), ("THB", "37.551"),
                  ("PHP", "67.912"), ("IDR", "19350.12"), ("VND", "30551"))]
        import_rates(session, ParsedRates("ECB", rates), payload=b"test rates", origin="test")
    with Session(engine) as session:
        report = in_transit(session, owner_id)
    totals = report.tables["totals"]
    assert totals["day"].max() == day.isoformat() and set(totals["currency"]) == {"CNY"}
    assert report.notes[0].startswith(f"{owner_id}: as of {last.isoformat(timespec='seconds')} (the data's end")
    assert "values at cost in CNY (the owner's base currency) at the rates of" in report.notes[2]
    assert f"→EUR→CNY (ECB {day})" in report.notes[2] and "none needed" not in report.notes[2]
    valued = valued_position_at(engine, last, owner_id)
    valued = valued[valued["stage"] != "TOTAL"]
    expected = Money(sum(valued["value"], Decimal(0)), "CNY").round().amount
    assert totals.loc[totals["day"] == day.isoformat(), "total_value"].iloc[0] == expected > 0
    assert int(totals.loc[totals["day"] == day.isoformat(), "total_qty"].iloc[0]) == int(valued["qty"].sum())
    moving = totals.loc[totals["day"] == day.isoformat(), "in_transit_value"].iloc[0]  # the note says the table's
    assert f"in transit at the as-of instant: {Money(moving, 'CNY')} at cost" in report.notes[1], report.notes[1]
    earlier = last - timedelta(days=20)
    with Session(engine) as session:
        given = in_transit(session, owner_id, at=earlier)
    assert given.tables["totals"]["day"].max() == earlier.date().isoformat() and "(given)" in given.notes[0]
    engine.dispose()
