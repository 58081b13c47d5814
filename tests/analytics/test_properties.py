"""Properties of the pure analytics: legs add up along the chain, and first-expiry-first-out never loses or
invents a unit, and never puts more at risk when demand is higher."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.analytics.expiry import expiry_risk
from aggregator.analytics.legs import order_legs

T0 = datetime(2026, 3, 1, tzinfo=UTC)
gap = st.integers(min_value=0, max_value=40 * 86_400)


@settings(max_examples=30)
@given(st.lists(st.tuples(gap, gap, gap, gap, st.integers(1, 9)), min_size=1, max_size=4), gap, gap, gap)
def test_the_legs_add_up(lots, to_dispatch, to_delivery, to_payout) -> None:
    ordered = T0 + timedelta(days=100)
    dispatched = ordered + timedelta(seconds=to_dispatch)
    delivered = dispatched + timedelta(seconds=to_delivery)
    paid = delivered + timedelta(seconds=to_payout)
    orders = pd.DataFrame([{"order_key": "o", "owner_id": "X", "platform": "shopee", "shop_id": "1", "country": "MY",
                            "ordered_at": ordered, "dispatched_at": dispatched, "delivered_at": delivered,
                            "paid_out_at": paid}])
    rows = []
    for n, (a, b, c, d, units) in enumerate(lots):
        received = ordered - timedelta(seconds=d)
        released = received - timedelta(seconds=c)
        arrived = released - timedelta(seconds=b)
        rows.append({"order_key": "o", "lot_key": f"L{n}", "units": units, "on_board_at": arrived - timedelta(seconds=a),
                     "arrived_at": arrived, "released_at": released, "received_at": received})
    legs = order_legs(orders, pd.DataFrame(rows)).iloc[0]
    assert legs["order_to_cash"] == to_dispatch + to_delivery + to_payout
    assert legs["order_to_cash"] == legs["order_to_dispatch"] + legs["dispatch_to_delivery"] + legs["delivery_to_payout"]
    upstream = legs["on_board_to_arrival"] + legs["arrival_to_release"] + legs["release_to_receipt"] + \
        legs["receipt_to_order"]
    assert abs(legs["on_board_to_cash"] - (upstream + legs["order_to_cash"])) < 1e-6


lot = st.tuples(st.integers(-5, 120), st.integers(1, 200))


@settings(max_examples=40)
@given(st.lists(lot, min_size=1, max_size=6), st.floats(0, 20), st.floats(0, 20))
def test_fefo_keeps_every_unit_and_more_demand_risks_less(lots, low, extra) -> None:
    frame = pd.DataFrame([{"warehouse_code": "W", "sku": "A", "lot_id": f"L{n}", "batch_no": None,
                           "expiry_date": T0.date() + timedelta(days=days), "on_hand": units,
                           "unit_cost": Decimal("1.00"), "currency": "MYR"} for n, (days, units) in enumerate(lots)])
    slow = expiry_risk(frame, {("W", "A"): low}, T0).set_index("lot_id")
    fast = expiry_risk(frame, {("W", "A"): low + extra}, T0).set_index("lot_id")
    for table in (slow, fast):
        assert (table["sold_before_expiry"] + table["at_risk"] == table["on_hand"]).all()
        assert (table["at_risk"] >= 0).all()
    assert fast["at_risk"].sum() <= slow["at_risk"].sum()
