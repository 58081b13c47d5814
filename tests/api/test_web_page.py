"""The web page in a real headless Chromium (Debian's package, driven by Playwright)."""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from aggregator.api.app import create_app
from tests.api.conftest import seed

pytestmark = pytest.mark.browser


def chromium_path() -> str:
    path = os.environ.get("AGGREGATOR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail("headless Chromium is required for the web tests: run scripts/ensure-browser.sh")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(sqlite_engine) -> Iterator[tuple[str, str, str]]:
    key_a, key_b = seed(sqlite_engine)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(sqlite_engine), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", key_a, key_b
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_owner_signs_in_filters_and_opens_an_order_timeline(served, page) -> None:
    base, key_a, _ = served
    page.goto(base + "/")
    page.fill("#api-key", key_a)
    page.click("#login button")
    page.wait_for_selector("#order-table tbody tr")
    assert page.locator("#order-table tbody tr").count() == 3
    assert page.text_content("#order-count") == "3 of 3 orders"
    page.select_option("#order-status", "DELIVERED")
    page.click("#order-filters button")
    page.wait_for_function("document.querySelectorAll('#order-table tbody tr').length === 1")
    page.click("#order-table tbody tr")
    page.wait_for_selector("#order-detail:not([hidden])")
    assert "A0" in page.text_content("#detail-title")
    assert "LMN-EB-BT53-BLK" in page.text_content("#detail-lines")
    assert "ordered" in page.text_content("#detail-timeline")


def test_another_owners_key_shows_only_its_orders_and_a_bad_key_is_refused(served, page) -> None:
    base, _, key_b = served
    page.goto(base + "/")
    page.fill("#api-key", key_b)
    page.click("#login button")
    page.wait_for_selector("#order-table tbody tr")
    assert page.locator("#order-table tbody tr").count() == 1
    assert "B0" in page.text_content("#order-table tbody")
    page.click("#logout")
    page.fill("#api-key", "agk_wrong")
    page.click("#login button")
    page.wait_for_function("document.querySelector('#message').textContent.includes('not accepted')")
    assert page.is_visible("#login")
