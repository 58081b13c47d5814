"""Single-use refresh tokens, refreshed safely (respx Shopee ``/api/v2/auth/access_token/get``).

The refresh is sent once: retried only when it provably never reached the platform (no connection);
when its answer is lost after the platform may have processed it, the spent-or-not refresh token is
never sent again blindly: the stored access token (still valid: refreshes start early) is used and
the shop stays authorized. No database transaction is open while the platform answers (on SQLite it
would hold the only write lock). Only a refresh the platform rejects marks the shop for re-authorization.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
import respx
from cryptography.fernet import Fernet
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aggregator.auth.shops import add_shop, store_authorization
from aggregator.auth.token_store import read_tokens
from aggregator.store.db import session_scope
from aggregator.store.models import OwnerRow, ShopCredential, ShopRow
from aggregator.store.vault import Vault
from aggregator.sync.marketplace import build_puller, make_transport
from platform_adapters.auth import TokenSet

HOST = "https://shopee.test"
REFRESH = HOST + "/api/v2/auth/access_token/get"

@pytest.fixture
def shop(sqlite_engine):
    engine, vault = sqlite_engine, Vault(Fernet.generate_key())
    with session_scope(engine) as session:
        session.add(OwnerRow(owner_id="LUMINA-HK", name="Lumina"))
    with session_scope(engine) as session:
        row = add_shop(session, vault, platform="shopee", owner_id="LUMINA-HK", shop_id="600000", region="SG",
                       app_key="2001887", app_secret="partner-key", base_url=HOST)
        # the access token has 5 minutes left: inside the 10-minute margin, so the next use refreshes it
        # (the clock is read here, when the test runs, not when the module is collected)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        store_authorization(session, vault, row, TokenSet("old-access", "old-refresh", now + timedelta(minutes=5),
                                                          now + timedelta(days=20)))
        pk = row.id
    with Session(engine) as session:
        shop_row = session.get(ShopRow, pk)
    return engine, vault, shop_row


def _provider(engine, vault, shop_row):
    transport = make_transport("shopee", retries=4, timeout=5)
    _, provider = build_puller(engine, shop_row, vault, transport, "orders")
    return provider


def _stored(engine, vault, pk):
    with Session(engine) as session:
        shop = session.get(ShopRow, pk)
        cred = session.scalars(select(ShopCredential).where(ShopCredential.shop_pk == pk)).one()
        return shop.status, read_tokens(cred, vault), cred.refresh_lease_owner


def _answer(access: str, refresh: str) -> httpx.Response:
    return httpx.Response(200, json={"request_id": "r", "error": "", "message": "", "access_token": access,
                                     "refresh_token": refresh, "expire_in": 14400, "partner_id": 2001887,
                                     "shop_id": 600000})


def test_a_lost_answer_to_a_successful_refresh_keeps_the_shop_authorized(shop):
    engine, vault, shop_row = shop
    spent = []

    def platform(request: httpx.Request) -> httpx.Response:
        spent.append(request)  # Shopee processed it: old-refresh is spent, new-access exists upstream …
        raise httpx.ReadTimeout("the answer never arrived", request=request)  # … and its answer is lost

    with respx.mock() as router:
        route = router.post(REFRESH).mock(side_effect=platform)
        tokens = _provider(engine, vault, shop_row).current()
    assert route.call_count == 1  # never re-sent with a token that may be spent
    assert tokens.access_token == "old-access"  # still valid for 5 minutes: the shop keeps working
    status, stored, lease = _stored(engine, vault, shop_row.id)
    assert (status, stored.access_token, lease) == ("active", "old-access", None)


def test_a_refresh_that_never_reached_the_platform_is_retried(shop):
    engine, vault, shop_row = shop
    with respx.mock() as router:
        route = router.post(REFRESH).mock(side_effect=[httpx.ConnectError("no route to host"),
                                                       _answer("new-access", "new-refresh")])
        tokens = _provider(engine, vault, shop_row).current()
    assert route.call_count == 2 and tokens.access_token == "new-access"
    status, stored, lease = _stored(engine, vault, shop_row.id)
    assert (status, stored.access_token, stored.refresh_token, lease) == ("active", "new-access", "new-refresh", None)


def test_no_transaction_is_open_while_the_platform_answers(shop):
    engine, vault, shop_row = shop

    def platform(request: httpx.Request) -> httpx.Response:
        # another writer (a sync committing a batch) gets the database at once: no write lock is held
        with session_scope(engine) as session:
            session.execute(update(ShopRow).where(ShopRow.id == shop_row.id).values(name="written meanwhile"))
        return _answer("new-access", "new-refresh")

    with respx.mock() as router:
        router.post(REFRESH).mock(side_effect=platform)
        assert _provider(engine, vault, shop_row).current().access_token == "new-access"
    with Session(engine) as session:
        assert session.get(ShopRow, shop_row.id).name == "written meanwhile"


def test_a_rejected_refresh_asks_for_re_authorization(shop):
    engine, vault, shop_row = shop
    with respx.mock() as router:
        router.post(REFRESH).mock(return_value=httpx.Response(200, json={
            "request_id": "r", "error": "error_shop_refresh_token", "message": "Invalid refresh_token."}))
        from platform_adapters.auth import AuthorizationRevoked

        with pytest.raises(AuthorizationRevoked, match="error_shop_refresh_token"):
            _provider(engine, vault, shop_row).current()
    status, stored, lease = _stored(engine, vault, shop_row.id)
    assert (status, stored.access_token, lease) == ("needs_reauth", "old-access", None)


def test_when_the_platform_already_rejected_the_token_an_unknown_refresh_is_tried_once_more(shop):
    engine, vault, shop_row = shop
    provider = _provider(engine, vault, shop_row)
    with Session(engine) as session:
        cred = session.scalars(select(ShopCredential).where(ShopCredential.shop_pk == shop_row.id)).one()
        rejected = read_tokens(cred, vault)
    with respx.mock() as router:  # a 502 the platform sent before processing: the second try recovers
        route = router.post(REFRESH).mock(side_effect=[httpx.Response(502, text="<html>bad gateway</html>"),
                                                       _answer("new-access", "new-refresh")])
        assert provider.refresh(rejected).access_token == "new-access"
    assert route.call_count == 2
    with respx.mock() as router:  # unknown twice: the run fails, the authorization stands
        router.post(REFRESH).mock(side_effect=httpx.ReadTimeout("lost"))
        fresh = _stored(engine, vault, shop_row.id)[1]
        from platform_adapters.http.errors import PlatformError

        with pytest.raises(PlatformError):
            provider.refresh(fresh)
    assert _stored(engine, vault, shop_row.id)[0] == "active"
