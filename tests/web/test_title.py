"""Title in transit: the position owner × stage now, valued in each owner's base currency, and its
course over time drawn as a chart per owner (inline SVG from js/chart.js) with the same figures as a
table; a stage's cell opens what is behind it."""
from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_title_chart_renders_with_data(web, web_world) -> None:
    auth = {"Authorization": f"Bearer {web_world.keys['admin']}"}
    with httpx.Client(base_url=web_world.base, headers=auth, timeout=60) as api:
        owners = {o["owner_id"]: o["base_currency"] for o in api.get("/api/v1/owners").json()}
    web.sign_in("admin", "#/title?step=week")
    table = web.locator("#view section", has_text="Position").locator("table")
    expect(table.locator("tbody tr").first).to_be_visible()
    shown = table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.owner)")
    assert shown and set(shown) <= set(owners)
    charts = web.locator(".chart-owner")
    expect(charts.first).to_be_visible()
    chart = charts.first
    owner = chart.get_attribute("data-owner")
    expect(chart.locator("figcaption")).to_have_text(f"Title held by {owner} ({owners[owner]})")
    svg = chart.locator("svg[role='img']")
    assert svg.locator("g.series").count() >= 1  # one stacked area per stage the owner held goods in
    assert svg.locator("g.series circle").count() >= 2  # points over time
    heights = svg.locator("g.series circle").evaluate_all("cs => cs.map(c => Number(c.getAttribute('cy')))")
    assert min(heights) < 250, "every point sits on the zero line: the chart has no value"
    web.shot("title-chart")

    chart.get_by_role("button", name="Show as a table").click()  # the same figures for those who cannot see it
    expect(chart.locator(".chart-table tbody tr").first).to_be_visible()
    assert not svg.is_visible()

    cell = table.locator("button.cell-link").first  # a stage's value opens what is behind it
    cell.click()
    expect(web.locator(".drill h3")).to_be_focused()
    expect(web.locator(".drill tbody tr").first).to_be_visible()
