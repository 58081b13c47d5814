"""Live updates: a marketplace's webhook push reaches an open page without a reload, and a record a
worker parks shows up as a badge of new exceptions."""
from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.store.db import session_scope
from aggregator.exceptions_queue.writes import park
from aggregator.store.models import OrderRow

pytestmark = pytest.mark.browser


def test_a_webhook_push_shows_up_on_the_open_orders_page(web, web_world) -> None:
    web.sign_in("admin", "#/orders?per=200")
    web.wait_for_selector("#view tbody tr")
    expect(web.locator("#live-state")).to_have_text("Live")
    before = {row.get_attribute("data-order"): row.locator("td[data-label='Status']").inner_text()
              for row in web.locator("#view tbody tr").all()}
    with httpx.Client(base_url=web_world.sandbox_url, timeout=60) as sandbox:
        sandbox.post("/_sandbox/webhooks", json={"url": web_world.base + "/webhooks/{platform}"}).raise_for_status()
        sandbox.post("/_sandbox/clock/advance", params={"seconds": 2 * 86400}).raise_for_status()
        pushed = sandbox.get("/_sandbox/webhooks/deliveries").json()["deliveries"]
        sandbox.post("/_sandbox/webhooks", json={"url": None}).raise_for_status()
    assert pushed, "the sandbox pushed nothing in two days"
    flashed = web.locator("#view tbody tr.live-flash").first
    expect(flashed).to_be_visible(timeout=20_000)  # no reload: the row was replaced in place
    key = flashed.get_attribute("data-order")
    platform, shop_id, order_id = key.split("|")
    with Session(web_world.engine) as session:
        stored = session.scalars(select(OrderRow).where(OrderRow.platform == platform, OrderRow.shop_id == shop_id,
                                                        OrderRow.order_id == order_id)).one()
    expect(flashed.locator("td[data-label='Status'] .pill")).to_have_attribute("title", stored.status)
    assert key not in before or before[key] != flashed.locator("td[data-label='Status']").inner_text()
    web.shot("after-push")


def test_a_parked_record_raises_the_badge_of_new_exceptions(web, web_world) -> None:
    owner = web_world.owners[-1]
    web.sign_in(f"viewer:{owner}", "#/orders")
    expect(web.locator("#live-state")).to_have_text("Live")
    assert not web.is_visible("#live-badge")
    with session_scope(web_world.engine) as session:  # as a worker's sync would, in its own process
        park(session, owner_id=owner, source="shopee:orders", kind="mapping_error",
             reason="order without a buyer country", raw_payload={"order_sn": "X-LIVE-1"}, record_key="X-LIVE-1")
        park(session, owner_id=web_world.owners[0] if owner != web_world.owners[0] else web_world.owners[1],
             source="shopee:orders", kind="mapping_error", reason="another owner's record",
             raw_payload={}, record_key="X-LIVE-OTHER")
    expect(web.locator("#live-badge")).to_have_text("New exceptions: 1")
    web.click("#live-badge")
    expect(web.locator("#view tbody")).to_contain_text("X-LIVE-1")
    assert "X-LIVE-OTHER" not in web.inner_text("#view")
    assert not web.is_visible("#live-badge")
