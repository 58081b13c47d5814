"""Requests signed by the public SDKs are accepted; the same requests with one byte changed are refused
with the platform's own error (lazop-sdk → IncompleteSignature, pyshopee2 → error_sign, tiktok-shop-api
→ 106001)."""
from __future__ import annotations

import sys
import time
import types

import httpx
import pytest
import requests

from tests.sandbox.helpers import first_shop, fresh_tokens


def _flip(text: str, index: int = -1) -> str:
    """``text`` with one character changed (a different hex digit / digit / letter)."""
    chars = list(text)
    chars[index] = "0" if chars[index] != "0" else "1"
    return "".join(chars)


# --- Lazada: lazop-sdk ----------------------------------------------------------------------------

@pytest.fixture
def lazop(monkeypatch):
    import lazop_sdk.base as base

    monkeypatch.setattr(base.logger, "disabled", True)  # the SDK logs full URLs (token, sign) to ~/logs
    return base


def test_lazop_signed_order_list_is_accepted(sandbox, control, shops, lazop):
    shop, app = first_shop(shops, "lazada"), shops["apps"]["lazada"]
    token = fresh_tokens(control, shop)["access_token"]
    client = lazop.LazopClient(sandbox.lazada_base_url, app["app_key"], app["app_secret"])
    request = lazop.LazopRequest("/orders/get", "GET")
    request.add_api_param("update_after", "2020-01-01T00:00:00+08:00")
    request.add_api_param("limit", "5")
    response = client.execute(request, token)
    assert response.code == "0", response.body
    assert len(response.body["data"]["orders"]) == 5
    assert response.body["data"]["countTotal"] >= 5


def test_lazop_form_post_is_accepted(sandbox, control, shops, lazop):
    shop, app = first_shop(shops, "lazada"), shops["apps"]["lazada"]
    token = fresh_tokens(control, shop)["access_token"]
    client = lazop.LazopClient(sandbox.lazada_base_url, app["app_key"], app["app_secret"])
    request = lazop.LazopRequest("/orders/get")  # the SDK's default: POST, form-encoded
    request.add_api_param("created_after", "2020-01-01T00:00:00+08:00")
    response = client.execute(request, token)
    assert response.code == "0", response.body


def test_lazop_token_create_with_code(sandbox, control, shops, lazop):
    shop, app = first_shop(shops, "lazada"), shops["apps"]["lazada"]
    client = lazop.LazopClient(sandbox.lazada_base_url, app["app_key"], app["app_secret"])
    request = lazop.LazopRequest("/auth/token/create")
    request.add_api_param("code", control.get("/_sandbox/shops").json()["shops"][
        [s["shop_id"] for s in shops["shops"]].index(shop["shop_id"])]["auth_code"])
    response = client.execute(request)
    assert response.code == "0", response.body
    assert response.body["country_user_info"][0]["seller_id"] == shop["shop_id"]
    assert response.body["expires_in"] == 30 * 86400
    again = client.execute(request)  # a code works once
    assert again.code == "InvalidCode"


@pytest.mark.parametrize("param", ["timestamp", "limit", "sign"])
def test_lazop_request_with_one_byte_changed_is_refused(sandbox, control, shops, lazop, monkeypatch, param):
    shop, app = first_shop(shops, "lazada"), shops["apps"]["lazada"]
    token = fresh_tokens(control, shop)["access_token"]
    real_get = requests.get

    def tampering_get(url, params, **kwargs):
        params = dict(params)
        params[param] = _flip(str(params[param]))
        return real_get(url, params, **kwargs)

    monkeypatch.setattr(lazop.requests, "get", tampering_get)
    client = lazop.LazopClient(sandbox.lazada_base_url, app["app_key"], app["app_secret"])
    request = lazop.LazopRequest("/orders/get", "GET")
    request.add_api_param("update_after", "2020-01-01T00:00:00+08:00")
    request.add_api_param("limit", "5")
    response = client.execute(request, token)
    assert response.code == "IncompleteSignature"
    assert response.type == "ISV"


# --- Shopee: pyshopee2 ----------------------------------------------------------------------------

@pytest.fixture
def pyshopee2(monkeypatch):
    # pyshopee2.client imports selenium at module level only for an interactive login helper; the
    # signing and request building under test do not use it, so a stand-in module is enough.
    selenium = types.ModuleType("selenium")
    selenium.webdriver = types.ModuleType("selenium.webdriver")
    monkeypatch.setitem(sys.modules, "selenium", selenium)
    monkeypatch.setitem(sys.modules, "selenium.webdriver", selenium.webdriver)
    import pyshopee2.client as client_module

    return client_module


def _shopee_client(pyshopee2, sandbox, control, shops):
    shop, app = first_shop(shops, "shopee"), shops["apps"]["shopee"]
    tokens = fresh_tokens(control, shop)
    client = pyshopee2.Client(shop["shop_id"], app["app_key"], app["app_secret"], "https://example.invalid/cb",
                              access_token=tokens["access_token"])
    client.host = sandbox.base_url
    return client


def _send(prepared) -> dict:
    with requests.Session() as session:
        return session.send(prepared, timeout=30).json()


def test_pyshopee2_signed_order_list_is_accepted(sandbox, control, shops, pyshopee2):
    client = _shopee_client(pyshopee2, sandbox, control, shops)
    now = int(time.time())
    request = client._build_request("order/get_order_list", "GET", {
        "time_range_field": "update_time", "time_from": now - 10 * 86400, "time_to": now, "page_size": 20,
        "cursor": "", "response_optional_fields": "order_status"})
    body = _send(request.prepare())
    assert body["error"] == "", body
    assert "order_list" in body["response"]


def test_pyshopee2_public_token_call_is_signed_correctly(sandbox, control, shops, pyshopee2):
    client = _shopee_client(pyshopee2, sandbox, control, shops)
    shop = first_shop(control.get("/_sandbox/shops").json(), "shopee")
    client.code = shop["auth_code"]
    access, expire_in, refresh = client.get_token()
    assert access and refresh and 4 * 3600 - 5 <= expire_in <= 4 * 3600


@pytest.mark.parametrize("where", ["sign", "timestamp", "access_token"])
def test_pyshopee2_request_with_one_byte_changed_is_refused(sandbox, control, shops, pyshopee2, where):
    client = _shopee_client(pyshopee2, sandbox, control, shops)
    now = int(time.time())
    request = client._build_request("order/get_order_list", "GET", {
        "time_range_field": "update_time", "time_from": now - 86400, "time_to": now, "page_size": 20})
    prepared = request.prepare()
    url = httpx.URL(prepared.url)
    prepared.url = str(url.copy_set_param(where, _flip(url.params[where])))
    body = _send(prepared)
    assert body["error"] == "error_sign"
    assert body["message"] == "Wrong sign."


# --- TikTok Shop: tiktok-shop-api -----------------------------------------------------------------

class _Tamper(httpx.HTTPTransport):
    """Changes one byte of the signed request after the SDK signed it."""

    def __init__(self, where: str | None) -> None:
        super().__init__()
        self.where = where

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.where == "body":
            request = httpx.Request(request.method, request.url, headers=request.headers,
                                    content=request.content.replace(b"update_time_ge", b"update_time_gf"))
        elif self.where is not None:
            value = request.url.params[self.where]
            request.url = request.url.copy_set_param(self.where, _flip(value))
        return super().handle_request(request)


def _tiktok(sandbox, control, shops, where=None):
    from tiktok_shop_api import TikTokShop

    shop, app = first_shop(shops, "tiktok"), shops["apps"]["tiktok"]
    tokens = fresh_tokens(control, shop)
    return TikTokShop(app["app_key"], app["app_secret"], tokens["access_token"], shop["shop_cipher"],
                      base_url=sandbox.base_url, transport=_Tamper(where)), shop


def test_tiktok_sdk_authorized_shops_and_order_search_are_accepted(sandbox, control, shops):
    from tiktok_shop_api.generated.models import GetOrderListRequest

    client, shop = _tiktok(sandbox, control, shops)
    with client:
        listed = client.authorization.get_authorized_shops()
        assert listed.data.shops[0].cipher == shop["shop_cipher"]
        page = client.orders.get_order_list(page_size=10, body=GetOrderListRequest.from_dict(
            {"update_time_ge": 0}))
        assert page.code == 0
        assert len(page.data.orders) == 10
        assert all(len(o.id) == 18 and int(o.id) > 2**53 for o in page.data.orders)


@pytest.mark.parametrize("where", ["sign", "timestamp", "page_size", "body"])
def test_tiktok_sdk_request_with_one_byte_changed_is_refused(sandbox, control, shops, where):
    from tiktok_shop_api.errors import TikTokShopError
    from tiktok_shop_api.generated.models import GetOrderListRequest

    client, _shop = _tiktok(sandbox, control, shops, where)
    with client, pytest.raises(TikTokShopError) as caught:
        client.orders.get_order_list(page_size=10, body=GetOrderListRequest.from_dict({"update_time_ge": 1}))
    assert caught.value.code == 106001  # a changed last timestamp digit stays inside the window
