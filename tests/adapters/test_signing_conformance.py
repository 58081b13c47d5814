"""Our three signers agree with the public SDKs on the same inputs, and reject the usual wrong variants.

SDKs (installed test dependencies): ``lazop-sdk`` (module ``lazop_sdk``, official Lazada SDK),
``pyshopee`` (module ``pyshopee2``), ``tiktok-shop-api`` (module ``tiktok_shop_api``).
"""
from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import sys
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_adapters.signature import signs_equal
from platform_adapters.lazada import signing as lazada_signing
from platform_adapters.shopee import signing as shopee_signing
from platform_adapters.tiktok import signing as tiktok_signing


def _import_pyshopee2():
    """pyshopee2's client imports selenium (only for a browser-login helper never used here).

    When selenium is absent, an empty placeholder module stands in for it so the SDK's own signing
    methods (``Client._api_sign`` / ``_api_short_sign``) run unchanged.
    """
    if importlib.util.find_spec("selenium") is None and "selenium" not in sys.modules:
        placeholder = types.ModuleType("selenium")
        placeholder.webdriver = types.ModuleType("selenium.webdriver")  # type: ignore[attr-defined]
        sys.modules["selenium"] = placeholder
        sys.modules["selenium.webdriver"] = placeholder.webdriver  # type: ignore[attr-defined]
    import pyshopee2

    return pyshopee2


pyshopee2 = _import_pyshopee2()
import lazop_sdk  # noqa: E402
from tiktok_shop_api.signing import Signer as TikTokSdkSigner  # noqa: E402
from tiktok_shop_api.webhooks import Webhooks as TikTokSdkWebhooks  # noqa: E402

# printable text without surrogates; keys of query params are simple identifiers
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
_key = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)


# ---------------------------------------------------------------- Shopee
def _pyshopee_client(partner_id: int, partner_key: str, shop_id: int, access_token: str | None):
    return pyshopee2.Client(shop_id, partner_id, partner_key, "https://example.invalid/cb", access_token=access_token)


def test_shopee_shop_api_matches_pyshopee2_and_official_base_string():
    # inputs of the official example base string (Shopee "API calls" guide), our own key
    sig = shopee_signing.sign_request(
        2001887, "my-partner-key", "/api/v2/shop/get_shop_info", 1655714431,
        access_token="59777174636562737266615546704c6d", shop_id=14701711,
    )
    assert sig.base_string == "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
    sdk = _pyshopee_client(2001887, "my-partner-key", 14701711, "59777174636562737266615546704c6d")
    assert sig.sign == sdk._api_sign("/api/v2/shop/get_shop_info", 1655714431)
    assert sig.sign == sig.sign.lower() and len(sig.sign) == 64


@settings(max_examples=60, deadline=None)
@given(
    partner_id=st.integers(min_value=1, max_value=2**31),
    key=_text,
    ts=st.integers(min_value=0, max_value=4294967295),
    token=st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
    shop_id=st.integers(min_value=1, max_value=2**53 + 10),
)
def test_shopee_signer_equals_pyshopee2_for_any_inputs(partner_id, key, ts, token, shop_id):
    sdk = _pyshopee_client(partner_id, key, shop_id, token)
    path = "/api/v2/order/get_order_list"
    assert shopee_signing.sign_request(partner_id, key, path, ts, token, shop_id).sign == sdk._api_sign(path, ts)
    assert shopee_signing.sign_request(partner_id, key, path, ts).sign == sdk._api_short_sign(path, ts)


def test_shopee_public_sign_for_refresh_has_no_shop_id():
    """The refresh call uses the Public sign; appending shop_id (as some snippets do) is wrong."""
    path = "/api/v2/auth/access_token/get"
    good = shopee_signing.sign_request(1000, "k", path, 1700000000)
    assert good.base_string == "1000/api/v2/auth/access_token/get1700000000"
    wrong = hmac.new(b"k", b"1000/api/v2/auth/access_token/get1700000000123", hashlib.sha256).hexdigest()
    assert good.sign != wrong
    assert shopee_signing.is_public_path(path) and not shopee_signing.is_public_path("/api/v2/order/get_order_list")


def test_shopee_negative_variants():
    base = shopee_signing.sign_request(1000, "abcdef0123", "/api/v2/order/get_order_list", 1700000000, "tok", 42)
    upper = base.sign.upper()
    assert not signs_equal(base.sign, upper)
    stray = shopee_signing.sign_request(1000, "abcdef0123", "/api/v2/order/get_order_list/", 1700000000, "tok", 42)
    assert stray.sign != base.sign
    hex_decoded_key = hmac.new(bytes.fromhex("abcdef0123"), base.base_string.encode(), hashlib.sha256).hexdigest()
    assert hex_decoded_key != base.sign
    with pytest.raises(TypeError):
        shopee_signing.sign_request(1000, "k", "/api/v2/x", "1700000000")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        shopee_signing.sign_request(1000, "k", "/api/v2/x", 1, access_token="t")  # no shop/merchant


def test_shopee_push_signature_uses_url_and_raw_body():
    body = b'{"data":{"ordersn":"2401010ABCDEF","status":"READY_TO_SHIP","update_time":1704067200},"shop_id":1,"code":3}'
    url = "https://hooks.example.com/shopee/push"
    expected = hmac.new(b"pk", (url + "|").encode() + body, hashlib.sha256).hexdigest()
    assert shopee_signing.sign_push("pk", url, body).sign == expected
    assert shopee_signing.verify_push("pk", url, body, expected)
    assert not shopee_signing.verify_push("pk", url + "/", body, expected)  # stray slash
    reserialised = json.dumps(json.loads(body)).encode()
    assert not shopee_signing.verify_push("pk", url, reserialised, expected)
    assert not shopee_signing.verify_push("pk", url, body, expected.upper())
    assert not shopee_signing.verify_push("pk", url, body, None)


# ---------------------------------------------------------------- Lazada
def test_lazada_documented_example_base_string():
    sig = lazada_signing.sign_request("secret", "/test/api", {"foo": "1", "bar": "2", "foo_bar": "3", "foobar": "4"})
    assert sig.base_string == "/test/apibar2foo1foo_bar3foobar4"
    assert sig.sign == lazop_sdk.sign("secret", "/test/api", {"foo": "1", "bar": "2", "foo_bar": "3", "foobar": "4"})
    assert sig.sign == sig.sign.upper()


@settings(max_examples=60, deadline=None)
@given(
    secret=_text,
    params=st.dictionaries(_key, _text, min_size=1, max_size=8),
    body=st.dictionaries(st.from_regex(r"B[a-z]{1,6}", fullmatch=True), _text, max_size=3),
)
def test_lazada_signer_equals_lazop_sdk(secret, params, body):
    params = {**params, "app_key": "100132", "sign_method": "sha256", "timestamp": "1717200000000",
              "partner_id": "lazop-sdk-python-20181207"}
    ours = lazada_signing.sign_request(secret, "/orders/get", params, body)
    assert ours.sign == lazop_sdk.sign(secret, "/orders/get", {**params, **body})


def test_lazada_sign_param_excluded_and_negative_variants():
    params = {"app_key": "1", "timestamp": "1717200000000", "sign_method": "sha256", "access_token": "t"}
    sig = lazada_signing.sign_request("s", "/orders/get", params)
    assert lazada_signing.sign_request("s", "/orders/get", {**params, "sign": "X"}).sign == sig.sign
    assert sig.sign.lower() != sig.sign  # lower-case hex would be rejected
    assert lazada_signing.sign_request("s", "/orders/get/", params).sign != sig.sign  # stray slash
    without_token = {k: v for k, v in params.items() if k != "access_token"}
    assert lazada_signing.sign_request("s", "/orders/get", without_token).sign != sig.sign  # token is signed
    with pytest.raises(ValueError):
        lazada_signing.sign_request("s", "/rest/orders/get", params)  # /rest is the host part


def test_lazada_push_verification():
    body = b'{"seller_id":"1","message_type":0,"data":{"order_status":"pending","trade_order_id":"260001"}}'
    good = hmac.new(b"sec", b"appkey" + body, hashlib.sha256).hexdigest()
    assert lazada_signing.verify_push("appkey", "sec", body, good)
    assert not lazada_signing.verify_push("appkey", "sec", body, good.upper())
    assert not lazada_signing.verify_push("appkey", "sec", json.dumps(json.loads(body)).encode(), good)


# ---------------------------------------------------------------- TikTok
def test_tiktok_official_example_inputs_match_sdk_and_stray_slash_is_wrong():
    query = {"app_key": "123456", "timestamp": "1234567890"}
    sig = tiktok_signing.sign_request("abc000def111", "/authorization/202309/shops", query, None, None)
    assert sig.base_string == "abc000def111/authorization/202309/shopsapp_key123456timestamp1234567890abc000def111"
    sdk = TikTokSdkSigner.sign(path="/authorization/202309/shops", query=list(query.items()), content_type=None,
                               body=None, app_secret="abc000def111")
    assert sig.sign == sdk
    stray = tiktok_signing.sign_request("abc000def111", "/authorization/202309/shops/", query, None, None)
    assert stray.sign != sig.sign


@settings(max_examples=60, deadline=None)
@given(
    secret=_text,
    query=st.dictionaries(_key, _text, max_size=6),
    body=st.one_of(st.none(), st.binary(max_size=0), st.dictionaries(_key, _text, max_size=4).map(
        lambda d: json.dumps(d, separators=(",", ":"), ensure_ascii=False).encode())),
    content_type=st.sampled_from([None, "application/json", "multipart/form-data; boundary=x"]),
)
def test_tiktok_signer_equals_sdk(secret, query, body, content_type):
    query = {**query, "app_key": "29a39d", "timestamp": "1700000000", "access_token": "never-signed"}
    ours = tiktok_signing.sign_request(secret, "/order/202309/orders/search", query, body, content_type)
    sdk = TikTokSdkSigner.sign(path="/order/202309/orders/search", query=list(query.items()),
                               content_type=content_type, body=body, app_secret=secret)
    assert ours.sign == sdk


def test_tiktok_negative_variants():
    body = json.dumps({"order_status": "AWAITING_SHIPMENT", "update_time_ge": 1700000000}, separators=(",", ":"))
    query = {"app_key": "k", "timestamp": "1700000000", "page_size": "50", "shop_cipher": "ROW_abc"}
    sig = tiktok_signing.sign_request("sec", "/order/202309/orders/search", query, body.encode(), "application/json")
    reserialised = json.dumps(json.loads(body)).encode()  # default separators add spaces
    assert tiktok_signing.sign_request("sec", "/order/202309/orders/search", query, reserialised,
                                       "application/json").sign != sig.sign
    assert sig.sign.upper() != sig.sign
    with_token = {**query, "access_token": "tok", "sign": "old"}
    assert tiktok_signing.sign_request("sec", "/order/202309/orders/search", with_token, body.encode(),
                                       "application/json").sign == sig.sign
    multipart = tiktok_signing.sign_request("sec", "/p", query, b"--x\r\nfile", "multipart/form-data; boundary=x")
    assert multipart.sign == tiktok_signing.sign_request("sec", "/p", query, None, None).sign


def test_tiktok_webhook_verification_matches_sdk():
    body = b'{"type":1,"tts_notification_id":"7327","shop_id":"7494","timestamp":1700000000,"data":{}}'
    sign = tiktok_signing.sign_webhook("appkey", "sec", body).sign
    assert TikTokSdkWebhooks.verify(app_key="appkey", app_secret="sec", raw_body=body, signature=sign)
    assert tiktok_signing.verify_webhook("appkey", "sec", body, sign)
    assert not tiktok_signing.verify_webhook("appkey", "sec", body, sign.upper())
    assert not tiktok_signing.verify_webhook("appkey", "sec", json.dumps(json.loads(body)).encode(), sign)
