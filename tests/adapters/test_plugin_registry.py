"""A fourth marketplace plugged in by entry point, as an installed distribution would be.

A tiny distribution (``acme_market`` module + ``acme_market-1.0.dist-info`` with an
``entry_points.txt`` in the ``aggregator.platform_adapters`` group) is put on ``sys.path``; nothing in
the application names it. It then is a ``--platform`` choice of the CLI, a shop can be registered and
authorized for it (its token lists the shops it covers), its orders sync through the framework
(respx stands in for its API), and ``POST /webhooks/acme`` verifies and applies its pushes.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import respx
from click.testing import CliRunner
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.api.app import create_app
from aggregator.auth.shops import AuthorizationFailed, add_shop, authorize_with_code
from aggregator.cli.main import cli
from aggregator.store.db import session_scope
from aggregator.store.models import OrderRow, ShopRow
from aggregator.store.models.webhooks import WebhookEventRow
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import streams_of, sync_shop
from aggregator.tenancy import TenancyError
from platform_adapters import registry

PLUGIN = Path(__file__).resolve().parents[1] / "fixtures" / "plugins" / "acme_market.py"
API = "https://api.acme-market.test"
NOW = datetime.now(timezone.utc).replace(microsecond=0)  # the token store reads the real clock


@pytest.fixture
def acme_installed(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(PLUGIN, site / "acme_market.py")
    dist = site / "acme_market-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-market\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[aggregator.platform_adapters]\nacme = acme_market:AcmeAdapter\n")
    monkeypatch.syspath_prepend(str(site))
    yield
    registry.ADAPTERS.pop("acme", None)


def _order(order_id: str, status: str, updated: datetime) -> dict:
    return {"id": order_id, "status": status, "currency": "SGD", "total": "25.80",
            "created_at": int((NOW - timedelta(days=2)).timestamp()), "updated_at": int(updated.timestamp()),
            "lines": [{"ref": "L1", "sku": "ACME-CUP-RED", "qty": 2, "price": "12.90"}]}


def test_a_plugged_in_marketplace_is_registered_authorized_synced_and_pushed(acme_installed, sqlite_engine,
                                                                               tmp_path):
    assert "acme" in registry.known_platforms() and "acme" not in registry.BUILTIN
    assert registry.get_adapter("acme").platform.value == "acme"
    assert streams_of(registry.get_adapter("acme")) == ("orders",)  # it offers no finance or returns API
    # the CLI's platform choice comes from the registry: acme is accepted, an unknown name refused
    out = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "d"), "sync", "--platform", "nowhere"])
    assert out.exit_code == 2 and "acme" in out.output and "nowhere" in out.output
    assert "[acme|lazada|shopee|tiktok]" in CliRunner().invoke(cli, ["sync", "--help"]).output

    engine, vault = sqlite_engine, Vault(Fernet.generate_key())
    with session_scope(engine) as session:
        from aggregator.store.models import OwnerRow
        session.add(OwnerRow(owner_id="LUMINA-HK", name="Lumina"))
    with session_scope(engine) as session:
        shop_pk = add_shop(session, vault, platform="acme", owner_id="LUMINA-HK", shop_id="acme-shop-1", region="SG",
                           app_key="ak-1", app_secret="acme-secret", base_url=API).id
        with pytest.raises(TenancyError, match="known: acme, lazada, shopee, tiktok"):
            add_shop(session, vault, platform="nowhere", owner_id="LUMINA-HK", shop_id="x", region="SG",
                     app_key="a", app_secret="b")

    with respx.mock() as router:
        router.post(API + "/v1/token").mock(return_value=httpx.Response(200, json={
            "access_token": "acc-1", "refresh_token": "ref-1", "expires_in": 86400, "shops": ["acme-shop-9"]}))
        with pytest.raises(AuthorizationFailed, match="does not list acme shop acme-shop-1"):
            authorize_with_code(engine, vault, shop_pk, "code-1", clock=lambda: NOW)
        router.post(API + "/v1/token").mock(return_value=httpx.Response(200, json={
            "access_token": "acc-1", "refresh_token": "ref-1", "expires_in": 86400, "shops": ["acme-shop-1"]}))
        authorize_with_code(engine, vault, shop_pk, "code-2", clock=lambda: NOW)
        pages = router.get(API + "/v1/orders").mock(side_effect=[
            httpx.Response(200, json={"orders": [_order("A-1", "paid", NOW - timedelta(hours=5))], "next_page": 2}),
            httpx.Response(200, json={"orders": [_order("A-2", "sent", NOW - timedelta(hours=4))], "next_page": None}),
        ])
        with Session(engine) as session:
            shop = session.get(ShopRow, shop_pk)
        summary = sync_shop(engine, shop, vault, "orders", since=NOW - timedelta(days=1), until=NOW, now=NOW)
    assert summary.status == "succeeded" and summary.created == 2, summary.line()
    assert [dict(call.request.url.params)["page"] for call in pages.calls] == ["1", "2"]
    with Session(engine) as session:
        stored = {o.order_id: (o.platform, o.status, o.total_amount) for o in session.scalars(select(OrderRow))}
    assert stored == {"A-1": ("acme", "READY_TO_SHIP", stored["A-1"][2]), "A-2": ("acme", "SHIPPED", stored["A-2"][2])}

    # its push route exists because it is registered; the body is verified with the adapter's own check
    body = json.dumps({"event_id": "ev-1", "shop_id": "acme-shop-1", "order_id": "A-1", "status": "done",
                       "updated_at": int(NOW.timestamp())}).encode()
    good = hmac.new(b"acme-secret", body, hashlib.sha256).hexdigest()
    with respx.mock() as router:
        router.get(API + "/v1/orders/A-1").mock(return_value=httpx.Response(200, json=_order("A-1", "done", NOW)))
        client = TestClient(create_app(engine, vault=vault))
        assert client.post("/webhooks/acme", content=body, headers={"Authorization": "0" * 64}).status_code == 401
        assert client.post("/webhooks/nowhere", content=body, headers={"Authorization": good}).status_code == 404
        reply = client.post("/webhooks/acme", content=body, headers={"Authorization": good})
        assert reply.status_code == 200 and reply.json() == {"received": True, "duplicate": False}
    with Session(engine) as session:
        event = session.scalars(select(WebhookEventRow)).one()
        order = session.scalars(select(OrderRow).where(OrderRow.order_id == "A-1")).one()
    assert (event.platform, event.kind, event.status) == ("acme", "ORDER_STATUS", "applied")
    assert order.status == "COMPLETED"
