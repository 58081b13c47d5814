"""Lazada orders through the real client against a respx-mocked LazOP gateway."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
import respx

from platform_adapters.auth import AuthorizationRevoked, StaticTokenProvider
from platform_adapters.canonical import OrderStatus, Platform
from platform_adapters.lazada import auth as lazada_auth
from platform_adapters.lazada.mapping import map_order
from platform_adapters.lazada.settings import LazadaSettings
from platform_adapters.lazada.statuses import order_status
from platform_adapters.registry import ShopContext, get_adapter
from tests.adapters.fake_lazada import APP_KEY, APP_SECRET, GATEWAY, FakeLazada, order
from tests.adapters.helpers import T0, Clock, Sleeps, fixture_json, make_transport, tokens

SETTINGS = LazadaSettings(app_key=APP_KEY, app_secret=APP_SECRET, country="SG", base_url=GATEWAY)
SHOP = ShopContext(shop_id="1001", region="SG")


@pytest.fixture
def fake():
    server = FakeLazada()
    with respx.mock(assert_all_called=False) as router:
        server.mount(router)
        yield server


def make_source(sleeps: Sleeps | None = None, page_size: int = 100):
    settings = LazadaSettings(app_key=APP_KEY, app_secret=APP_SECRET, country="SG", base_url=GATEWAY,
                              page_size=page_size)
    clock = Clock(T0 + timedelta(days=2))
    transport = make_transport("lazada", sleeps)
    provider = StaticTokenProvider(SHOP.shop_id, tokens(now=clock()),
                                   lambda stale: lazada_auth.refresh_tokens(settings, transport, stale, clock),
                                   clock=clock)
    return get_adapter("lazada").order_source(settings, SHOP, provider, transport, clock), provider, transport


def stamp(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def seed(fake: FakeLazada, count: int) -> list[str]:
    ids = [f"26001234567890{i:04d}" for i in range(count)]
    fake.orders = [order(i, updated_at=stamp(n)) for n, i in enumerate(ids)]
    return ids


def run(source):
    return list(source.iter_orders(T0, T0 + timedelta(days=1)))


def test_multi_page_run_ends_on_empty_page_and_fetches_items_in_batches(fake):
    ids = seed(fake, 120)  # 2 full pages of 60 and an empty one
    source, _, transport = make_source(page_size=60)
    got = run(source)
    assert [str(o["order_id"]) for o in got] == ids
    assert all(len(o["order_items"]) == 2 for o in got)
    assert [c["offset"] for c in fake.list_calls] == ["0", "60", "120"]
    assert [len(c) for c in fake.items_calls] == [50, 50, 20]
    assert fake.bad_signs == 0 and "list-1" in transport.request_ids
    assert fake.list_calls[0]["update_after"] == "2024-11-24T00:00:00+00:00"


def test_api_call_limit_and_429_retry_after(fake):
    seed(fake, 3)
    fake.failures["/orders/get"].extend([
        httpx.Response(429, headers={"Retry-After": "3"}),
        fake.error("ApiCallLimit", "access frequency exceeds the limit, ban lasts 1 second"),
    ])
    sleeps = Sleeps()
    source, _, _ = make_source(sleeps)
    assert len(run(source)) == 3
    assert sleeps[0] == 3.0 and len(sleeps) == 2


def test_5xx_burst_then_success(fake):
    seed(fake, 2)
    fake.failures["/orders/items/get"].extend([httpx.Response(500), httpx.Response(504), httpx.Response(502)])
    sleeps = Sleeps()
    source, _, _ = make_source(sleeps)
    assert len(run(source)) == 2 and len(sleeps) == 3


def test_expired_token_mid_run_refreshes_once_and_replays(fake):
    seed(fake, 120)
    fake.after_list_call = lambda f, n: f.valid_tokens.clear() if n == 1 else None
    source, provider, _ = make_source(page_size=60)
    assert len(run(source)) == 120
    assert provider.refresh_count == 1 and provider.tokens.access_token == "access-2"
    assert provider.tokens.extra["country"] == "SG"


def test_refresh_rejected_is_authorization_revoked(fake):
    seed(fake, 1)
    fake.valid_tokens = set()
    fake.refresh_tokens = {}
    source, _, _ = make_source()
    with pytest.raises(AuthorizationRevoked, match="IllegalRefreshToken"):
        run(source)


def test_total_shrinking_mid_run_does_not_skip_orders(fake):
    """An order on page 1 is updated during the run and leaves the window; offsets shift left by one."""
    ids = seed(fake, 9)
    moved = fake.orders[1]

    def update_during_run(f, n):
        if n == 1:
            moved["updated_at"] = (T0 + timedelta(days=3)).isoformat()  # now outside [T0, T0+1d)
            f.orders.remove(moved)
            f.orders.append(moved)

    fake.after_list_call = update_during_run
    source, _, _ = make_source(page_size=3)
    got = [str(o["order_id"]) for o in run(source)]
    assert set(got) == set(ids)  # nothing skipped; the moved order was seen on page 1
    assert len(got) == len(set(got))  # and nothing emitted twice


def test_duplicates_across_pages_are_emitted_once(fake):
    ids = seed(fake, 4)
    fake.orders.insert(2, fake.orders[0])  # the server lists order 0 twice (same version)
    source, _, _ = make_source(page_size=2)
    got = [str(o["order_id"]) for o in run(source)]
    assert got == ids


def test_order_without_items_is_mapped_as_a_problem_and_the_batch_goes_on(fake):
    seed(fake, 3)
    fake.orders[1]["order_items"] = None  # items endpoint omits it
    source, _, _ = make_source()
    raws = run(source)
    results = [map_order(r, "1001", "SG", "SGD") for r in raws]
    assert [r.record is not None for r in results] == [True, False, True]
    assert any(p.code == "missing_items" for p in results[1].problems)


def test_mapping_currency_from_items_decimal_strings_and_big_ids():
    result = map_order(fixture_json("lazada", "order.json"), "1001", "SG", "SGD")
    assert result.ok, result.problems
    o = result.record
    assert o.platform is Platform.LAZADA and o.order_id == "260012345678901234"
    assert o.currency == "SGD" and o.status is OrderStatus.READY_TO_SHIP
    assert o.total_amount.amount == Decimal("114.30") and o.shipping_fee.amount == Decimal("4.50")
    assert o.created_at.isoformat() == "2024-11-24T00:15:30+00:00"
    assert [line.quantity for line in o.lines] == [1, 1] and o.lines[0].model_id == "9007199254740993"
    assert o.lines[0].tracking_number == "LXSG0001234567"
    assert o.packages[0].package_id == "FP0123456789" and len(o.packages[0].line_refs) == 2


def test_mapping_without_item_currency_uses_venture_with_warning_and_mixed_is_an_error():
    raw = fixture_json("lazada", "order.json")
    for item in raw["order_items"]:
        del item["currency"]
    result = map_order(raw, "1001", "SG", "SGD")
    assert result.ok and result.record.currency == "SGD"
    assert [p.code for p in result.problems] == ["currency_from_venture"]
    raw["order_items"][0]["currency"] = "MYR"
    raw["order_items"][1]["currency"] = "SGD"
    assert map_order(raw, "1001", "SG", "SGD").record is None


def test_unknown_status_and_order_status_from_items():
    raw = order("1", status="awaiting_moon")
    result = map_order(raw, "1001", "SG", "SGD")
    assert result.record.status is OrderStatus.UNKNOWN and result.record.raw_status == "awaiting_moon"
    assert order_status(["delivered", "canceled"]) is OrderStatus.DELIVERED
    assert order_status(["canceled", "canceled"]) is OrderStatus.CANCELLED
    assert order_status(["shipped", "pending"]) is OrderStatus.PROCESSING


@pytest.mark.parametrize("damage, field", [
    ({"created_at": "2024-11-24 08:15:30"}, "created_at"),  # no offset: refused, never guessed
    ({"order_id": None, "order_number": None}, "order_id"),
])
def test_malformed_headers(damage, field):
    raw = fixture_json("lazada", "order.json")
    raw.update(damage)
    result = map_order(raw, "1001", "SG", "SGD")
    assert result.record is None and any(p.field == field for p in result.problems)


def test_hosts_and_authorization_link():
    assert LazadaSettings("k", "s", "my").gateway == "https://api.lazada.com.my/rest"
    assert LazadaSettings("k", "s", "VN").auth_api == "https://auth.lazada.com/rest"
    with pytest.raises(ValueError):
        LazadaSettings("k", "s", "XX")
    link = lazada_auth.authorization_url(LazadaSettings("k", "s", "TH"), "https://app.example/cb", "st")
    assert link.startswith("https://auth.lazada.com/oauth/authorize?response_type=code&force_auth=true")
    assert "client_id=k" in link and "country=th" in link
    assert "s3cr3t-value" not in repr(LazadaSettings("k", "s3cr3t-value", "SG"))


def test_code_exchange_stores_durations_as_absolute_times_and_zero_refresh_means_not_refreshable(fake):
    clock = Clock(T0)
    got = lazada_auth.exchange_code(SETTINGS, make_transport("lazada"), "good-code", clock)
    assert got.access_expires_at == T0 + timedelta(days=30)
    assert got.refresh_expired(T0)  # refresh_expires_in = 0: cannot be refreshed
    assert got.extra["seller_ids"] == "1001"
    with pytest.raises(Exception, match="InvalidCode"):
        lazada_auth.exchange_code(SETTINGS, make_transport("lazada"), "bad", clock)
