"""Every leg of every order, computed from what the store holds (synced orders and settlements, imported
BL / customs / 3PL files, matching links), equals the duration in the sandbox world's own timelines."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta, timezone

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from aggregator.analytics.cash_cycle import cash_cycle, owner_legs
from aggregator.analytics.legs import LEG_NAMES, LEGS
from aggregator.tenancy import UnknownOwner
from platform_adapters.sandbox.fulfilment import outbound_lines
from platform_adapters.sandbox.logistics import OFFSET
from platform_adapters.sandbox.shipments import build_shipments
from platform_adapters.sandbox.snapshot import state_at
from platform_adapters.sandbox.tiktok import statement_out, statement_time_of
from platform_adapters.sandbox.world import DELIVERED, SHIPPED


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _day_start(epoch: int) -> datetime:
    return datetime.combine(_utc(epoch).date(), time(), UTC)


def _paid_out(order, now: int) -> datetime | None:
    """When the platform says the order's money was released, at the precision it says it: Shopee the
    escrow release instant; Lazada the transaction day (its finance rows carry a local date); TikTok its
    daily statement's time (the next 00:00 UTC), once that statement is out (``statement_out``: one issued at
    exactly ``now`` is not)."""
    settled = order.settled_at
    if settled is None or settled > now:
        return None
    platform = order.shop.platform
    if platform == "lazada":
        zone = timezone(timedelta(hours=OFFSET[order.shop.region]))
        local = datetime.fromtimestamp(settled, zone)
        return datetime.combine(local.date(), time(), zone).astimezone(UTC)
    if platform == "tiktok":  # issued at the next 00:00 UTC, out once past (a sync reads [since, now))
        statement_time = statement_time_of(settled)
        return _utc(statement_time) if statement_out(statement_time, now) else None
    return _utc(settled)


def _truth(world, now: int) -> dict[str, dict[str, float]]:
    """Each stored order's legs in seconds from the world's timelines (``None``: not measurable yet). The
    lots an order drew from are its 3PL outbound lines' (``fulfilment``), each with its shipment's and
    container's instants; a lot leg is the unit-weighted mean over the order's lots."""
    lots: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for o in outbound_lines(world, now, build_shipments(world)):
        if o.status == "CANCELED":
            continue
        s, box = o.shipment, o.shipment.boxes[o.ship_line.box]
        key = f"{o.order.shop.platform}|{o.order.shop.shop_id}|{o.order.order_id}"
        lots[key][o.lot_id].append((o.line.quantity, {"on_board_at": _day_start(s.etd + 86400),
                                                      "arrived_at": _day_start(s.eta),
                                                      "released_at": _utc(s.released),
                                                      "received_at": _utc(box.received)}))
    out = {}
    for order in world.orders:
        if order.created_at > now:
            continue
        shop = order.shop
        key = f"{shop.platform}|{shop.shop_id}|{order.order_id}"
        state = state_at(order, now)
        shipped, delivered = order.stage_time(SHIPPED), order.stage_time(DELIVERED)
        dispatched = _utc(shipped) if shipped is not None and shipped <= now and state.stage != "CANCELLED" else None
        delivered_at = _utc(delivered) if dispatched and delivered is not None and delivered <= now else None
        facts = {"ordered_at": _utc(order.created_at), "dispatched_at": dispatched, "delivered_at": delivered_at,
                 "paid_out_at": _paid_out(order, now)}
        legs = {}
        for leg in LEGS:
            if leg.per_lot:
                weighted, weight = 0.0, 0
                for entries in lots[key].values():
                    units = sum(q for q, _ in entries)
                    lot = {**entries[0][1], **facts}
                    if lot.get(leg.start) is not None and lot.get(leg.end) is not None:
                        weighted += (lot[leg.end] - lot[leg.start]).total_seconds() * units
                        weight += units
                legs[leg.name] = weighted / weight if weight else None
            else:
                start, end = facts.get(leg.start), facts.get(leg.end)
                legs[leg.name] = (end - start).total_seconds() if start is not None and end is not None else None
        out[key] = legs
    return out


def test_every_leg_of_every_order_matches_the_world(analytics_world) -> None:
    truth = _truth(analytics_world.world, analytics_world.now)
    measured = {}
    with Session(analytics_world.engine) as session:
        for owner_id, _name in analytics_world.world.owners:
            legs = owner_legs(session, owner_id)
            for row in legs.to_dict("records"):
                measured[row["order_key"]] = {name: (None if pd.isna(row[name]) else row[name]) for name in LEG_NAMES}
    assert set(measured) == set(truth)
    counts = {name: 0 for name in LEG_NAMES}
    for key, legs in truth.items():
        assert measured[key] == legs, key
        for name, value in legs.items():
            counts[name] += value is not None
    assert all(count >= 3 for count in counts.values()), counts  # every leg is measured on real orders


def test_cash_cycle_report_tables(analytics_world) -> None:
    owner = analytics_world.world.owners[0][0]
    with Session(analytics_world.engine) as session:
        report = cash_cycle(session, owner)
        legs = owner_legs(session, owner)
    table = report.tables["distribution"]
    mine = table[(table["dimension"] == "owner") & (table["leg"] == "order_to_cash")].iloc[0]
    days = legs["order_to_cash_days"].dropna()
    assert mine["orders"] == len(days)
    assert mine["p50_days"] == pytest.approx(days.median(), abs=5e-4)
    assert mine["p90_days"] == pytest.approx(days.quantile(0.9), abs=5e-4)
    assert mine["std_days"] == pytest.approx(days.std(ddof=0), abs=5e-4)
    assert set(table["dimension"]) == {"owner", "platform", "shop", "country", "month"}
    assert all(column.endswith("_days") for column in report.tables["orders"].columns if "_to_" in column)
    assert report.notes[0].startswith(f"{owner}: ")


def test_unknown_owner_and_bad_period_are_refused(analytics_world) -> None:
    with Session(analytics_world.engine) as session:
        with pytest.raises(UnknownOwner):
            cash_cycle(session, "NOBODY")
        with pytest.raises(ValueError, match="period must be YYYY-MM"):
            cash_cycle(session, analytics_world.world.owners[0][0], "2026-13")
