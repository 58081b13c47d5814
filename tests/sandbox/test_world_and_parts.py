"""The world generator, the snapshot, fees, tokens and the fault plan, without HTTP."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_adapters.sandbox.faults import FaultInjector, FaultSpecError, parse_faults
from platform_adapters.sandbox.lazada import finance_rows
from platform_adapters.sandbox.snapshot import Snapshot, settlement_of, state_at
from platform_adapters.sandbox.tiktok import transaction
from platform_adapters.sandbox.tokens import TokenError, TokenStore
from platform_adapters.sandbox.world import REGION_CURRENCY, STAGE_NAMES, generate_world

ANCHOR = 1_773_532_800


def test_same_seed_same_world_and_different_seed_different_world():
    a, b, c = generate_world(3, 150, ANCHOR), generate_world(3, 150, ANCHOR), generate_world(4, 150, ANCHOR)
    assert a == b
    assert [o.order_id for o in a.orders] != [o.order_id for o in c.orders]


def test_world_covers_six_countries_three_platforms_several_owners():
    world = generate_world(1, 400, ANCHOR)
    assert {s.region for s in world.shops} == set(REGION_CURRENCY)
    assert {s.platform for s in world.shops} == {"shopee", "lazada", "tiktok"}
    assert len(world.owners) >= 3
    assert {o.shop.shop_id for o in world.orders} == {s.shop_id for s in world.shops}


def test_ids_look_like_the_platforms_ids():
    world = generate_world(2, 400, ANCHOR)
    for order in world.orders:
        if order.shop.platform == "shopee":
            assert len(order.order_id) == 14 and order.order_id[:6].isdigit() and order.order_id.isalnum()
        elif order.shop.platform == "tiktok":
            assert len(order.order_id) == 18 and int(order.order_id) > 2**53
            assert all(int(line.line_ref) > 2**53 and line.quantity == 1 for line in order.lines)
        else:
            assert order.order_id.isdigit() and len(order.order_id) == 16 and int(order.order_id) > 2**53
            assert all(line.quantity == 1 and int(line.line_ref) > 2**53 for line in order.lines)  # item per unit


def test_lazada_order_ids_are_only_unique_within_a_store():
    world = generate_world(1, 300, ANCHOR)
    lazada = [o for o in world.orders if o.shop.platform == "lazada"]
    ids = [o.order_id for o in lazada]
    assert len(set(ids)) < len(ids)
    assert len({o.key for o in world.orders}) == len(world.orders)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), count=st.integers(1, 60))
def test_timelines_only_move_forward_and_end_in_one_final_state(seed, count):
    world = generate_world(seed, count, ANCHOR)
    for order in world.orders:
        times = [at for _stage, at in order.stages]
        assert times == sorted(times) and times[0] == order.created_at
        assert [s for s, _ in order.stages][0] == "UNPAID"
        assert order.stages[-1][0] in ("COMPLETED", "CANCELLED", "RETURNED", "LOST")
        assert all(name in STAGE_NAMES for name, _ in order.stages)
        assert (order.settled_at is not None) == (order.stages[-1][0] == "COMPLETED")
        raw_times = [at for _raw, at in order.raw_events]
        assert raw_times == sorted(raw_times)
        assert all(a != b for (a, _), (b, _) in zip(order.raw_events, order.raw_events[1:]))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), offset=st.integers(-40 * 86400, 20 * 86400))
def test_state_at_is_the_last_event_not_after_now(seed, offset):
    world = generate_world(seed, 20, ANCHOR)
    now = ANCHOR + offset
    for order in world.orders:
        state = state_at(order, now)
        if order.created_at > now:
            assert state is None
            continue
        past = [(raw, at) for raw, at in order.raw_events if at <= now]
        assert (state.raw_status, state.update_time) == past[-1]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_every_platform_finance_view_sums_to_the_same_net(seed):
    world = generate_world(seed, 40, ANCHOR)
    from datetime import timezone
    for order in world.orders:
        if order.settled_at is None:
            continue
        net = settlement_of(order).net
        assert net < order.total
        if order.shop.platform == "lazada":
            assert sum(Decimal(r["amount"]) for r in finance_rows(order, timezone.utc)) == net
        if order.shop.platform == "tiktok":  # the order's transaction plus its adjustment transactions
            adjustments = sum((amount for amount, _ in settlement_of(order).adjustments), Decimal(0))
            assert Decimal(transaction(order)["settlement_amount"]) + adjustments == net


def test_snapshot_windows_are_inclusive_and_sorted():
    world = generate_world(5, 200, ANCHOR)
    snap = Snapshot(world, ANCHOR)
    shop = world.shops[0]
    view = snap.view(shop)
    rows = view.window("update_time", 0, ANCHOR)
    assert [r.update_time for r in rows] == sorted(r.update_time for r in rows)
    assert len(rows) == len(view.by_id)
    edge = rows[3].update_time
    assert rows[3] in view.window("update_time", edge, edge)
    assert rows[3] not in view.window("update_time", 0, edge, inclusive_end=False)


# --- tokens -------------------------------------------------------------------------------------------

class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_token_lifetimes_and_single_use_refresh():
    clock = FakeClock()
    store = TokenStore(clock)
    pair = store.issue("shopee", "1")
    assert pair.access_expires_at - clock.now == 4 * 3600
    assert pair.refresh_expires_at - clock.now == 30 * 86400
    assert store.shop_for_access("shopee", pair.access_token) == "1"
    clock.now += 4 * 3600 + 1
    with pytest.raises(TokenError) as expired:
        store.shop_for_access("shopee", pair.access_token)
    assert expired.value.reason == "expired"
    new = store.refresh("shopee", pair.refresh_token, "1")
    with pytest.raises(TokenError) as used:
        store.refresh("shopee", pair.refresh_token, "1")
    assert used.value.reason == "used"
    assert store.shop_for_access("shopee", new.access_token) == "1"
    lazada = store.issue("lazada", "9")
    assert store.refresh("lazada", lazada.refresh_token).shop_id == "9"
    assert store.refresh("lazada", lazada.refresh_token).shop_id == "9"  # Lazada refresh tokens are reusable
    with pytest.raises(TokenError):
        store.shop_for_access("lazada", pair.access_token)  # another platform's token


def test_codes_work_once_and_expire():
    clock = FakeClock()
    store = TokenStore(clock)
    code = store.new_code("shopee", "5")
    assert store.exchange_code("shopee", code).shop_id == "5"
    with pytest.raises(TokenError):
        store.exchange_code("shopee", code)
    late = store.new_code("shopee", "5")
    clock.now += 601
    with pytest.raises(TokenError) as expired:
        store.exchange_code("shopee", late)
    assert expired.value.reason == "expired"


# --- faults -------------------------------------------------------------------------------------------

def test_fault_plan_parsing():
    plan = parse_faults("429=0.05, 5xx=0.05,slow=0.01,expire=once,truncate=0.01,slow_seconds=0.2")
    assert plan.rates == {"429": 0.05, "5xx": 0.05, "slow": 0.01, "truncate": 0.01}
    assert plan.expire_once and plan.slow_seconds == 0.2
    assert parse_faults("").empty and parse_faults(None).empty
    for bad in ("429", "teapot=0.1", "429=2", "429=x", "429=0.6,5xx=0.6"):
        with pytest.raises(FaultSpecError):
            parse_faults(bad)


def test_fault_draws_are_seeded_and_near_their_rates():
    plan = parse_faults("429=0.1,5xx=0.1")
    first = [FaultInjector(plan, 3).draw() for _ in range(1)]
    a, b = FaultInjector(plan, 3), FaultInjector(plan, 3)
    draws_a = [a.draw() for _ in range(2000)]
    assert draws_a == [b.draw() for _ in range(2000)]
    assert first[0] == draws_a[0]
    assert 120 < draws_a.count("429") < 280 and 120 < draws_a.count("5xx") < 280


def test_expire_once_hits_each_shop_exactly_once():
    injector = FaultInjector(parse_faults("expire=once"), 1)
    hits = {shop: sum(injector.should_expire(shop) for _ in range(20)) for shop in ("a", "b", "c")}
    assert hits == {"a": 1, "b": 1, "c": 1}
    assert injector.injected["expire"] == 3


@settings(max_examples=200, deadline=None)
@given(rates=st.dictionaries(st.sampled_from(["429", "5xx", "slow", "truncate"]),
                             st.integers(0, 25).map(lambda n: n / 100), max_size=4),
       once=st.booleans())
def test_fault_plan_round_trips(rates, once):
    text = ",".join([f"{k}={v}" for k, v in rates.items()] + (["expire=once"] if once else []))
    plan = parse_faults(text)
    assert plan.rates == rates and plan.expire_once == once


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_fault_parser_only_ever_raises_its_own_error(text):
    try:
        parse_faults(text)
    except FaultSpecError:
        pass


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_lazada_date_parser_returns_seconds_or_e017(text):
    from platform_adapters.sandbox.lazada import LazadaError, _parse_iso

    try:
        value = _parse_iso(text, "update_after")
    except LazadaError as exc:
        assert exc.code == "E017"
    else:
        assert value is None if text == "" else isinstance(value, int)


_PAGE_WORLD = generate_world(9, 300, ANCHOR)


@settings(max_examples=200, deadline=None)
@given(shop_index=st.integers(0, 14), field=st.sampled_from(["update_time", "create_time"]),
       start=st.integers(ANCHOR - 35 * 86400, ANCHOR), span=st.integers(0, 40 * 86400),
       inclusive=st.booleans(), descending=st.booleans(), offset=st.integers(0, 40), limit=st.integers(1, 30))
def test_page_equals_a_slice_of_the_sorted_window(shop_index, field, start, span, inclusive, descending, offset,
                                                  limit):
    view = Snapshot(_PAGE_WORLD, ANCHOR).view(_PAGE_WORLD.shops[shop_index])
    window = view.window(field, start, start + span, inclusive)
    ordered = list(reversed(window)) if descending else window
    page, total = view.page(field, start, start + span, inclusive, descending, offset, limit)
    assert total == len(window)
    assert page == ordered[offset:offset + limit]
