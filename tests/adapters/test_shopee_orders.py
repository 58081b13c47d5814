"""Shopee orders through the real client against a respx-mocked Open Platform."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
import respx

from platform_adapters.auth import AuthorizationRevoked, StaticTokenProvider
from platform_adapters.canonical import OrderStatus, Platform
from platform_adapters.http.errors import PlatformError
from platform_adapters.registry import ShopContext, get_adapter
from platform_adapters.shopee import auth as shopee_auth
from platform_adapters.shopee.mapping import map_order
from platform_adapters.shopee.settings import ShopeeSettings
from tests.adapters.fake_shopee import HOST, PARTNER_ID, PARTNER_KEY, SHOP_ID, FakeShopee, detail
from tests.adapters.helpers import T0, Clock, Sleeps, fixture_json, fixture_text, make_transport, tokens

SETTINGS = ShopeeSettings(partner_id=PARTNER_ID, partner_key=PARTNER_KEY, base_url=HOST)
SHOP = ShopContext(shop_id=SHOP_ID, region="MY")


@pytest.fixture
def fake():
    server = FakeShopee()
    with respx.mock(assert_all_called=False) as router:
        server.mount(router)
        yield server


def make_source(sleeps: Sleeps | None = None):
    clock = Clock(T0 + timedelta(days=60))
    transport = make_transport("shopee", sleeps)
    provider = StaticTokenProvider(
        SHOP_ID, tokens(now=clock()),
        lambda stale: shopee_auth.refresh_tokens(SETTINGS, transport, SHOP_ID, stale, clock), clock=clock)
    adapter = get_adapter("shopee")
    return adapter.order_source(SETTINGS, SHOP, provider, transport, clock), provider, transport


def run(source, days: int = 1):
    return list(source.iter_orders(T0, T0 + timedelta(days=days)))


def test_multi_page_run_with_empty_last_page_and_detail_batches(fake):
    sns = [f"24112400{i:04d}" for i in range(120)]
    for sn in sns:
        fake.orders[sn] = detail(sn)
    fake.set_pages(sns[:100], sns[100:], [])
    source, _, transport = make_source()
    got = run(source)
    assert [o["order_sn"] for o in got] == sns
    assert [len(c) for c in fake.detail_calls] == [50, 50, 20]
    assert len(fake.list_calls) == 3 and fake.list_calls[2]["cursor"] == "p2"
    assert fake.bad_signs == 0
    assert "list-1" in transport.request_ids and "detail-3" in transport.request_ids


def test_429_with_retry_after_is_honoured(fake):
    fake.orders["A1"] = detail("A1")
    fake.set_pages(["A1"])
    fake.failures["/api/v2/order/get_order_list"].append(httpx.Response(429, headers={"Retry-After": "7"}))
    sleeps = Sleeps()
    source, _, transport = make_source(sleeps)
    assert [o["order_sn"] for o in run(source)] == ["A1"]
    assert sleeps == [7.0]
    assert transport.retries == 1


def test_throttle_error_code_and_5xx_burst_back_off_with_capped_jitter(fake):
    fake.orders["A1"] = detail("A1")
    fake.set_pages(["A1"])
    failures = fake.failures["/api/v2/order/get_order_detail"]
    failures.extend([httpx.Response(503, text="<html>busy</html>"), httpx.Response(502), httpx.Response(500)])
    failures.append(fake.envelope(error="error_rate_limit", message="Too many requests"))
    sleeps = Sleeps()
    source, _, _ = make_source(sleeps)
    assert [o["order_sn"] for o in run(source)] == ["A1"]
    assert len(sleeps) == 4
    for attempt, waited in enumerate(sleeps, start=1):
        assert 0 <= waited <= min(8.0, 0.5 * 2 ** (attempt - 1))


def test_5xx_burst_longer_than_the_attempts_fails_with_the_platform_error(fake):
    fake.set_pages(["A1"])
    fake.failures["/api/v2/order/get_order_list"].extend([httpx.Response(503)] * 10)
    source, _, _ = make_source()
    with pytest.raises(PlatformError) as info:
        run(source)
    assert info.value.http_status == 503 and info.value.retryable


def test_expired_token_mid_run_refreshes_once_and_replays(fake):
    for sn in ("A1", "A2", "A3"):
        fake.orders[sn] = detail(sn)
    fake.set_pages(["A1"], ["A2"], ["A3"], [])
    source, provider, _ = make_source()
    pages = source.list_order_sns(T0, T0 + timedelta(days=1))
    assert next(pages) == ["A1"]
    fake.valid_tokens = set()  # the server expires access-1 between pages
    rest = list(pages)
    assert rest == [["A2"], ["A3"], []]
    assert provider.refresh_count == 1
    assert [c["refresh_token"] for c in fake.refresh_calls] == ["refresh-1"]
    assert provider.tokens.access_token == "access-2" and provider.tokens.refresh_token == "refresh-2"
    assert {c["access_token"] for c in fake.list_calls[1:]} == {"access-2"}


def test_refresh_token_rejected_means_authorization_revoked(fake):
    fake.set_pages(["A1"])
    fake.valid_tokens = set()
    fake.refresh_tokens = {}
    source, _, _ = make_source()
    with pytest.raises(AuthorizationRevoked) as info:
        run(source)
    assert info.value.shop_id == SHOP_ID


def test_window_longer_than_15_days_is_chunked(fake):
    fake.set_pages([])
    source, _, _ = make_source()
    run(source, days=40)
    spans = [(int(c["time_from"]), int(c["time_to"])) for c in fake.list_calls]
    assert len(spans) == 3
    assert all(b - a <= 15 * 86400 for a, b in spans)
    assert spans[0][0] == int(T0.timestamp()) and spans[-1][1] == int((T0 + timedelta(days=40)).timestamp()) - 1
    assert all(spans[i + 1][0] == spans[i][1] + 1 for i in range(len(spans) - 1))  # no gap, no overlap


def test_duplicates_across_pages_and_an_order_updated_during_the_run_are_fetched_once(fake):
    fake.orders["A1"] = detail("A1", update_time=1732410000)
    fake.orders["A2"] = detail("A2")
    fake.set_pages(["A1", "A2"], ["A2", "A1"], [])  # A1 was updated while paging and moved back in
    source, _, _ = make_source()
    got = run(source)
    assert sorted(o["order_sn"] for o in got) == ["A1", "A2"]
    assert sum(len(c) for c in fake.detail_calls) == 2


def test_cursor_that_does_not_advance_stops_with_an_error(fake):
    fake.pages = [{"more": True, "next_cursor": "p1", "order_list": []},
                  {"more": True, "next_cursor": "p1", "order_list": []}]
    source, _, _ = make_source()
    with pytest.raises(PlatformError, match="cursor_loop"):
        run(source)


def test_fatal_error_is_not_retried(fake):
    fake.failures["/api/v2/order/get_order_list"].append(fake.envelope(error="error_param", message="bad"))
    sleeps = Sleeps()
    source, _, _ = make_source(sleeps)
    with pytest.raises(PlatformError, match="error_param"):
        run(source)
    assert sleeps == []


# ------------------------------------------------------------------ mapping
def test_mapping_keeps_exact_decimals_big_ids_and_utc_times():
    raw = fixture_json("shopee", "order_detail.json")
    result = map_order(raw, SHOP_ID)
    assert result.ok, result.problems
    order = result.record
    assert order.platform is Platform.SHOPEE and order.order_id == "241124ABCD1234" and order.shop_id == SHOP_ID
    assert order.total_amount.amount == Decimal("157.80") and order.currency == "MYR"
    assert order.shipping_fee is None  # the order detail carries only carrier costs; escrow brings the buyer's
    assert order.created_at.isoformat() == "2024-11-24T00:00:00+00:00"
    assert order.status is OrderStatus.READY_TO_SHIP
    first, second = order.lines
    assert first.item_id == "9007199254740993" and first.model_id == "180000000000000017"
    assert first.seller_sku == "TWL-SET-GRY-L" and first.quantity == 2
    assert first.unit_price.amount == Decimal("49.90") and first.paid_amount.amount == Decimal("99.80")
    assert second.unit_price.amount == Decimal("58.00")  # bundle item: discounted price 0 → original
    assert order.packages[0].package_id == "OFG1732406400123" and first.package_id == "OFG1732406400123"
    assert order.buyer_country == "MY"


def test_mapping_refuses_floats_that_were_not_decoded_exactly():
    import json

    raw = json.loads(fixture_text("shopee", "order_detail.json"))  # floats, the wrong way
    result = map_order(raw, SHOP_ID)
    assert result.record is None
    assert any(p.field == "total_amount" for p in result.problems)


def test_unknown_status_maps_to_unknown_and_keeps_raw():
    result = map_order(detail("A9", status="AWAITING_SOMETHING_NEW"), SHOP_ID)
    assert result.ok
    assert result.record.status is OrderStatus.UNKNOWN and result.record.raw_status == "AWAITING_SOMETHING_NEW"
    assert [p.code for p in result.problems] == ["unknown_status"]


@pytest.mark.parametrize("damage, field", [
    ({"create_time": None}, "create_time"),
    ({"order_sn": ""}, "order_sn"),
    ({"currency": 7}, "currency"),
    ({"total_amount": "12,x"}, "total_amount"),
])
def test_malformed_records_give_problems_not_exceptions(damage, field):
    raw = detail("B1")
    raw.update(damage)
    result = map_order(raw, SHOP_ID)
    assert result.record is None
    assert any(p.field == field for p in result.problems)


def test_repeated_model_gets_distinct_line_refs():
    raw = detail("C1")
    raw["item_list"] = [raw["item_list"][0], raw["item_list"][0]]
    refs = [line.line_ref for line in map_order(raw, SHOP_ID).record.lines]
    assert refs == ["9007199254740993:180000000000000017", "9007199254740993:180000000000000017#2"]


def test_settings_repr_masks_the_partner_key_and_hosts():
    assert PARTNER_KEY not in repr(SETTINGS)
    assert ShopeeSettings(1, "k").host == "https://partner.shopeemobile.com"
    assert ShopeeSettings(1, "k", sandbox=True).host == "https://openplatform.sandbox.test-stable.shopee.sg"
    assert ShopeeSettings(1, "k", host_region="cn").host == "https://openplatform.shopee.cn"


def test_authorization_link_is_publicly_signed():
    url = shopee_auth.authorization_url(SETTINGS, "https://app.example/cb", T0)
    params = dict(httpx.URL(url).params)
    from platform_adapters.shopee.signing import sign_request

    assert url.startswith(HOST + "/api/v2/shop/auth_partner?")
    assert params["sign"] == sign_request(PARTNER_ID, PARTNER_KEY, "/api/v2/shop/auth_partner",
                                          int(T0.timestamp())).sign
    assert params["redirect"] == "https://app.example/cb"


def _packaged(order_sn: str, package_number: str, status: str) -> dict:
    order = detail(order_sn, status=status)
    order["package_list"][0]["package_number"] = package_number
    return order


def test_tracking_numbers_of_a_detail_batch_come_from_one_package_detail_call(fake):
    fake.orders["T1"] = _packaged("T1", "OFG1", "SHIPPED")
    fake.orders["T2"] = _packaged("T2", "OFG2", "READY_TO_SHIP")
    fake.orders["T3"] = _packaged("T3", "OFG3", "COMPLETED")
    fake.tracking[("T1", "OFG1")] = "SPXMY0123456789"  # T3's package has no number yet
    fake.set_pages(["T1", "T2", "T3"])
    source, _, _ = make_source()
    got = {o["order_sn"]: o for o in run(source)}
    assert fake.package_detail_calls == [["OFG1", "OFG3"]]  # shipped orders only, one call for the batch
    assert fake.tracking_calls == []
    shipped = map_order(got["T1"], SHOP_ID).record
    assert shipped.packages[0].tracking_number == "SPXMY0123456789"
    assert {line.tracking_number for line in shipped.lines} == {"SPXMY0123456789"}
    assert map_order(got["T3"], SHOP_ID).record.packages[0].tracking_number is None


def test_tracking_numbers_fall_back_to_one_call_per_package_when_the_batch_is_refused(fake):
    fake.package_detail_refused = True
    fake.orders["T1"] = detail("T1", status="SHIPPED")
    fake.orders["T2"] = detail("T2", status="READY_TO_SHIP")
    fake.orders["T3"] = detail("T3", status="COMPLETED")
    fake.tracking[("T1", "OFG1732406400123")] = "SPXMY0123456789"  # T3's package is unknown to logistics
    fake.set_pages(["T1", "T2", "T3"])
    source, _, _ = make_source()
    got = {o["order_sn"]: o for o in run(source)}
    assert sorted(fake.tracking_calls) == [("T1", "OFG1732406400123"), ("T3", "OFG1732406400123")]
    shipped = map_order(got["T1"], SHOP_ID).record
    assert shipped.packages[0].tracking_number == "SPXMY0123456789"
    assert {line.tracking_number for line in shipped.lines} == {"SPXMY0123456789"}
    assert map_order(got["T3"], SHOP_ID).record.packages[0].tracking_number is None  # error logged, order kept
