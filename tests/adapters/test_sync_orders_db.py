"""Marketplace orders synced through the framework into real SQLite and PostgreSQL databases."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import respx
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.auth.shops import add_shop, store_authorization
from aggregator.auth.token_store import DatabaseTokenProvider, read_tokens
from aggregator.store.db import session_scope
from aggregator.store.models import (
    ExceptionItem,
    OrderLineRow,
    OrderRow,
    ShopCredential,
    ShopRow,
    SyncCursor,
    SyncRun,
)
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import ShopNotReady, sync_shop_orders
from aggregator.tenancy import add_owner
from platform_adapters.auth import AuthorizationRevoked, TokenSet
from tests.adapters import fake_lazada, fake_shopee, fake_tiktok
from tests.adapters.helpers import T0, Clock, make_transport, tokens

NOW = T0 + timedelta(days=2)
UNTIL = T0 + timedelta(days=1)


@pytest.fixture
def vault() -> Vault:
    return Vault(Fernet.generate_key())


def register(engine, vault, platform: str, shop_id: str, app_key: str, app_secret: str, base_url: str,
             region: str, cipher: str | None = None) -> ShopRow:
    with session_scope(engine) as session:
        if session.scalars(select(ShopRow)).first() is None:
            add_owner(session, "brand-a", "Brand A")
        shop = add_shop(session, vault, platform=platform, owner_id="brand-a", shop_id=shop_id, region=region,
                        app_key=app_key, app_secret=app_secret, base_url=base_url)
        store_authorization(session, vault, shop, tokens(now=NOW), shop_cipher=cipher)
    with Session(engine) as session:
        return session.scalars(select(ShopRow).where(ShopRow.shop_id == shop_id)).one()


def sync(engine, vault, shop, platform, **kw):
    with Session(engine) as session:
        shop = session.get(ShopRow, shop.id)
    return sync_shop_orders(engine, shop, vault, since=kw.pop("since", T0), until=UNTIL, now=NOW,
                            transport=make_transport(platform), clock=Clock(NOW), **kw)


@pytest.fixture
def shopee_world():
    server = fake_shopee.FakeShopee()
    with respx.mock(assert_all_called=False) as router:
        server.mount(router)
        yield server


def test_shopee_sync_counts_parks_bad_records_and_advances_the_cursor(engine, vault, shopee_world):
    fake = shopee_world
    good = [f"S{i:03d}" for i in range(5)]
    for sn in good:
        fake.orders[sn] = fake_shopee.detail(sn)
    fake.orders["BAD"] = fake_shopee.detail("BAD", create_time=None)
    fake.orders["ODD"] = fake_shopee.detail("ODD", status="SOMETHING_NEW")
    fake.set_pages(good[:3] + ["BAD"], good[3:] + ["ODD", good[0]], [])  # S000 again on page 2
    shop = register(engine, vault, "shopee", fake_shopee.SHOP_ID, str(fake_shopee.PARTNER_ID),
                    fake_shopee.PARTNER_KEY, fake_shopee.HOST, "MY")

    first = sync(engine, vault, shop, "shopee")
    assert (first.created, first.updated, first.unchanged, first.failed, first.unknown_status) == (6, 0, 0, 1, 1)
    assert first.status == "partial" and first.cursor_after == UNTIL
    with Session(engine) as session:
        assert session.scalar(select(SyncCursor.position)) == UNTIL
        run = session.scalars(select(SyncRun)).one()
        assert (run.created, run.failed, run.status) == (6, 1, "partial") and "list-1" in run.request_ids
        parked = session.scalars(select(ExceptionItem)).one()
        assert parked.kind == "mapping_error" and "create_time" in parked.reason
        assert parked.raw_payload["order_sn"] == "BAD" and parked.record_key.endswith(":BAD")
        big = session.scalars(select(OrderLineRow).where(OrderLineRow.item_id == "9007199254740993")).first()
        assert big is not None and big.model_id == "180000000000000017"
        unknown = session.scalars(select(OrderRow).where(OrderRow.order_id == "ODD")).one()
        assert (unknown.status, unknown.raw_status) == ("UNKNOWN", "SOMETHING_NEW")

    fake.orders["S001"] = fake_shopee.detail("S001", update_time=1732420000, status="SHIPPED")
    second = sync(engine, vault, shop, "shopee")
    assert (second.created, second.updated, second.unchanged, second.failed) == (0, 1, 5, 1)
    with Session(engine) as session:
        row = session.scalars(select(OrderRow).where(OrderRow.order_id == "S001")).one()
        assert row.status == "SHIPPED"
        assert len(session.scalars(select(SyncRun)).all()) == 2


def test_shopee_expired_token_refresh_is_persisted_encrypted(engine, vault, shopee_world):
    fake = shopee_world
    fake.orders["S1"] = fake_shopee.detail("S1")
    fake.set_pages(["S1"])
    fake.valid_tokens = set()  # the stored token has expired server-side
    shop = register(engine, vault, "shopee", fake_shopee.SHOP_ID, str(fake_shopee.PARTNER_ID),
                    fake_shopee.PARTNER_KEY, fake_shopee.HOST, "MY")
    summary = sync(engine, vault, shop, "shopee")
    assert summary.created == 1 and summary.status == "succeeded"
    with Session(engine) as session:
        cred = session.scalars(select(ShopCredential)).one()
        assert "access-2" not in (cred.access_token_enc or "")  # encrypted at rest
        stored = read_tokens(cred, vault)
        assert (stored.access_token, stored.refresh_token) == ("access-2", "refresh-2")
        assert stored.access_expires_at == NOW + timedelta(seconds=14400)
        assert cred.version == 2


def test_revoked_authorization_marks_the_shop_and_stops_next_syncs(engine, vault, shopee_world):
    fake = shopee_world
    fake.set_pages(["S1"])
    fake.valid_tokens = set()
    fake.refresh_tokens = {}
    shop = register(engine, vault, "shopee", fake_shopee.SHOP_ID, str(fake_shopee.PARTNER_ID),
                    fake_shopee.PARTNER_KEY, fake_shopee.HOST, "MY")
    summary = sync(engine, vault, shop, "shopee")
    assert summary.status == "failed" and "AuthorizationRevoked" in summary.error
    with Session(engine) as session:
        row = session.get(ShopRow, shop.id)
        assert row.status == "needs_reauth" and "error_shop_refresh_token" in row.status_reason
        assert session.scalar(select(SyncCursor.position)) is None  # nothing committed, cursor unmoved
    with pytest.raises(ShopNotReady, match="needs_reauth"):
        sync(engine, vault, row, "shopee")


def test_lazada_and_tiktok_sync_into_the_database(engine, vault):
    laz, tik = fake_lazada.FakeLazada(), fake_tiktok.FakeTikTok()
    laz.orders = [fake_lazada.order(f"26000000000000000{i}", updated_at=(T0 + timedelta(hours=i)).isoformat())
                  for i in range(3)]
    base = int(T0.timestamp())
    tik.pages = [[fake_tiktok.order("577000000000000001", base + 5)],
                 [fake_tiktok.order("577000000000000002", base + 9, status="NEW_STATUS")], []]
    with respx.mock(assert_all_called=False) as router:
        laz.mount(router)
        tik.mount(router)
        lshop = register(engine, vault, "lazada", "1001", fake_lazada.APP_KEY, fake_lazada.APP_SECRET,
                         fake_lazada.GATEWAY, "SG")
        tshop = register(engine, vault, "tiktok", "7494", fake_tiktok.APP_KEY, fake_tiktok.APP_SECRET,
                         fake_tiktok.HOST, "TH", cipher=fake_tiktok.CIPHER)
        lsum = sync(engine, vault, lshop, "lazada")
        tsum = sync(engine, vault, tshop, "tiktok")
    assert (lsum.created, lsum.failed, lsum.status) == (3, 0, "succeeded")
    assert (tsum.created, tsum.unknown_status, tsum.status) == (2, 1, "succeeded")
    with Session(engine) as session:
        currencies = {r.platform: r.currency for r in session.scalars(select(OrderRow))}
        assert currencies == {"lazada": "SGD", "tiktok": "THB"}
        assert session.scalar(select(OrderLineRow.seller_sku).limit(1)) == "TWL-SET-GRY-L"


def test_refresh_is_single_flight_across_workers(engine, vault):
    with session_scope(engine) as session:
        add_owner(session, "brand-a", "Brand A")
        shop = add_shop(session, vault, platform="shopee", owner_id="brand-a", shop_id="42", region="MY",
                        app_key="1", app_secret="k", base_url="https://shopee.test")
        store_authorization(session, vault, shop, tokens(now=NOW))
        shop_pk = shop.id
    calls: list[str] = []
    lock = threading.Lock()

    def refresher(stale: TokenSet) -> TokenSet:
        with lock:
            calls.append(stale.refresh_token)
        time.sleep(0.2)  # keep the first refresh in flight while the other worker arrives
        return tokens("access-NEW", "refresh-NEW", now=NOW)

    stale = tokens(now=NOW)
    results: list[object] = []
    start = threading.Barrier(3)  # all three ask at once: without the lock each would spend the token

    def worker() -> None:
        provider = DatabaseTokenProvider(engine, shop_pk, "42", vault, refresher, clock=Clock(NOW))
        start.wait(timeout=30)
        try:
            results.append(provider.refresh(stale).access_token)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == ["access-NEW"] * 3
    assert calls == ["refresh-1"]  # the single-use refresh token was spent exactly once


def test_provider_without_tokens_says_not_authorized(engine, vault):
    with session_scope(engine) as session:
        add_owner(session, "brand-a", "Brand A")
        shop = add_shop(session, vault, platform="lazada", owner_id="brand-a", shop_id="9", region="SG",
                        app_key="1", app_secret="k")
        assert shop.status == "needs_reauth"
        shop_pk = shop.id
    provider = DatabaseTokenProvider(engine, shop_pk, "9", vault, lambda t: t, clock=Clock(NOW))
    with pytest.raises(AuthorizationRevoked, match="not been authorized"):
        provider.current()


def test_token_near_expiry_is_refreshed_before_use_and_persisted(engine, vault):
    with session_scope(engine) as session:
        add_owner(session, "brand-a", "Brand A")
        shop = add_shop(session, vault, platform="tiktok", owner_id="brand-a", shop_id="7", region="TH",
                        app_key="1", app_secret="k")
        store_authorization(session, vault, shop, tokens(now=NOW, expires_in=timedelta(minutes=3)))
        shop_pk = shop.id
    provider = DatabaseTokenProvider(engine, shop_pk, "7", vault,
                                     lambda stale: tokens("access-B", "refresh-B", now=NOW), clock=Clock(NOW))
    assert provider.current().access_token == "access-B"
    assert provider.current().access_token == "access-B" and provider.refreshes == 1  # no second refresh
    with Session(engine) as session:
        assert read_tokens(session.scalars(select(ShopCredential)).one(), vault).refresh_token == "refresh-B"


def test_token_expiring_in_the_middle_of_a_window_is_refreshed_without_deadlock(engine, vault, shopee_world):
    """The refresh writes the new pair while a window is being synced (SQLite has a single writer)."""
    fake = shopee_world
    sns = [f"M{i:03d}" for i in range(120)]
    for sn in sns:
        fake.orders[sn] = fake_shopee.detail(sn)
    fake.set_pages(sns, [])
    fake.expire_after_detail_calls = 1  # dies after the first batch of 50 was served
    shop = register(engine, vault, "shopee", fake_shopee.SHOP_ID, str(fake_shopee.PARTNER_ID),
                    fake_shopee.PARTNER_KEY, fake_shopee.HOST, "MY")
    summary = sync(engine, vault, shop, "shopee")
    assert (summary.status, summary.created, summary.error) == ("succeeded", 120, None)
    assert len(fake.refresh_calls) == 1


def test_refresh_orders_by_id_for_webhooks_on_every_platform(engine, vault):
    from aggregator.sync.marketplace import refresh_orders

    shp, laz, tik = fake_shopee.FakeShopee(), fake_lazada.FakeLazada(), fake_tiktok.FakeTikTok()
    shp.orders = {"W1": fake_shopee.detail("W1", status="SHIPPED"), "W2": fake_shopee.detail("W2", create_time=None)}
    shp.tracking[("W1", "OFG1732406400123")] = "SPX123"
    laz.orders = [fake_lazada.order("260000000000000077")]
    tik.orders = {"577000000000000077": fake_tiktok.order("577000000000000077")}
    with respx.mock(assert_all_called=False) as router:
        for fake in (shp, laz, tik):
            fake.mount(router)
        shops = [register(engine, vault, "shopee", fake_shopee.SHOP_ID, str(fake_shopee.PARTNER_ID),
                          fake_shopee.PARTNER_KEY, fake_shopee.HOST, "MY"),
                 register(engine, vault, "lazada", "1001", fake_lazada.APP_KEY, fake_lazada.APP_SECRET,
                          fake_lazada.GATEWAY, "SG"),
                 register(engine, vault, "tiktok", "7494", fake_tiktok.APP_KEY, fake_tiktok.APP_SECRET,
                          fake_tiktok.HOST, "TH", cipher=fake_tiktok.CIPHER)]
        clock = Clock(NOW)
        got = [refresh_orders(engine, shops[0], vault, ["W1", "W2", "W9"], transport=make_transport("shopee"),
                              clock=clock),
               refresh_orders(engine, shops[1], vault, ["260000000000000077"], transport=make_transport("lazada"),
                              clock=clock),
               refresh_orders(engine, shops[2], vault, ["577000000000000077"], transport=make_transport("tiktok"),
                              clock=clock)]
        again = refresh_orders(engine, shops[2], vault, ["577000000000000077"], transport=make_transport("tiktok"),
                               clock=clock)
    assert got[0].counts["created"] == 1 and got[0].counts["failed"] == 1 and got[0].not_found == ["W9"]
    assert got[1].counts["created"] == 1 and got[2].counts["created"] == 1
    assert again.counts["unchanged"] == 1
    with Session(engine) as session:
        w1 = session.scalars(select(OrderRow).where(OrderRow.order_id == "W1")).one()
        assert session.scalar(select(OrderLineRow.tracking_number).where(OrderLineRow.order_pk == w1.id).limit(1)) \
            == "SPX123"
        assert session.scalars(select(ExceptionItem)).one().record_key.endswith(":W2")
