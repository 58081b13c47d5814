"""Webhooks end to end: the sandbox pushes signed order-status changes (with duplicates and swapped
order) to a live API server; each event is verified, stored once, written from the push where it
says enough and applied by the shop's batched re-read, so the database ends with every pushed
order's current status. Bad signatures and unknown shops are
refused (401: nothing is decoded before the signature verifies) and nothing is stored."""
from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.api.app import create_app
from aggregator.sandbox_link import connect_sandbox
from aggregator.store.models import OrderRow, ShopRow
from aggregator.store.models.webhooks import WebhookEventRow
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import sync_shop
from platform_adapters.sandbox import running_sandbox
from tests.api.server import loopback_socket, start_server


@pytest.fixture
def api(sqlite_engine) -> Iterator[tuple[str, Vault]]:
    vault = Vault(Fernet.generate_key())
    sock = loopback_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(sqlite_engine, vault=vault), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    try:
        thread = start_server(server, sock)
        yield f"http://127.0.0.1:{port}", vault
        server.should_exit = True
        thread.join(timeout=10)
    finally:
        sock.close()


def settled(engine, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as session:
            if not session.scalar(select(func.count()).select_from(WebhookEventRow)
                                  .where(WebhookEventRow.status == "received")):
                return
        time.sleep(0.2)
    pytest.fail("webhook events were not applied in time")


def test_pushes_are_verified_deduplicated_and_applied(sqlite_engine, api) -> None:
    base, vault = api
    with running_sandbox(seed=11, orders=60) as sandbox:
        control = httpx.Client(base_url=sandbox.base_url, timeout=60)
        shop_ids = connect_sandbox(sqlite_engine, vault, sandbox.base_url)
        with Session(sqlite_engine) as session:
            shops = session.scalars(select(ShopRow).where(ShopRow.id.in_(shop_ids))).all()
        for shop in shops:
            sync_shop(sqlite_engine, shop, vault, "orders", since=None)
        control.post("/_sandbox/webhooks", json={"url": base + "/webhooks/{platform}", "duplicate_rate": 0.4,
                                                 "out_of_order": True}).raise_for_status()
        control.post("/_sandbox/clock/advance", params={"seconds": 6 * 86400}).raise_for_status()
        settled(sqlite_engine)
        deliveries = control.get("/_sandbox/webhooks/deliveries").json()
        deliveries = deliveries.get("deliveries", deliveries) if isinstance(deliveries, dict) else deliveries
        truth = {(o["platform"], o["shop_id"], o["order_id"]): o["raw_status"]
                 for o in control.get("/_sandbox/truth/orders").json()["orders"]}
    assert deliveries and all(d["http_status"] == 200 for d in deliveries), deliveries[:3]
    assert any(d["duplicate"] for d in deliveries)
    assert {d["platform"] for d in deliveries} == {"shopee", "lazada", "tiktok"}
    with Session(sqlite_engine) as session:
        events = session.scalars(select(WebhookEventRow)).all()
        stored = {(r.platform, r.shop_id, r.order_id): r.raw_status for r in session.execute(
            select(OrderRow.platform, OrderRow.shop_id, OrderRow.order_id, OrderRow.raw_status))}
    assert len(events) < len(deliveries)  # duplicates acknowledged, stored once
    done = ("applied", "unchanged", "stale")
    assert all(e.status in done for e in events), [(e.status, e.detail) for e in events if e.status not in done]
    pushed = {(e.platform, e.shop_id, e.order_id) for e in events}
    assert pushed and all(stored[key] == truth[key] for key in pushed), [
        (key, stored.get(key), truth[key]) for key in pushed if stored.get(key) != truth[key]]


def test_bad_signature_and_unknown_shop_are_refused(sqlite_engine, api) -> None:
    base, vault = api
    with running_sandbox(seed=12, orders=10) as sandbox:
        connect_sandbox(sqlite_engine, vault, sandbox.base_url)
        with Session(sqlite_engine) as session:
            shop = session.scalars(select(ShopRow).where(ShopRow.platform == "shopee")).first()
    body = (b'{"code":3,"shop_id":%s,"timestamp":1,"data":{"ordersn":"X1","status":"SHIPPED","update_time":1}}'
            % shop.shop_id.encode())
    refused = httpx.post(f"{base}/webhooks/shopee", content=body, headers={"Authorization": "0" * 64}, timeout=60)
    assert refused.status_code == 401 and "signature" in refused.json()["detail"]
    # nothing is decoded or looked up before the signature verifies (tests/webhooks/test_edge.py has the
    # signed unknown-shop and malformed cases: 422 and 400)
    unknown = httpx.post(f"{base}/webhooks/shopee", content=body.replace(shop.shop_id.encode(), b"999"),
                         headers={"Authorization": "0" * 64}, timeout=60)
    assert unknown.status_code == 401
    garbage = httpx.post(f"{base}/webhooks/lazada", content=b"not json", timeout=60)
    assert garbage.status_code == 401 and "without an Authorization" in garbage.json()["detail"]
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(WebhookEventRow)) == 0
