"""The sandbox walks its orders through every status each platform documents, and only through those."""
from __future__ import annotations

from collections import defaultdict

import httpx

from platform_adapters.lazada.statuses import DOCUMENTED as LAZADA
from platform_adapters.sandbox.world import generate_world
from platform_adapters.shopee.statuses import DOCUMENTED as SHOPEE
from platform_adapters.tiktok.statuses import DOCUMENTED as TIKTOK

DOCUMENTED = {"shopee": set(SHOPEE), "lazada": set(LAZADA), "tiktok": set(TIKTOK)}


def test_a_three_hundred_order_world_shows_every_documented_status_and_nothing_else():
    world = generate_world(7, 300)
    seen: dict[str, set[str]] = defaultdict(set)
    for order in world.orders:
        seen[order.shop.platform].update(raw for raw, _ in order.raw_events)
    for platform, documented in DOCUMENTED.items():
        assert seen[platform] == documented, (platform, documented ^ seen[platform])


def test_lost_parcels_are_never_delivered_or_settled():
    world = generate_world(7, 300)
    lost = [o for o in world.orders if o.stages[-1][0] == "LOST"]
    assert lost
    for order in lost:
        assert order.settled_at is None and order.stage_time("DELIVERED") is None


def test_served_order_lists_carry_the_paths_statuses(control: httpx.Client):
    truth = control.get("/_sandbox/truth/orders").json()["orders"]
    for order in truth:
        assert order["raw_status"] in DOCUMENTED[order["platform"]], order
