"""Exceptions: the queue filtered by kind; an ambiguous match (a receipt naming only a container that
two bills carry) resolved by choosing the right bill — a manual link the API checks and records; a
parked record retried; several records resolved at once with one note."""
from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.exceptions_queue.writes import park
from aggregator.store.db import session_scope
from aggregator.store.models import ShopRow
from aggregator.store.models.matching import ManualLinkRow

pytestmark = pytest.mark.browser


def item(world, item_id: int) -> dict:
    auth = {"Authorization": f"Bearer {world.keys['admin']}"}
    return httpx.get(f"{world.base}/api/v1/exceptions/{item_id}", headers=auth, timeout=30).json()


def test_an_ambiguous_receipt_is_resolved_by_choosing_its_bill(web, web_world) -> None:
    asn = web_world.consolidated["asn"]
    right, other = web_world.consolidated["bills"].split()
    web.sign_in("operations", "#/exceptions?kind=ambiguous")
    row = web.locator("#view tbody tr", has_text=asn)
    expect(row).to_be_visible()
    item_id = int(row.get_attribute("data-id"))
    row.locator(f"a[href='#/exceptions/{item_id}']").click()
    expect(web.locator("#view h1")).to_have_text(f"Exception {item_id}")
    choices = web.locator("fieldset .candidate label")
    expect(choices).to_have_count(3)  # the two bills, or no link at all
    assert {c.split()[0] for c in choices.all_inner_texts()[:2]} == {f"{item(web_world, item_id)['owner_id']}|{right}",
                                                                      f"{item(web_world, item_id)['owner_id']}|{other}"}
    web.shot("candidates")
    web.check(f"input[name=link][value='{item(web_world, item_id)['owner_id']}|{right}']")
    web.fill("textarea[name=note]", "forwarder confirmed: our cargo is on the first bill (ticket OPS-4711)")
    web.get_by_role("button", name="Link to this one").click()
    expect(web.locator("#view h1")).to_have_text("Exceptions")  # back to the queue
    expect(web.locator("#toast")).to_contain_text(f"Exception {item_id} resolved.")
    expect(web.locator(f"#view tbody tr[data-id='{item_id}']")).to_have_count(0)
    resolved = item(web_world, item_id)
    assert resolved["status"] == "resolved" and resolved["resolved_by"]
    assert "OPS-4711" in resolved["resolution"]
    with Session(web_world.engine) as session:  # the manual link, one per line of the receipt, to that bill
        links = session.scalars(select(ManualLinkRow).where(ManualLinkRow.owner_id == resolved["owner_id"])).all()
    assert links and {link.right_key for link in links} == {f"{resolved['owner_id']}|{right}"}
    assert all(web_world.consolidated["asn"] in link.left_key for link in links)


def test_a_parked_record_is_retried_and_many_are_resolved_at_once(web, web_world) -> None:
    with session_scope(web_world.engine) as session:  # as a sync parks a Shopee order it cannot map
        shop = session.scalars(select(ShopRow).where(ShopRow.platform == "shopee").order_by(ShopRow.id)).first()
        ids = [park(session, owner_id=shop.owner_id, source="shopee:orders", kind="mapping_error",
                    reason="order_status missing", raw_payload={"order_sn": f"X-BULK-{n}"},
                    record_key=f"{shop.shop_id}:X-BULK-{n}").id for n in range(3)]
    web.sign_in("operations", "#/exceptions?kind=parked")
    for item_id in ids:
        expect(web.locator(f"#view tbody tr[data-id='{item_id}']")).to_be_visible()

    web.locator(f"#view tbody tr[data-id='{ids[0]}'] a").first.click()  # one retried from its page
    web.get_by_role("button", name="Retry").click()
    expect(web.locator("#toast")).to_contain_text(f"Exception {ids[0]}:")  # replayed: still unmappable
    expect(web.locator("#view dl dd").nth(10)).to_have_text("1")  # attempts
    retried = item(web_world, ids[0])
    assert retried["attempts"] == 1 and retried["status"] == "open"
    web.go_back()

    for item_id in ids[1:]:  # the other two resolved together
        web.get_by_label(f"Select {item_id}").check()
    expect(web.locator(".bulk-count")).to_have_text("2 selected")
    web.fill("#bulk-note", "duplicates of X-BULK-0, closed together")
    web.get_by_role("button", name="Resolve selected").click()
    expect(web.locator("#toast")).to_contain_text("2 done, 0 refused")
    for item_id in ids[1:]:
        expect(web.locator(f"#view tbody tr[data-id='{item_id}']")).to_have_count(0)
        assert item(web_world, item_id)["status"] == "resolved"
    web.shot("bulk")


def test_an_owner_viewer_sees_but_cannot_act(web, web_world) -> None:
    web.sign_in(f"viewer:{web_world.owners[0]}", "#/exceptions")
    expect(web.locator("#view")).to_contain_text("Your role can look, not act.")
    assert web.locator("#view input.pick").count() == 0
