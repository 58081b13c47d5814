"""Finance, per owner: the statements the sandbox paid out with whether their lines add up, the orders
reconciled by status, FX locks and exposure, a journal downloaded in a layout the API declares; a
statement's own page with its lines."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_statements_and_reconciliation_of_an_owner(web, web_world) -> None:
    web.sign_in("finance", "#/finance")
    expect(web.locator("#view")).to_contain_text("Finance is kept per owner")
    owner = web_world.owners[0]
    web.locator("#view .chips button", has_text=owner).click()
    expect(web.locator("#owner-pick")).to_have_value(owner)
    statements = web.locator("#view section", has_text="Statements").first
    expect(statements.locator("tbody tr").first).to_be_visible()
    checks = set(statements.locator("td[data-label='Lines vs declared']").all_inner_texts())
    assert checks and checks <= {"balanced", "mismatch", "not checked"}, checks
    recon = web.locator("#view section", has_text="Orders reconciled")
    expect(recon.locator("tbody tr").first).to_be_visible()
    expect(recon.locator(".chips button").first).to_contain_text("any · ")
    fx = web.locator("#view section", has_text="FX locks and exposure")
    expect(fx.locator("h3", has_text="Rate locks")).to_be_visible()
    expect(fx.locator("h3", has_text="Month-end revaluations")).to_be_visible()
    assert "does not offer" not in fx.inner_text()
    journals = web.locator("#view form[aria-label='Journal']")
    layouts = journals.locator("select[name=layout] option").all_inner_texts()
    assert "xero" in layouts, layouts  # the layouts the API declares
    journals.locator("select[name=layout]").select_option("xero")
    with web.expect_download() as got:
        journals.get_by_role("button", name="Download").click()
    download = got.value
    assert download.suggested_filename.endswith((".csv", ".zip")), download.suggested_filename
    assert download.path().stat().st_size > 0
    web.shot("finance")
    first = statements.locator("tbody tr a").first
    statement_id = first.inner_text()
    first.click()
    expect(web.locator("#view h1")).to_have_text(f"Statement {statement_id}")
    expect(web.locator("#view section", has_text="By category").locator("tbody tr").first).to_be_visible()
    web.shot("statement")


def test_finance_is_not_offered_to_operations(web) -> None:
    web.sign_in("operations", "#/finance")
    expect(web.locator("#view h1")).to_have_text("Your role may not see this page.")
    assert "Finance" not in web.locator("#nav").inner_text()
