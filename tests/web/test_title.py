"""Title in transit: the position owner × stage now, valued in each owner's base currency, and its
course over time drawn as a chart per owner (inline SVG from js/chart.js) with the same figures as a
table; a stage's cell opens what is behind it: the lots, adding up to the cell, each a link to its page."""
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

    with web.expect_download() as svg_file:  # saved as a standalone picture, in both formats
        chart.get_by_role("button", name="Download SVG").click()
    assert b"<svg" in svg_file.value.path().read_bytes()
    with web.expect_download() as png_file:
        chart.get_by_role("button", name="Download PNG").click()
    assert png_file.value.path().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    chart.get_by_role("button", name="Show as a table").click()  # the same figures for those who cannot see it
    expect(chart.locator(".chart-table tbody tr").first).to_be_visible()
    assert not svg.is_visible()

    cell = table.locator("td[data-label='In warehouse'] button.cell-link").first  # a stage's value opens what is behind it
    units = int(cell.locator("small").first.inner_text().split()[0])
    cell.click()
    drill = web.locator(".drill")
    expect(drill.locator("h3")).to_be_focused()
    lots = drill.locator("table").nth(1)  # the title/location states, then the lots behind them
    expect(lots.locator("tbody tr").first).to_be_visible()
    quantities = lots.locator("td[data-label='Qty']").all_inner_texts()
    assert sum(int(q) for q in quantities) == units  # the lots add up to the cell
    web.shot("title-drill")
    lot = lots.locator("a").first
    lot_id = lot.inner_text()
    lot.click()
    expect(web.locator("#view h1")).to_have_text(f"Lot {lot_id}")
