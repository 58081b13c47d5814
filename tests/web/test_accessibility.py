"""Accessibility, checked by axe-core (the engine browsers' own audits use; bundled in the
axe-playwright-python package, nothing fetched) on every page at WCAG 2.x A and AA: labels, names,
roles, contrast, landmarks, headings, tables. A page with any violation fails with the rule and the
elements it found."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

AXE = Axe()
OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
           "resultTypes": ["violations"]}


def violations(web) -> list[str]:
    response = AXE.run(web.page, options=OPTIONS).response
    assert len(response["passes"]) >= 10, "axe checked almost nothing: is the page empty?"
    found = response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:5])
            for v in found]


def test_every_page_passes_axe(web, linked) -> None:
    web.open()
    web.wait_for_selector("#signin:not([hidden])")
    problems = {"sign-in": violations(web)}
    web.sign_in("admin")
    order = linked["order"]
    pages = {
        "orders": ("#/orders", "#view tbody tr"),
        "order": (f"#/orders/{order['platform']}/{order['shop_id']}/{order['order_id']}", ".chain .lane"),
        "container": (f"#/containers/{linked['link']['container_no']}", "#s-fed"),
        "exceptions": ("#/exceptions", "#view .filters"),
        "title": ("#/title?step=week", ".chart-owner svg"),
        "shops": ("#/shops", ".shop"),
        "runs": ("#/runs", "#view tbody tr"),
        "finance": ("#/finance", "#view h1"),
        "bill of lading": (f"#/documents/{order['owner_id']}/{linked['link']['transport_document_no']}", "#s-fed"),
        "lot": (f"#/lots/{order['owner_id']}/{linked['link']['warehouse_code']}/{linked['link']['lot_id']}", "#s-fed"),
        "ambiguous exception": (f"#/exceptions?kind=ambiguous", "#view tbody tr"),
    }
    for name, (hash_, ready) in pages.items():
        web.evaluate(f"location.hash = {hash_!r}")
        web.wait_for_selector(ready)
        web.wait_for_timeout(300)
        problems[name] = violations(web)
    web.locator("#view tbody tr a").first.click()  # an item with its candidates and the resolve form
    web.wait_for_selector("fieldset .candidate")
    problems["exception with candidates"] = violations(web)
    web.evaluate(f"sessionStorage.setItem('aggregatorOwner', {order['owner_id']!r}); location.hash = '#/finance'")
    web.reload()
    web.wait_for_selector("#view form[aria-label='Journal']")
    problems["finance of an owner"] = violations(web)
    assert not any(problems.values()), {k: v for k, v in problems.items() if v}
