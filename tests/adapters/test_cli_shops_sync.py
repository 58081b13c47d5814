"""``aggregator shops …`` and ``aggregator sync`` end to end against a respx-mocked Shopee."""
from __future__ import annotations

import httpx
import pytest
import respx
from click.testing import CliRunner
from cryptography.fernet import Fernet

from aggregator.cli.main import cli
import os
from pathlib import Path

from tests.adapters import fake_shopee
from tests.adapters.helpers import fixture_json


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("AGGREGATOR_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("AGGREGATOR_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    monkeypatch.setenv("AGGREGATOR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AGGREGATOR_APP_SECRET", raising=False)
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    return result


def test_add_authorize_sync_list(runner):
    fake = fake_shopee.FakeShopee()
    fake.orders = {sn: fake_shopee.detail(sn) for sn in ("X1", "X2")}
    fake.set_pages(["X1", "X2"], [])
    shop = fake_shopee.SHOP_ID
    with respx.mock(assert_all_called=False) as router:
        fake.mount(router)
        assert invoke(runner, "owners", "add", "brand-a", "--name", "Brand A").exit_code == 0
        added = invoke(runner, "shops", "add", "--platform", "shopee", "--owner", "brand-a", "--shop-id", shop,
                       "--region", "MY", "--app-key", str(fake_shopee.PARTNER_ID), "--app-secret",
                       fake_shopee.PARTNER_KEY, "--base-url", fake_shopee.HOST)
        assert added.exit_code == 0, added.output
        not_yet = invoke(runner, "sync", "--shop", shop, "--since", "2024-11-24T00:00:00Z", "--until", "2024-11-25T00:00:00Z")
        assert not_yet.exit_code == 1 and "needs_reauth" in not_yet.output

        link = invoke(runner, "shops", "authorize", shop, "--redirect-url", "https://app.example/cb")
        params = dict(httpx.URL(link.output.strip()).params)
        assert link.output.startswith(fake_shopee.HOST + "/api/v2/shop/auth_partner") and params["sign"]

        bad = invoke(runner, "shops", "authorize", shop, "--code", "wrong")
        assert bad.exit_code != 0 and "invalid_code" in bad.output
        good = invoke(runner, "shops", "authorize", shop, "--code", "good-code")
        assert good.exit_code == 0 and "authorized" in good.output

        first = invoke(runner, "sync", "--shop", shop, "--since", "2024-11-24T00:00:00Z", "--until", "2024-11-25T00:00:00Z")
        assert first.exit_code == 0, first.output
        assert f"shopee:{shop} orders: succeeded — created 2, updated 0, unchanged 0" in first.output
        again = invoke(runner, "sync", "--shop", shop, "--since", "2024-11-24T00:00:00Z", "--until", "2024-11-25T00:00:00Z")
        assert "created 0, updated 0, unchanged 2" in again.output

        # settlements: the escrow of X1 (released 1 Dec 2024), then booking with no manual step
        escrow = fixture_json("shopee", "escrow_detail.json")
        escrow["order_sn"] = escrow["_release"]["order_sn"] = "X1"
        fake.escrows = {"X1": escrow}
        board = Path(os.environ["AGGREGATOR_DATA_DIR"]) / "board.csv"
        board.write_text("date,currency,unit,mid\n2024-12-01,MYR,100,161.50\n")
        assert invoke(runner, "fx", "rates", "import", str(board), "--source", "bank-csv").exit_code == 0
        settled = invoke(runner, "sync", "--shop", shop, "--stream", "settlements", "--since", "2024-11-30T00:00:00Z",
                         "--until", "2024-12-02T00:00:00Z")
        assert settled.exit_code == 0, settled.output
        assert "brand-a: 1 statement(s) checked (0 mismatched)" in settled.output
        # 131.36 MYR at 1.6150 CNY per MYR = 212.1464 -> 212.15 CNY on the statement's own day
        assert "brand-a: 1 statement(s) recognised" in settled.output
        shown = invoke(runner, "settlements", "statements", "show", "--owner", "brand-a", f"shopee:{shop}:escrow-2024-12-01")
        assert "carried at 212.15 CNY, rate 1.615 BANK_CSV" in shown.output and "recognised 2024-12-01" in shown.output

        listing = invoke(runner, "shops", "list")
        assert "active" in listing.output and fake_shopee.PARTNER_KEY not in listing.output
        removed = invoke(runner, "shops", "remove", shop, "--yes")
        assert removed.exit_code == 0 and "removed" in removed.output


def test_add_refuses_unknown_region_and_duplicate(runner):
    assert invoke(runner, "owners", "add", "brand-a", "--name", "A").exit_code == 0
    base = ["shops", "add", "--platform", "lazada", "--owner", "brand-a", "--shop-id", "1", "--app-key", "k",
            "--app-secret", "s"]
    assert "unknown region" in invoke(runner, *base, "--region", "XX").output
    assert invoke(runner, *base, "--region", "SG").exit_code == 0
    assert "already registered" in invoke(runner, *base, "--region", "SG").output


def test_tiktok_authorize_stores_the_shop_cipher_and_refuses_an_unlisted_shop(runner, tmp_path):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from aggregator.store.db import create_engine_for
    from aggregator.store.models import ShopCredential
    from tests.adapters import fake_tiktok

    fake = fake_tiktok.FakeTikTok()
    with respx.mock(assert_all_called=False) as router:
        fake.mount(router)
        assert invoke(runner, "owners", "add", "brand-a", "--name", "A").exit_code == 0
        for shop in ("7494", "8888"):
            assert invoke(runner, "shops", "add", "--platform", "tiktok", "--owner", "brand-a", "--shop-id", shop,
                          "--region", "TH", "--app-key", fake_tiktok.APP_KEY, "--app-secret", fake_tiktok.APP_SECRET,
                          "--base-url", fake_tiktok.HOST).exit_code == 0
        link = invoke(runner, "shops", "authorize", "7494", "--service-id", "7001")
        assert "/open/authorize?service_id=7001" in link.output
        ok = invoke(runner, "shops", "authorize", "7494", "--code", "good-code")
        assert ok.exit_code == 0, ok.output
        unlisted = invoke(runner, "shops", "authorize", "8888", "--code", "good-code")
        assert unlisted.exit_code != 0 and "does not list" in unlisted.output
    engine = create_engine_for(f"sqlite:///{tmp_path / 'cli.sqlite'}")
    with Session(engine) as session:
        ciphers = sorted(str(c.shop_cipher) for c in session.scalars(select(ShopCredential)))
    engine.dispose()
    assert ciphers == sorted([fake_tiktok.CIPHER, "None"])
