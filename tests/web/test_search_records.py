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
