"""Return and cancellation pushes end to end: the sandbox pushes signed TikTok type 11/12 and Lazada
reverse-order messages (message_type 10) to a live API server; each is verified, stored once and
applied by re-reading the order's after-sales cases, so the stored cases of the pushed orders equal
the sandbox's ground truth without any returns sync."""
from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.sandbox_link import connect_sandbox
from aggregator.store.models import ShopRow
from aggregator.store.models.returns import ReturnRow
from aggregator.store.models.webhooks import WebhookEventRow
from aggregator.sync.marketplace import sync_shop
from platform_adapters.sandbox import running_sandbox
from tests.api.test_webhooks import api, settled  # noqa: F401  (the live-server fixture)


def test_return_pushes_are_applied_by_re_reading_the_cases(sqlite_engine, api) -> None:  # noqa: F811
    base, vault = api
    with running_sandbox(seed=11, orders=80) as sandbox:
        control = httpx.Client(base_url=sandbox.base_url, timeout=60)
        shop_ids = connect_sandbox(sqlite_engine, vault, sandbox.base_url)
        with Session(sqlite_engine) as session:
            shops = session.scalars(select(ShopRow).where(ShopRow.id.in_(shop_ids))).all()
        for shop in shops:
            sync_shop(sqlite_engine, shop, vault, "orders", since=None)
        control.post("/_sandbox/webhooks", json={"url": base + "/webhooks/{platform}", "duplicate_rate": 0.3,
                                                 "platforms": ["lazada", "tiktok"]}).raise_for_status()
        before = control.get("/_sandbox/clock").json()["now"]
        control.post("/_sandbox/clock/advance", params={"seconds": 8 * 86400}).raise_for_status()
        settled(sqlite_engine)
        truth = [c for c in control.get("/_sandbox/truth/returns").json()["returns"]
                 if c["platform"] in ("lazada", "tiktok")]
    with Session(sqlite_engine) as session:
        kinds = {e.kind for e in session.scalars(select(WebhookEventRow))}
        failed = session.scalars(select(WebhookEventRow).where(WebhookEventRow.status == "failed")).all()
        stored = {(r.platform, r.shop_id, r.return_id): r.status for r in session.scalars(select(ReturnRow))}
    assert "RETURN_STATUS" in kinds and not [(e.kind, e.detail) for e in failed]
    pushed = {(c["platform"], c["shop_id"], c["return_id"]): c["status"] for c in truth}
    assert {p for p, _, _ in pushed} == {"lazada", "tiktok"}
    # every case that moved after the orders sync was pushed and re-read at its current state
    moved = {(c["platform"], c["shop_id"], c["return_id"]) for c in truth if c["updated_at"] > before}
    assert moved and moved <= set(stored)
    assert all(stored[key] == pushed[key] for key in moved)
