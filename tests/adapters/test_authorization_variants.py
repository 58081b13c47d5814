"""Authorization variants (respx, responses in the documented shapes): one token covering several shops.

* Shopee main account: the redirect carries ``main_account_id``; ``/auth/token/get`` is asked with it and
  answers ``shop_id_list``/``merchant_id_list`` (schema ``v2.public.get_access_token``);
* Lazada cross-border: ``/auth/token/create`` answers ``country: "cb"`` and one ``country_user_info``
  entry per venture;
* TikTok: ``GET /authorization/202309/shops`` lists every shop of the authorization with its cipher.

``shops authorize`` (``authorize_with_code``) links each covered shop already registered for the owner,
registers the others for the same owner with the app's credentials (region from the listing or from
Shopee ``get_shop_info``), and never touches another owner's shop.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import httpx
import respx
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.auth.shops import add_shop, authorize_with_code
from aggregator.auth.token_store import read_tokens
from aggregator.store.db import session_scope
from aggregator.store.models import OwnerRow, ShopCredential, ShopRow
from aggregator.store.vault import Vault

NOW = datetime.now(timezone.utc).replace(microsecond=0)
SHOPEE, LAZADA, TIKTOK = "https://shopee.test", "https://lazada.test/rest", "https://tiktok.test"


def _setup(engine, vault, platform: str, shops: list[tuple[str, str, str]], base_url: str) -> dict[str, int]:
    with session_scope(engine) as session:
        for owner in ("LUMINA-HK", "TROPIKA"):
            session.add(OwnerRow(owner_id=owner, name=owner.title()))
    pks = {}
    with session_scope(engine) as session:
        for owner, shop_id, region in shops:
            pks[shop_id] = add_shop(session, vault, platform=platform, owner_id=owner, shop_id=shop_id, region=region,
                                    app_key="2001887" if platform == "shopee" else "app-1", app_secret="secret-1",
                                    base_url=base_url).id
    return pks


def _state(engine, vault, platform: str) -> dict[str, tuple]:
    with Session(engine) as session:
        out = {}
        for shop, cred in session.execute(select(ShopRow, ShopCredential).join(
                ShopCredential, ShopCredential.shop_pk == ShopRow.id).where(ShopRow.platform == platform)):
            tokens = read_tokens(cred, vault)
            out[shop.shop_id] = (shop.owner_id, shop.region, shop.status, tokens.access_token if tokens else None,
                                 cred.shop_cipher)
        return out


def test_shopee_main_account_token_links_and_registers_every_shop(sqlite_engine):
    engine, vault = sqlite_engine, Vault(Fernet.generate_key())
    pks = _setup(engine, vault, "shopee", [("LUMINA-HK", "62000001", "SG"), ("LUMINA-HK", "62000002", "SG"),
                                           ("TROPIKA", "62000004", "TH")], SHOPEE)
    with respx.mock() as router:
        token = router.post(SHOPEE + "/api/v2/auth/token/get").mock(return_value=httpx.Response(200, json={
            "request_id": "r1", "error": "", "message": "", "access_token": "main-acc", "refresh_token": "main-ref",
            "expire_in": 14400, "merchant_id_list": [1001000], "shop_id_list": [62000001, 62000002, 62000003, 62000004],
            "supplier_id_list": [], "user_id_list": []}))
        info = router.get(SHOPEE + "/api/v2/shop/get_shop_info").mock(return_value=httpx.Response(200, json={
            "request_id": "r2", "error": "", "message": "", "shop_name": "Lumina MY", "region": "MY",
            "status": "NORMAL", "is_cb": True}))
        result = authorize_with_code(engine, vault, pks["62000001"], "code-1", clock=lambda: NOW,
                                     main_account_id="68272")
    assert json.loads(token.calls[0].request.content) == {"code": "code-1", "partner_id": 2001887,
                                                          "main_account_id": 68272}
    assert [dict(c.request.url.params)["shop_id"] for c in info.calls] == ["62000003"]  # only the new shop
    assert (result.linked, result.registered) == (["shopee:62000002"], ["shopee:62000003"])
    assert result.refused == ["shopee:62000004 is registered for another owner; authorize it there"]
    state = _state(engine, vault, "shopee")
    for shop_id in ("62000001", "62000002", "62000003"):
        assert state[shop_id][0] == "LUMINA-HK" and state[shop_id][2:4] == ("active", "main-acc"), shop_id
    assert state["62000003"][1] == "MY"
    assert state["62000004"] == ("TROPIKA", "TH", "needs_reauth", None, None)  # never touched


def test_lazada_cross_border_token_covers_one_shop_per_venture(sqlite_engine):
    engine, vault = sqlite_engine, Vault(Fernet.generate_key())
    pks = _setup(engine, vault, "lazada", [("LUMINA-HK", "1001", "SG")], LAZADA)
    with respx.mock() as router:
        router.post(LAZADA + "/auth/token/create").mock(return_value=httpx.Response(200, json={
            "code": "0", "request_id": "r1", "access_token": "cb-acc", "refresh_token": "cb-ref",
            "expires_in": 2592000, "refresh_expires_in": 15552000, "country": "cb",
            "account_platform": "seller_center", "account": "seller@lumina.example",
            "country_user_info": [
                {"country": "sg", "seller_id": "1001", "user_id": "501", "short_code": "SGLUM"},
                {"country": "my", "seller_id": "2002", "user_id": "502", "short_code": "MYLUM"},
                {"country": "th", "seller_id": "3003", "user_id": "503", "short_code": "THLUM"}]}))
        result = authorize_with_code(engine, vault, pks["1001"], "code-1", clock=lambda: NOW)
    assert sorted(result.registered) == ["lazada:2002", "lazada:3003"] and not result.refused
    state = _state(engine, vault, "lazada")
    assert {k: v[1:4] for k, v in state.items()} == {"1001": ("SG", "active", "cb-acc"),
                                                     "2002": ("MY", "active", "cb-acc"),
                                                     "3003": ("TH", "active", "cb-acc")}


def test_tiktok_token_shops_each_with_its_cipher(sqlite_engine):
    engine, vault = sqlite_engine, Vault(Fernet.generate_key())
    pks = _setup(engine, vault, "tiktok", [("LUMINA-HK", "7494049642642441621", "TH")], TIKTOK)
    base = int(NOW.timestamp())
    with respx.mock() as router:
        router.get(TIKTOK + "/api/v2/token/get").mock(return_value=httpx.Response(200, json={
            "code": 0, "message": "success", "request_id": "r1", "data": {
                "access_token": "tt-acc", "refresh_token": "tt-ref", "access_token_expire_in": base + 7 * 86400,
                "refresh_token_expire_in": base + 365 * 86400, "open_id": "7010", "seller_name": "Lumina",
                "seller_base_region": "TH", "user_type": 0, "granted_scopes": ["seller.order.info"]}}))
        router.get(TIKTOK + "/authorization/202309/shops").mock(return_value=httpx.Response(200, json={
            "code": 0, "message": "Success", "request_id": "r2", "data": {"shops": [
                {"id": "7494049642642441621", "name": "Lumina TH", "region": "TH", "seller_type": "CROSS_BORDER",
                 "cipher": "ROW_THcipher", "code": "THLCB4YL2C"},
                {"id": "7494049642642441622", "name": "Lumina VN", "region": "VN", "seller_type": "CROSS_BORDER",
                 "cipher": "ROW_VNcipher", "code": "VNLCB4YL2D"}]}}))
        result = authorize_with_code(engine, vault, pks["7494049642642441621"], "code-1", clock=lambda: NOW,
                                     options={"service_id": "7001"})
    assert result.registered == ["tiktok:7494049642642441622"]
    state = _state(engine, vault, "tiktok")
    assert state["7494049642642441621"][2:] == ("active", "tt-acc", "ROW_THcipher")
    assert state["7494049642642441622"][1:] == ("VN", "active", "tt-acc", "ROW_VNcipher")
