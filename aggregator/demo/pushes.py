"""The demo's webhook step: the sandbox's signed pushes sent through the running API's receivers, and the
pushed orders checked against the sandbox's truth.

The API (``aggregator.api.app.create_app`` with the demo's vault, so its ``POST /webhooks/{platform}``
receivers verify each shop's signature) is served on loopback in this process; the sandbox is told to push
there (``configure_webhooks``: each platform's own callback URL) and its simulated clock is moved on by whole
hours until enough orders have changed status (``MIN_CHANGES``, within ``MAX_HOURS``): each change goes out
as the platform sends it (Shopee push code 3 and 4, Lazada one message per order line, TikTok type 1, and
the after-sales pushes), signed with the shop's app secret. Every push must be answered 200; then every
pushed order must show, through the API (``GET /api/v1/orders/...`` with its owner's key), the raw status
the sandbox's truth gives it at the new instant (the push is applied after the answer, in the background:
polled until ``WAIT_SECONDS``).
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from collections.abc import Iterator

import httpx
from sqlalchemy import Engine

from aggregator.demo.verdict import PushVerdict
from aggregator.store.vault import Vault

HOUR = 3600
MIN_CHANGES = 15  # order status changes to push (more when one hour brings more)
MAX_HOURS = 72
WAIT_SECONDS = 20.0


@contextmanager
def running_api(engine: Engine, vault: Vault) -> Iterator[str]:
    """The API with its webhook receivers, on a free loopback port for the ``with`` block; yields its URL."""
    from aggregator.api.app import create_app
    from platform_adapters.sandbox.server import serving

    with serving(create_app(engine, vault=vault), "api", lifespan="on") as base_url:
        yield base_url


def hours_to_advance(state, minimum: int = MIN_CHANGES, most: int = MAX_HOURS) -> int:
    """Whole hours from the sandbox's now that bring at least ``minimum`` order status changes."""
    now = state.now
    times = sorted(at for order in state.world.orders for _raw, at in order.raw_events if at > now)
    if not times:
        return 1
    reach = times[min(minimum, len(times)) - 1]
    return max(1, min(most, -(-(reach - now) // HOUR)))


def push_status_changes(sandbox, api_base: str, api_keys: dict[str, str]) -> PushVerdict:
    """Push the changes of the next hours through the API's receivers; the verdict on the pushed orders."""
    from platform_adapters.sandbox.app import truth_orders
    from platform_adapters.sandbox.webhooks import configure_webhooks

    state = sandbox.state
    hours = hours_to_advance(state)
    settings = state.webhooks
    first = len(settings.deliveries)
    configure_webhooks(state, f"{api_base}/webhooks/{{platform}}")
    start = time.perf_counter()
    try:
        state.advance(hours * HOUR)  # the sandbox pushes each change as it happens, signed
    finally:
        configure_webhooks(state, None)
    deliveries = settings.deliveries[first:]
    verdict = PushVerdict(hours=hours, pushes=len(deliveries), push_seconds=time.perf_counter() - start)
    verdict.refused = [f"{d['platform']} {d['order_id']} {d['status']}: {d['http_status']}" for d in deliveries
                       if d["http_status"] != 200]
    shop_of = {(o.shop.platform, o.order_id): o.shop for o in state.world.orders}
    owner = {}  # (platform, shop id, order id) of each order whose status was pushed -> its owner
    for d in deliveries:
        if ":" not in d["status"]:  # an order status push (a return case's is "RETURN:RECEIVED" and the like)
            shop = shop_of[(d["platform"], d["order_id"])]
            owner[(d["platform"], shop.shop_id, d["order_id"])] = shop.owner_id
    pushed = sorted(owner)
    truth = {(o["platform"], o["shop_id"], o["order_id"]): o["raw_status"] for o in truth_orders(state)}
    verdict.orders = len(pushed)
    waiting = {key: truth.get(key) for key in pushed}
    deadline = time.monotonic() + WAIT_SECONDS
    with httpx.Client(base_url=api_base, timeout=30) as client:
        while waiting:
            for key, want in list(waiting.items()):
                platform, shop_id, order_id = key
                reply = client.get(f"/api/v1/orders/{platform}/{shop_id}/{order_id}",
                                   headers={"Authorization": f"Bearer {api_keys[owner[key]]}"})
                shown = reply.json().get("raw_status") if reply.status_code == 200 else f"HTTP {reply.status_code}"
                if shown == want:
                    del waiting[key]
                elif time.monotonic() > deadline:
                    verdict.differences.append(f"{platform}:{shop_id}:{order_id} shows {shown}, truth {want}")
                    del waiting[key]
            if waiting:
                time.sleep(0.05)
    verdict.showing = verdict.orders - len(verdict.differences)
    verdict.visible_seconds = time.perf_counter() - start - verdict.push_seconds
    return verdict
