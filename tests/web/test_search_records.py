"""Search anything and the logistics pages: a container number typed in the header's box opens the
container (its bills of lading, what it carried, where it was unloaded, its milestones, the orders it
fed); one of those orders shows its chain with the container, bill of lading and customs entry, each
a link to its own page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def search(web, q: str) -> None:
    web.fill("#search-box", q)
    web.press("#search-box", "Enter")


def test_a_container_leads_to_its_orders_and_an_order_to_its_bill_and_customs_entry(web, linked) -> None:
    link, order = linked["link"], linked["order"]
    web.sign_in("operations")
    search(web, link["container_no"].lower())  # typed as a person would; the container is found all the same
    expect(web.locator("#view h1")).to_have_text(f"Container {link['container_no']}")
    expect(web.locator("#view")).to_contain_text(f"Owner {order['owner_id']}")
    expect(web.locator(f"#view a[href*='/documents/'][href$='/{link['transport_document_no']}']").first).to_be_visible()
    expect(web.locator("#view section", has_text="Unloaded into")).to_contain_text(link["asn_no"])
    fed = web.locator("#view section", has_text="Orders it fed")
    expect(fed.locator("table").first).to_contain_text(link["lot_id"])  # the lots it brought in
    the_order = fed.locator(f"a[href$='/{order['order_id']}']")
    expect(the_order).to_be_visible()
    web.shot("container")

    the_order.click()  # the order's chain names the bill and the customs entry, each a link to its page
    web.wait_for_selector(".chain .lane")
    chain = web.locator(".chain")
    expect(chain.locator(".step-container .node-record").first).to_have_text(link["container_no"])
    expect(chain.locator(".step-document .node-record").first).to_have_text(link["transport_document_no"])
    expect(chain.locator(".step-customs .node-record").first).to_have_text(link["customs_declaration_no"])
    # who held title, bore the risk and had custody there, from the lot's title events
    holders = chain.locator(".step-document .holders").first
    expect(holders).to_be_visible()
    expect(chain.locator(".step-receipt .holders .holder.custody").first).not_to_be_empty()
    web.shot("order-chain")
    web.shot("chain-picture", "#view section:has(.chain-box)")  # the picture alone (docs/web-order-chain.png)

    chain.locator(".step-document .node-record a").first.click()
    expect(web.locator("#view h1")).to_contain_text(link["transport_document_no"])
    expect(web.locator("#view .chips")).to_contain_text(link["container_no"])
    expect(web.locator("#view section", has_text="Orders it fed")).to_contain_text(order["order_id"])
    web.shot("bill-of-lading")
    web.go_back()
    chain.locator(".step-lot .node-record a").first.click()
    expect(web.locator("#view h1")).to_have_text(f"Lot {link['lot_id']}")
    expect(web.locator("#view section", has_text="Orders it fed")).to_contain_text(order["order_id"])
    web.go_back()
    chain.locator(".step-customs .node-record a").first.click()  # found by its number: one entry opens
    expect(web.locator("#view h1")).to_have_text(f"Customs entry {link['customs_declaration_no']}")
    web.go_back()
    web.wait_for_selector(".chain .lane")  # Back returns to the order, not to a search that redirects again


def test_nothing_found_says_so(web) -> None:
    web.sign_in("operations")
    search(web, "NO-SUCH-IDENTIFIER-42")
    expect(web.locator("#view .message")).to_have_text("Nothing of yours carries “NO-SUCH-IDENTIFIER-42”.")


def test_the_chain_names_who_holds_title_in_the_last_mile_and_after_delivery(web, web_world) -> None:
    """The last mile and the delivery are the lot's units allocated to the order's warehouse shipment line:
    their title events (``?shipment=`` on the lot's events) name the holders on those steps."""
    import httpx

    auth = {"Authorization": f"Bearer {web_world.keys['admin']}"}
    found = None
    with httpx.Client(base_url=web_world.base, headers=auth, timeout=30) as api:
        for o in api.get("/api/v1/orders", params={"limit": 200}).json()["items"]:
            detail = api.get(f"/api/v1/orders/{o['platform']}/{o['shop_id']}/{o['order_id']}").json()
            if not any(s["step"] == "delivered" for s in detail["timeline"]):
                continue
            for link in detail["chain"]:
                if link["warehouse_code"] and link["shipment_line_key"]:
                    events = api.get(f"/api/v1/title/lots/{detail['owner_id']}/{link['warehouse_code']}/"
                                     f"{link['lot_id']}/events", params={"shipment": link["shipment_line_key"]}).json()
                    if any(e["subject_kind"] == "ALLOCATION" and e["stage"] == "DELIVERED" for e in events):
                        found = detail
                        break
            if found:
                break
    assert found is not None, "no delivered order of the web world has title events for its allocation"
    web.sign_in("operations", f"#/orders/{found['platform']}/{found['shop_id']}/{found['order_id']}")
    web.wait_for_selector(".chain .lane")
    delivery = web.locator(".chain .step-delivery .holders").first
    expect(delivery).to_be_visible()
    expect(delivery).to_contain_text("CONSUMER")
    expect(web.locator(".chain .step-shipment .holders").first).to_be_visible()
    web.shot("chain-delivered")
