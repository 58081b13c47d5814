"""The app on a 375-px phone: nothing wider than the screen, navigation reachable, lists and an
order's chain readable (its lanes stacked, one under the other), a container's page, the exceptions
queue and the title chart within the screen."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.phone]


def page_width(web) -> int:
    return web.evaluate("() => document.documentElement.scrollWidth")


def test_the_phone_layout(web, linked) -> None:
    web.sign_in("admin", "#/orders")
    web.wait_for_selector("#view tbody tr")
    assert web.viewport_size["width"] == 375
    assert page_width(web) <= 375
    assert web.is_visible("#search-box") and web.is_visible("#nav")
    for column in ("Platform", "Shop", "Owner", "Ordered"):  # the optional columns give way
        assert not web.locator(f"#view tbody td[data-label='{column}']").first.is_visible()
    web.shot("orders")
    web.locator("#view tbody tr a").first.click()
    web.wait_for_selector(".chain .lane")
    expect(web.locator(".ribbon")).to_be_visible()
    lane = web.locator(".chain .lane").first.bounding_box()
    assert lane["width"] > 300  # a lane takes the phone's width
    assert page_width(web) <= 375
    web.shot("order")
    web.fill("#search-box", linked["link"]["container_no"])  # a container: tables scroll inside themselves
    web.press("#search-box", "Enter")
    web.wait_for_selector("#view section h2")
    assert page_width(web) <= 375
    web.shot("container")
    web.click("#nav a[href='#/exceptions']")
    web.wait_for_selector("#view .filters")
    assert page_width(web) <= 375
    web.shot("exceptions")
    web.click("#nav a[href='#/title']")  # the chart shrinks to the screen, the position table scrolls
    chart = web.locator(".chart-owner svg").first
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] <= 375
    assert page_width(web) <= 375
    web.shot("title")
    web.click("#nav a[href='#/shops']")
    web.wait_for_selector(".shop")
    assert page_width(web) <= 375
    assert web.locator(".shop").first.bounding_box()["width"] > 300
