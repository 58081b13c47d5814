"""Shopee push coverage end to end against the sandbox and a live API server:

* partner-level pushes (code 2 authorization cancelled for a main account's shops, code 12
  authorizations expiring) carry their shops inside ``data``: each is stored and applied once per
  registered shop it names (both shops need re-authorization; the expiring one says until when);
* the tracking-number push (code 4) writes its number into the stored package (or, for a package not
  stored yet, the order is re-read), so the packages carry their numbers;
* pushes the sandbox "loses" are fetched back by the recovery job (``get_lost_push_message``), stored,
  confirmed consumed and applied: the orders end in the sandbox's truth; a second recovery finds none.
"""
from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.push_recovery import recover_lost_pushes
from aggregator.sandbox_link import connect_sandbox
from aggregator.store.models import OrderPackageRow, OrderRow, ShopRow
from aggregator.store.models.webhooks import WebhookEventRow
from aggregator.sync.marketplace import sync_shop
from platform_adapters.sandbox import running_sandbox
from tests.api.test_webhooks import api, settled  # noqa: F401  (the live-server fixture)


def test_partner_level_tracking_and_lost_pushes(sqlite_engine, api) -> None:  # noqa: F811
    base, vault = api
    with running_sandbox(seed=11, orders=80) as sandbox:
        control = httpx.Client(base_url=sandbox.base_url, timeout=60)
        shop_ids = connect_sandbox(sqlite_engine, vault, sandbox.base_url)
        with Session(sqlite_engine) as session:
            shops = session.scalars(select(ShopRow).where(ShopRow.id.in_(shop_ids))).all()
        for shop in shops:
            sync_shop(sqlite_engine, shop, vault, "orders", since=None)
        shopee = sorted(s.shop_id for s in shops if s.platform == "shopee")
        control.post("/_sandbox/webhooks", json={"url": base + "/webhooks/{platform}", "platforms": ["shopee"],
                                                 "lose_rate": 0.4}).raise_for_status()
        control.post("/_sandbox/clock/advance", params={"seconds": 5 * 86400}).raise_for_status()
        settled(sqlite_engine)
        lost = [d for d in control.get("/_sandbox/webhooks/deliveries").json()["deliveries"]
                if d["http_status"] == "lost"]
        reports = recover_lost_pushes(sqlite_engine, vault)
        again = recover_lost_pushes(sqlite_engine, vault)
        truth = {(o["shop_id"], o["order_id"]): o["raw_status"]
                 for o in control.get("/_sandbox/truth/orders", params={"platform": "shopee"}).json()["orders"]}
        # partner-level pushes, after the rest: one expiry notice and one cancellation for two shops
        control.post("/_sandbox/webhooks", json={"url": base + "/webhooks/{platform}", "platforms": ["shopee"]})
        control.post("/_sandbox/push/partner", json={"code": 12, "shop_ids": shopee[:1]}).raise_for_status()
        control.post("/_sandbox/push/partner", json={"code": 2, "shop_ids": shopee[:2]}).raise_for_status()
        settled(sqlite_engine)
    assert lost, "the sandbox lost some pushes"
    assert sum(r.stored + r.duplicates for r in reports) >= 1 and all(r.unreadable == 0 for r in reports)
    assert sum(r.stored for r in again) == 0 and all(r.pages == 1 for r in again)  # confirmed consumed
    with Session(sqlite_engine) as session:
        stored = {(o.shop_id, o.order_id): o.raw_status for o in session.scalars(
            select(OrderRow).where(OrderRow.platform == "shopee"))}
        events = session.scalars(select(WebhookEventRow).where(WebhookEventRow.platform == "shopee")).all()
        shops_now = {s.shop_id: s for s in session.scalars(select(ShopRow).where(ShopRow.platform == "shopee"))}
        tracked = session.execute(select(OrderPackageRow.tracking_number).join(
            OrderRow, OrderRow.id == OrderPackageRow.order_pk).where(OrderRow.platform == "shopee")).scalars().all()
    assert all(stored.get(key) == status for key, status in truth.items() if key in stored)
    kinds = {e.kind for e in events}
    assert {"ORDER_STATUS", "TRACKING_NUMBER", "AUTH_REVOKED", "AUTH_EXPIRING"} <= kinds
    assert not [(e.kind, e.detail) for e in events if e.status == "failed"]
    revoked = [e for e in events if e.kind == "AUTH_REVOKED"]
    assert sorted(e.shop_id for e in revoked) == shopee[:2] and all(e.status == "applied" for e in revoked)
    assert all(shops_now[s].status == "needs_reauth" for s in shopee[:2])
    assert shops_now[shopee[0]].status_reason == "authorization revoked (push)"
    expiring = [e for e in events if e.kind == "AUTH_EXPIRING"]
    assert [e.shop_id for e in expiring] == shopee[:1] and "expires before" in (expiring[0].detail or "")
    assert any(tracked)
