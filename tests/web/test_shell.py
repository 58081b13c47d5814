"""The app shell: nothing before sign-in or after a rejected key, navigation by role, an owner-viewer
scoped to its owner, the language switch, every asset from the app itself, long lists in pages."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.conftest import wait_until

pytestmark = pytest.mark.browser

APP_ONLY = ["#nav", "#search", "#logout", ".owner-pick", "#whoami", "#view"]


def nav(web) -> list[str]:
    return [a.strip() for a in web.locator("#nav a").all_inner_texts()]


def test_nothing_shows_before_sign_in_or_after_a_rejected_key(web) -> None:
    web.open()
    web.wait_for_selector("#signin:not([hidden])")
    assert all(not web.is_visible(sel) for sel in APP_ONLY)
    web.fill("#api-key", "agk_not-a-key-at-all")
    web.click("#signin-form button[type=submit]")
    expect(web.locator("#signin-message")).to_contain_text("not accepted")
    assert all(not web.is_visible(sel) for sel in APP_ONLY)
    assert web.locator("#view").inner_text() == ""
    web.shot("rejected")
    # a stored key that stops working (revoked, expired) signs the tab out with the reason
    web.evaluate("sessionStorage.setItem('aggregatorKey', 'agk_revoked-or-expired')")
    web.reload()
    expect(web.locator("#signin-message")).to_contain_text("no longer accepted")
    assert all(not web.is_visible(sel) for sel in APP_ONLY)


def test_navigation_follows_the_role(web) -> None:
    web.sign_in("operations")
    assert nav(web) == ["Orders", "Exceptions", "Title in transit", "Shops", "Sync runs"]
    assert web.is_visible(".owner-pick")  # an unbound staff key chooses among every owner
    web.click("#logout")
    web.wait_for_selector("#signin:not([hidden])")
    assert not web.is_visible("#nav")


def test_an_owner_viewer_sees_only_its_owner(web, web_world) -> None:
    owner = web_world.owners[0]
    web.sign_in(f"viewer:{owner}", "#/orders")
    assert not web.is_visible(".owner-pick")
    assert owner in web.inner_text("#whoami")
    web.wait_for_selector("#view tbody tr")
    owners = set(web.locator("#view tbody td[data-label='Owner']").all_inner_texts())
    assert owners == {owner}


def test_the_language_switch_translates_and_is_remembered(web) -> None:
    web.sign_in("admin", "#/orders")
    web.click("#lang")
    expect(web.locator("html")).to_have_attribute("lang", "zh-CN")
    assert nav(web)[:2] == ["订单", "异常"]
    assert web.inner_text("#view h1") == "订单"
    web.reload()
    web.wait_for_selector("#nav:not([hidden]) a")
    assert nav(web)[0] == "订单"  # kept for the next visit
    web.click("#lang")
    expect(web.locator("html")).to_have_attribute("lang", "en")
    assert nav(web)[0] == "Orders"


def test_every_asset_comes_from_the_app_and_the_page_is_locked_down(web) -> None:
    seen: list[str] = []
    web.on("request", lambda r: seen.append(r.url))
    response = web.page.goto(web.world.base + "/")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    web.fill("#api-key", web.world.keys["admin"])
    web.click("#signin-form button[type=submit]")
    web.wait_for_selector("#view tbody tr")
    assert seen and all(url.startswith(web.world.base) for url in seen), [u for u in seen if not u.startswith(web.world.base)]
    assert any(url.endswith(".js") for url in seen) and any(url.endswith(".css") for url in seen)


def test_a_long_list_comes_one_page_at_a_time(web) -> None:
    web.sign_in("admin", "#/orders?per=25")
    web.wait_for_selector("#view tbody tr")
    assert web.locator("#view tbody tr").count() == 25
    status = web.inner_text(".list-status")
    total = int(status.split(" of ")[1])
    assert total > 25
    web.locator(".sentinel").scroll_into_view_if_needed()
    wait_until(lambda: web.locator("#view tbody tr").count() == min(total, 50))
    assert web.inner_text(".list-status").startswith(f"{min(total, 50)} of {total}")


def test_typing_in_the_search_box_while_a_page_loads_keeps_the_focus_there(web) -> None:
    """The first page is still loading when the person starts typing in the header's search box; when it
    has loaded it does not move the focus to its heading, so the Enter they press searches."""
    held = []
    web.page.route("**/api/v1/orders?*", lambda route: held.append(route))  # the list's answer waits until the typing is done
    web.sign_in("operations")
    wait_until(lambda: held or web.page.wait_for_timeout(50), timeout=15)  # Playwright answers while waiting
    web.page.click("#search-box")
    web.page.keyboard.type("NO-SUCH-IDENTIFIER-42")
    for route in held:
        route.continue_()
    web.page.unroute("**/api/v1/orders?*")
    expect(web.locator("#view table tbody tr").first).to_be_visible()  # the page has loaded
    web.page.evaluate("() => new Promise((done) => setTimeout(done, 200))")  # and finished what follows
    assert web.page.evaluate("document.activeElement.id") == "search-box"
    web.page.keyboard.press("Enter")
    expect(web.locator("#view .message")).to_have_text("Nothing of yours carries “NO-SUCH-IDENTIFIER-42”.")


def test_a_search_submitted_from_the_header_moves_the_focus_to_the_results_heading(web) -> None:
    """docs/web.md: focus moves to the page's heading on navigation. Pressing Enter in the header's
    search box navigates to the search page; once it has loaded the person is no longer typing, so its
    heading takes the focus (as every other navigation's does), not the box they left."""
    web.sign_in("operations")
    expect(web.locator("#view table tbody tr").first).to_be_visible()  # the first page has loaded
    web.fill("#search-box", "NO-SUCH-IDENTIFIER-43")
    web.press("#search-box", "Enter")
    expect(web.locator("#view .message")).to_have_text("Nothing of yours carries “NO-SUCH-IDENTIFIER-43”.")
    web.page.evaluate("() => new Promise((done) => setTimeout(done, 200))")
    expect(web.locator("#view h1")).to_be_focused()
