"""The web app in a real headless Chromium (Debian's package, driven by Playwright), over one world
built once per test session the way a user's installation gets its data:

* the sandbox marketplaces on loopback (kept running, so webhook pushes can be triggered later);
* every sandbox shop registered and authorized through its adapter, orders and settlements synced
  through the signed APIs, then statements checked, orders reconciled and booked at the rates of the
  bundled ECB/NBP histories (as the settlements cycle does after every sync);
* the same world's forwarder BLs, customs entries and 3PL files imported with the standard profiles,
  plus a consolidated container (a second bill for a box already on a bill, and an ASN naming only
  the box: an ambiguous match for a person to resolve);
* matching and the title ledger;
* one API key per role (admin, operations, finance) and an owner-viewer key per owner;
* one uvicorn server (the real app, webhooks enabled) and one browser for the whole session; each
  test gets a fresh browser context (its own sessionStorage) and leaves a screenshot behind.

Screenshots are test artifacts: under the session's pytest tmp dir, or under
``AGGREGATOR_WEB_ARTIFACTS`` when set (a folder that is git-ignored, e.g. ``.data/web-artifacts``).
"""
from __future__ import annotations

import csv
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aggregator.api.app import create_app
from aggregator.api.keys import create_key
from aggregator.fx_service.offline import import_bundled
from aggregator.settlement.cycle import settle_owners
from aggregator.matching_service.service import run_match
from aggregator.sandbox_link import connect_sandbox, import_logistics_dir
from aggregator.store.db import create_engine_for, session_scope
from aggregator.store.models import ShopRow
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import sync_shop
from platform_adapters.sandbox import running_sandbox
from platform_adapters.sandbox.logistics import write_logistics
from tests.api.server import serving

pytestmark = pytest.mark.browser

SEED = 42
ORDERS = 40
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}


def consolidated_container(logistics: Path, out: Path) -> dict[str, str]:
    """Files of a consolidated container, written as a forwarder and a 3PL write them: a second bill of
    lading carrying a container already on one of the world's bills (same goods and PO: two shippers'
    cargo in one box), and a receipt naming that container only, as many 3PL ASNs do. The matcher cannot
    tell which bill the receipt came under, so it links neither and asks a person: an ``ambiguous``
    exception whose candidates are the two bills."""
    bl_file = next(logistics.rglob("forwarder_bl*.csv"))
    with bl_file.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        bl_header, bl_rows = reader.fieldnames, list(reader)
    inbound = {}
    for path in sorted(logistics.rglob("warehouse_inbound*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            inbound[path] = (reader.fieldnames, list(reader))
    carriers: dict[str, set[str]] = {}
    for row in bl_rows:
        if row["container_no"]:
            carriers.setdefault(row["container_no"], set()).add(row["doc_number"])
    for path, (header, rows) in inbound.items():
        for row in rows:
            docs = carriers.get(row["container_no"], set())
            if len(docs) == 1 and row["mbl_no"] in docs:
                container, doc = row["container_no"], row["mbl_no"]
                break
        else:
            continue
        break
    else:
        raise AssertionError("no receipt of the world names a container carried under one bill")
    second = f"{doc}C"
    (out / "forwarder").mkdir(parents=True)
    with (out / "forwarder" / "forwarder_bl-consolidated.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, bl_header)
        writer.writeheader()
        writer.writerows({**r, "doc_number": second, "carrier_booking_ref": f"{r['carrier_booking_ref']}C"}
                         for r in bl_rows if r["doc_number"] == doc and r["container_no"] == container)
    header, rows = inbound[path]
    asn = next(r["asn_no"] for r in rows if r["container_no"] == container)
    (out / "3pl").mkdir(parents=True)
    with (out / "3pl" / f"{path.stem}-consolidated.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows({**r, "asn_no": f"{asn}-C", "wms_receipt_no": f"{r['wms_receipt_no']}C", "mbl_no": "",
                          "hbl_no": "", "awb_no": "", "customs_declaration_no": ""}
                         for r in rows if r["asn_no"] == asn)
    return {"container": container, "bills": f"{doc} {second}", "asn": f"{asn}-C"}


@dataclass
class WebWorld:
    engine: Engine
    vault: Vault
    sandbox_url: str
    base: str
    keys: dict[str, str] = field(default_factory=dict)  # role or "viewer:<owner>" → key
    owners: list[str] = field(default_factory=list)
    consolidated: dict[str, str] = field(default_factory=dict)  # the ambiguous receipt's container, bills, ASN


def chromium_path() -> str:
    path = os.environ.get("AGGREGATOR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail("headless Chromium is required for the web tests: run scripts/ensure-browser.sh")
    return path


@pytest.fixture(scope="session")
def web_world(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[WebWorld]:
    root = tmp_path_factory.mktemp("web-world")
    path = root / "aggregator.sqlite"
    shutil.copy(_sqlite_template, path)
    engine = create_engine_for(f"sqlite:///{path}")
    vault = Vault(Fernet.generate_key())
    with running_sandbox(seed=SEED, orders=ORDERS, faults="") as sandbox:
        owner_keys: dict[str, str] = {}
        shop_ids = connect_sandbox(engine, vault, sandbox.base_url, owner_keys)
        with Session(engine) as session:
            shops = session.scalars(select(ShopRow).where(ShopRow.id.in_(shop_ids)).order_by(ShopRow.id)).all()
        now = datetime.now(timezone.utc)
        with session_scope(engine) as session:  # the rate histories that ship with the install
            for name in ("ecb-history", "nbp-history"):
                import_bundled(session, name, since=now.date() - timedelta(days=120), until=now.date())
        for shop in shops:
            for stream in ("orders", "settlements"):
                sync_shop(engine, shop, vault, stream, since=now - timedelta(days=60), now=now, lag=timedelta(0))
        settle_owners(engine)  # what every settlements sync does next: check, reconcile, book
        write_logistics(sandbox.state.world, sandbox.state.now, root / "logistics")
        import_logistics_dir(engine, root / "logistics")
        consolidated = consolidated_container(root / "logistics", root / "consolidated")
        import_logistics_dir(engine, root / "consolidated")
        run_match(engine, full=True)
        world = WebWorld(engine, vault, sandbox.base_url, "", owners=sorted(owner_keys), consolidated=consolidated)
        with session_scope(engine) as session:
            for role in ("admin", "operations", "finance"):
                world.keys[role] = create_key(session, role=role, name=f"web test {role}")[1]
            for owner in world.owners:
                world.keys[f"viewer:{owner}"] = create_key(session, role="owner-viewer", owner_id=owner)[1]
        with serving(create_app(engine, vault=vault)) as base:
            world.base = base
            yield world
    engine.dispose()


@pytest.fixture(scope="session")
def linked(web_world: WebWorld) -> dict:
    """An order of the world whose chain reaches a container, a bill of lading and a customs entry, read
    through the API as the page reads it: {"order": detail, "link": one chain link}."""
    auth = {"Authorization": f"Bearer {web_world.keys['admin']}"}
    with httpx.Client(base_url=web_world.base, headers=auth, timeout=30) as api:
        for o in api.get("/api/v1/orders", params={"limit": 200}).json()["items"]:
            detail = api.get(f"/api/v1/orders/{o['platform']}/{o['shop_id']}/{o['order_id']}").json()
            for link in detail["chain"]:
                if link["container_no"] and link["transport_document_no"] and link["customs_declaration_no"]:
                    return {"order": detail, "link": link}
    raise AssertionError("no order of the web world reaches a bill of lading and a customs entry")


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("AGGREGATOR_WEB_ARTIFACTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("web-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # Playwright's assertions wait 5 s by default: a threshold a loaded machine can cross. 60 s only bounds a
    # hang (an assertion returns as soon as it holds).
    expect.set_options(timeout=60_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


class Page:
    """A Playwright page plus the helpers every web test uses."""

    def __init__(self, page, world: WebWorld, artifacts: Path, name: str) -> None:
        self.page, self.world, self.artifacts, self.name = page, world, artifacts, name
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        # a refused request (a rejected key's 401) is logged by the browser; it is no script error
        page.on("console", lambda m: self.errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource") else None)

    def __getattr__(self, name):
        return getattr(self.page, name)

    def open(self, hash_: str = "") -> None:
        self.page.goto(self.world.base + "/" + hash_)

    def sign_in(self, who: str = "admin", hash_: str = "") -> None:
        self.open(hash_)
        self.page.fill("#api-key", self.world.keys[who])
        self.page.click("#signin-form button[type=submit]")
        self.page.wait_for_selector("#nav:not([hidden]) a")

    def shot(self, label: str, selector: str | None = None) -> Path:
        """A screenshot of the whole page, or of the element ``selector`` only."""
        path = self.artifacts / f"{self.name}-{label}.png"
        if selector:
            self.page.locator(selector).first.screenshot(path=str(path))
        else:
            self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def web(browser, web_world: WebWorld, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    viewport = PHONE if request.node.get_closest_marker("phone") else LAPTOP
    context = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="Asia/Shanghai")
    page = Page(context.new_page(), web_world, artifacts, request.node.name)
    page.set_default_timeout(60_000)  # (bounds a hang only: a loaded machine is slow)
    try:
        yield page
        page.shot("end")
        assert not page.errors, f"the page reported errors: {page.errors}"
    finally:
        context.close()


def wait_until(predicate, timeout: float = 60.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")
