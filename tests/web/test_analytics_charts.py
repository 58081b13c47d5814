"""The analytics page draws every report of the owner as a chart with data, and a chart saves as SVG and
PNG (real files from the browser's download)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

REPORTS = ("cash-cycle", "in-transit", "ageing", "demand", "resilience")


def test_charts_render_with_data_and_export(web, web_world) -> None:
    owner = web_world.owners[0]
    web.sign_in(f"viewer:{owner}", "#/analytics")
    expect(web.locator("#view h1")).to_have_text("Analytics")
    for report in REPORTS:
        card = web.locator(f"#chart-{report}")
        expect(card).to_have_attribute("data-rendered", "true", timeout=60_000)
        marks = card.locator("svg rect.bar, svg polyline.line, svg circle.dot")
        assert marks.count() > 0, report
    bars = web.locator("#chart-cash-cycle svg rect.bar")
    assert any(float(v) > 0 for v in bars.evaluate_all("els => els.map(e => e.dataset.value)"))
    with web.expect_download() as svg_download:
        web.locator("#chart-cash-cycle button", has_text="Save SVG").click()
    svg_path = svg_download.value.path()
    with open(svg_path, encoding="utf-8") as handle:
        text = handle.read()
    assert text.startswith("<?xml") and "<svg" in text and 'class="bar"' in text
    with web.expect_download() as png_download:
        web.locator("#chart-cash-cycle button", has_text="Save PNG").click()
    assert svg_download.value.suggested_filename == f"cash-cycle-{owner}.svg"
    with open(png_download.value.path(), "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    web.shot("charts")
