"""TikTok Shop orders through the real client against a respx-mocked Open API."""
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
from platform_adapters.tiktok import auth as tiktok_auth
from platform_adapters.tiktok.mapping import map_order
from platform_adapters.tiktok.settings import TikTokSettings
from tests.adapters.fake_tiktok import APP_KEY, APP_SECRET, CIPHER, HOST, FakeTikTok, order
from tests.adapters.helpers import T0, Clock, Sleeps, fixture_json, make_transport, tokens

SETTINGS = TikTokSettings(app_key=APP_KEY, app_secret=APP_SECRET, service_id="7001", base_url=HOST)
SHOP = ShopContext(shop_id="7494", region="TH", shop_cipher=CIPHER)


@pytest.fixture
def fake():
    server = FakeTikTok()
    with respx.mock(assert_all_called=False) as router:
        server.mount(router)
        yield server


def make_source(sleeps: Sleeps | None = None, shop: ShopContext = SHOP):
    clock = Clock(T0 + timedelta(days=2))
    transport = make_transport("tiktok", sleeps)
    provider = StaticTokenProvider(shop.shop_id, tokens(now=clock()),
                                   lambda stale: tiktok_auth.refresh_tokens(SETTINGS, transport, stale), clock=clock)
    return get_adapter("tiktok").order_source(SETTINGS, shop, provider, transport, clock), provider, transport


def run(source):
    return list(source.iter_orders(T0, T0 + timedelta(days=1)))


def ids(n: int, offset: int = 0) -> list[str]:
    return [str(577086512123755000 + offset + i) for i in range(n)]


def test_multi_page_run_with_empty_last_page(fake):
    first, second = ids(3), ids(2, 10)
    fake.pages = [[order(i) for i in first], [order(i) for i in second], []]
    source, _, transport = make_source()
    assert [o["id"] for o in run(source)] == first + second
    assert [q.get("page_token") for q, _ in fake.search_calls] == [None, "t1", "t2"]
    query, body = fake.search_calls[0]
    assert body == {"update_time_ge": int(T0.timestamp()), "update_time_lt": int((T0 + timedelta(days=1)).timestamp())}
    assert query["sort_field"] == "update_time" and query["shop_cipher"] == CIPHER
    assert fake.bad_signs == 0 and "search-3" in transport.request_ids


def test_429_retry_after_and_throttle_code(fake):
    fake.pages = [[order(i) for i in ids(2)]]
    fake.failures["/order/202309/orders/search"].extend([
        httpx.Response(429, headers={"Retry-After": "2"}), fake.error(36009002, "rate limited")])
    sleeps = Sleeps()
    source, _, _ = make_source(sleeps)
    assert len(run(source)) == 2
    assert sleeps[0] == 2.0 and len(sleeps) == 2


def test_5xx_burst_and_internal_error_code_are_retried(fake):
    fake.pages = [[order(i) for i in ids(1)]]
    fake.failures["/order/202309/orders/search"].extend(
        [httpx.Response(503), httpx.Response(500), fake.error(36009003, "internal error")])
    sleeps = Sleeps()
    source, _, _ = make_source(sleeps)
    assert len(run(source)) == 1 and len(sleeps) == 3


def test_expired_token_mid_run_refreshes_once_with_absolute_expiry(fake):
    fake.pages = [[order(i) for i in ids(2)], [order(i) for i in ids(2, 5)], []]
    source, provider, _ = make_source()
    pages = source.search_pages(T0, T0 + timedelta(days=1))
    assert len(next(pages)) == 2
    fake.valid_tokens = set()
    assert [len(p) for p in pages] == [2, 0]
    assert provider.refresh_count == 1
    assert provider.tokens.access_expires_at == T0 + timedelta(days=7)  # absolute time, not a duration


def test_refresh_failure_is_authorization_revoked(fake):
    fake.pages = [[order(i) for i in ids(1)]]
    fake.valid_tokens = set()
    fake.refresh_tokens = {}
    source, _, _ = make_source()
    with pytest.raises(AuthorizationRevoked, match="36004001"):
        run(source)


def test_missing_cipher_is_a_fatal_error_not_retried(fake):
    fake.pages = [[order(i) for i in ids(1)]]
    sleeps = Sleeps()
    source, _, _ = make_source(sleeps, shop=ShopContext(shop_id="7494", region="TH"))
    with pytest.raises(PlatformError, match="106013"):
        run(source)
    assert sleeps == []


def test_duplicates_dropped_and_a_newer_version_passed_on(fake):
    a, b = ids(2)
    base = int(T0.timestamp())
    fake.pages = [[order(a, base + 10), order(b, base + 20)], [order(a, base + 10)],
                  [order(a, base + 500, status="IN_TRANSIT")], []]
    source, _, _ = make_source()
    got = [(o["id"], o["update_time"]) for o in run(source)]
    assert got == [(a, base + 10), (b, base + 20), (a, base + 500)]


def test_detail_fetch_in_batches_of_50(fake):
    wanted = ids(120)
    fake.orders = {i: order(i) for i in wanted}
    source, _, _ = make_source()
    got = source.fetch_details(wanted)
    assert [o["id"] for o in got] == wanted
    assert [len(c) for c in fake.detail_calls] == [50, 50, 20]


def test_page_token_loop_is_detected(fake):
    fake.pages = [[], []]
    fake.failures["/order/202309/orders/search"].extend([
        fake.ok({"orders": [], "next_page_token": "t1"}), fake.ok({"orders": [], "next_page_token": "t1"})])
    source, _, _ = make_source()
    with pytest.raises(PlatformError, match="page_token_loop"):
        run(source)


def test_shop_cipher_lookup_is_signed_without_cipher(fake):
    shops = tiktok_auth.authorized_shops(SETTINGS, make_transport("tiktok"), tokens(), Clock())
    assert shops[0]["cipher"] == CIPHER


def test_mapping_exact_amounts_string_ids_and_one_unit_per_line():
    result = map_order(fixture_json("tiktok", "order.json"), "7494")
    assert result.ok, result.problems
    o = result.record
    assert o.platform is Platform.TIKTOK and o.order_id == "577086512123755123" and o.currency == "THB"
    assert o.total_amount.amount == Decimal("1220.00") and o.shipping_fee.amount == Decimal("40.00")
    assert o.status is OrderStatus.READY_TO_SHIP and o.buyer_country == "TH"
    assert [line.quantity for line in o.lines] == [1, 1] and o.lines[0].model_id == "1729382256910270465"
    assert o.lines[0].tracking_number is None  # empty until shipped
    assert o.packages[0].package_id == "1153125436201518456" and len(o.packages[0].line_refs) == 2
    assert o.paid_at.isoformat() == "2024-11-24T00:01:10+00:00"


def test_unknown_status_and_webhook_spelling():
    assert map_order(order("1", status="CANCEL"), "7494").record.status is OrderStatus.CANCELLED
    result = map_order(order("1", status="AWAITING_REVIEW"), "7494")
    assert result.record.status is OrderStatus.UNKNOWN and result.record.raw_status == "AWAITING_REVIEW"


@pytest.mark.parametrize("damage, field", [
    ({"id": None}, "id"),
    ({"update_time": "yesterday"}, "update_time"),
    ({"payment": {"currency": "THB", "total_amount": "1.2.3"}}, "payment.total_amount"),
    ({"payment": {}}, "payment.currency"),
])
def test_malformed_orders_give_problems(damage, field):
    raw = order("1")
    raw.update(damage)
    result = map_order(raw, "7494")
    assert result.record is None and any(p.field == field for p in result.problems)


def test_hosts_and_authorization_link():
    assert TikTokSettings("k", "s").api_host == "https://open-api.tiktokglobalshop.com"
    assert TikTokSettings("k", "s").auth_host == "https://auth.tiktok-shops.com"
    assert tiktok_auth.authorization_url(TikTokSettings("k", "s", service_id="70")).startswith(
        "https://services.tiktokshop.com/open/authorize?service_id=70")
    assert "services.tiktokshops.us" in TikTokSettings("k", "s", region="US").authorize_page
    assert "s3cr3t" not in repr(TikTokSettings("k", "s3cr3t"))


def test_code_exchange_keeps_absolute_expiry(fake):
    got = tiktok_auth.exchange_code(SETTINGS, make_transport("tiktok"), "good-code")
    assert got.access_expires_at == T0 + timedelta(days=7) and got.extra["seller_name"] == "Shop TH"
    with pytest.raises(PlatformError, match="36004005"):
        tiktok_auth.exchange_code(SETTINGS, make_transport("tiktok"), "used-code")
