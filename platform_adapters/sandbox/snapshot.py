"""What the sandbox world looks like at one simulated instant: visible orders, statuses, money.

A :class:`Snapshot` is built for a world and a simulated time ``now`` (Unix seconds). Per shop it
lists the orders that exist by then with their current raw status and update time, indexed for
time-window queries, and derives each settled order's money (one fee table for all platforms, so
the ground truth is the same whichever finance endpoint a client reads).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from platform_adapters.sandbox.world import (
    CANCELLED, PACKED, SHIPPED, ZERO_DECIMAL_CURRENCIES, World, WorldOrder, WorldShop, bundle_discount, money_roll,
)

COMMISSION_RATE = Decimal("0.06")
SERVICE_RATE = Decimal("0.02")
TRANSACTION_RATE = Decimal("0.02")

STAGE_ORDER = ("UNPAID", "PAID", "PACKED", "SHIPPED", "DELIVERED", "COMPLETED", "LOST", "RETURNED", "CANCELLED")


def round_money(value: Decimal, currency: str) -> Decimal:
    unit = Decimal(1) if currency in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
    return value.quantize(unit, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Settlement:
    """The money a marketplace releases for one order (all amounts signed, in the shop currency).

    ``revenue`` is the items as the buyer paid them (after a Shopee bundle deal, ``bundle_discount``);
    ``refund`` a unit refunded after a partial return (negative); ``adjustments`` later corrections
    (amount, reason) booked with the release; ``reserve`` what TikTok withholds under its reserve
    policy at the order's statement and releases a week later (not part of ``net``).
    """

    revenue: Decimal  # item subtotal paid by the buyer
    shipping_fee: Decimal  # paid by the buyer, passed to the seller, then charged by the carrier
    commission: Decimal  # negative
    service_fee: Decimal  # negative
    transaction_fee: Decimal  # negative
    shipping_cost: Decimal  # negative (carrier charge equal to the buyer-paid fee)
    bundle_discount: Decimal = Decimal(0)
    refund: Decimal = Decimal(0)
    adjustments: tuple[tuple[Decimal, str], ...] = ()
    reserve: Decimal = Decimal(0)  # positive amount withheld, then released

    @property
    def escrow(self) -> Decimal:
        """Released before adjustments (Shopee ``escrow_amount``)."""
        return (self.revenue + self.shipping_fee + self.commission + self.service_fee
                + self.transaction_fee + self.shipping_cost + self.refund)

    @property
    def net(self) -> Decimal:
        """Everything the order finally pays the seller (reserves come back, so they are not in it)."""
        return self.escrow + sum((amount for amount, _ in self.adjustments), Decimal(0))


ADJUSTMENT_REASONS = ("logistic issue deduction", "logistic issue compensation")


def settlement_of(order: WorldOrder) -> Settlement:
    currency = order.shop.currency
    bundle = bundle_discount(order)
    revenue = order.subtotal - bundle
    refund = Decimal(0)
    units = sum(line.quantity for line in order.lines)
    if units >= 2 and not bundle and money_roll(order.order_id, "refund") < 8:
        refund = -order.lines[0].unit_price  # one unit returned and refunded after completion
    adjustments: tuple[tuple[Decimal, str], ...] = ()
    roll = money_roll(order.order_id, "adjust")
    if roll < 14:
        amount = round_money(revenue * Decimal("0.03"), currency) or Decimal(1)
        adjustments = ((-amount if roll % 2 == 0 else amount, ADJUSTMENT_REASONS[roll % 2]),)
    reserve = Decimal(0)
    if order.shop.platform == "tiktok" and money_roll(order.order_id, "reserve") < 25:
        reserve = round_money(revenue * Decimal("0.05"), currency)
    return Settlement(
        revenue=revenue,
        shipping_fee=order.shipping_fee,
        commission=-round_money(revenue * COMMISSION_RATE, currency),
        service_fee=-round_money(revenue * SERVICE_RATE, currency),
        transaction_fee=-round_money((revenue + order.shipping_fee) * TRANSACTION_RATE, currency),
        shipping_cost=-order.shipping_fee,
        bundle_discount=bundle, refund=refund, adjustments=adjustments, reserve=reserve,
    )


def line_fees(order: WorldOrder) -> list[tuple[Decimal, Decimal, Decimal]]:
    """Per line (price x qty, commission, payment fee), split so the lines sum to the order figures."""
    s = settlement_of(order)
    currency = order.shop.currency
    amounts = [line.unit_price * line.quantity for line in order.lines]
    total = sum(amounts, Decimal(0)) or Decimal(1)
    out: list[tuple[Decimal, Decimal, Decimal]] = []
    left_c, left_p = s.commission, s.service_fee + s.transaction_fee
    for index, amount in enumerate(amounts):
        if index == len(amounts) - 1:
            out.append((amount, left_c, left_p))
        else:
            c = round_money(s.commission * amount / total, currency)
            p = round_money((s.service_fee + s.transaction_fee) * amount / total, currency)
            left_c, left_p = left_c - c, left_p - p
            out.append((amount, c, p))
    return out


@dataclass(frozen=True, slots=True)
class OrderState:
    order: WorldOrder
    raw_status: str
    update_time: int
    stage: str

    @property
    def shipped(self) -> bool:
        return STAGE_ORDER.index(self.stage) >= STAGE_ORDER.index(SHIPPED) and self.stage != CANCELLED

    @property
    def packed(self) -> bool:
        return STAGE_ORDER.index(self.stage) >= STAGE_ORDER.index(PACKED) and self.stage != CANCELLED


def state_at(order: WorldOrder, now: int) -> OrderState | None:
    if order.created_at > now:
        return None
    raw, updated = order.raw_events[0]
    for status, at in order.raw_events:
        if at <= now:
            raw, updated = status, at
    stage = order.stages[0][0]
    for name, at in order.stages:
        if at <= now:
            stage = name
    return OrderState(order, raw, updated, stage)


class ShopView:
    """The visible orders of one shop, with sorted indexes by update and create time."""

    def __init__(self, shop: WorldShop, orders: list[WorldOrder], now: int) -> None:
        self.shop = shop
        states = [s for s in (state_at(o, now) for o in orders) if s is not None]
        self.by_id = {s.order.order_id: s for s in states}
        self._by_update = sorted(states, key=lambda s: (s.update_time, s.order.order_id))
        self._update_keys = [s.update_time for s in self._by_update]
        self._by_create = sorted(states, key=lambda s: (s.order.created_at, s.order.order_id))
        self._create_keys = [s.order.created_at for s in self._by_create]
        settled = [o for o in orders if o.settled_at is not None and o.settled_at <= now]
        self.settled = sorted(settled, key=lambda o: (o.settled_at, o.order_id))
        self._settled_keys = [o.settled_at for o in self.settled]

    @cached_property
    def by_package(self) -> dict[str, OrderState]:
        """Package number -> the visible order it belongs to (Shopee's ``get_package_detail``)."""
        return {p.package_id: s for s in self.by_id.values() for p in s.order.packages}

    def _bounds(self, field: str, start: int, end: int, inclusive_end: bool) -> tuple[list[OrderState], int, int]:
        if field == "update_time":
            rows, keys = self._by_update, self._update_keys
        else:
            rows, keys = self._by_create, self._create_keys
        lo = bisect.bisect_left(keys, start)
        hi = bisect.bisect_right(keys, end) if inclusive_end else bisect.bisect_left(keys, end)
        return rows, lo, max(lo, hi)

    def window(self, field: str, start: int, end: int, inclusive_end: bool = True) -> list[OrderState]:
        """Orders whose ``field`` (update_time or create_time) lies in [start, end] (or [start, end)),
        sorted by (that field, order id)."""
        rows, lo, hi = self._bounds(field, start, end, inclusive_end)
        return rows[lo:hi]

    def page(self, field: str, start: int, end: int, inclusive_end: bool, descending: bool, offset: int,
             limit: int) -> tuple[list[OrderState], int]:
        """One page of :meth:`window` in ascending or descending order, and the window's size, without
        copying or sorting the whole window (list calls page through shops of any size)."""
        rows, lo, hi = self._bounds(field, start, end, inclusive_end)
        if descending:
            top = hi - offset
            return (rows[max(lo, top - limit):top][::-1] if top > lo else []), hi - lo
        return rows[lo + offset:min(hi, lo + offset + limit)], hi - lo

    def settled_between(self, start: int, end: int) -> list[WorldOrder]:
        """Orders settled in [start, end)."""
        lo = bisect.bisect_left(self._settled_keys, start)
        hi = bisect.bisect_left(self._settled_keys, end)
        return self.settled[lo:hi]

    def all_states(self) -> list[OrderState]:
        return list(self._by_create)


class Snapshot:
    """Per-shop views of the world at ``now``, built lazily and cached for that instant."""

    def __init__(self, world: World, now: int,
                 orders_by_shop: dict[tuple[str, str], list[WorldOrder]] | None = None) -> None:
        self.world = world
        self.now = now
        self._orders_by_shop = orders_by_shop if orders_by_shop is not None else group_by_shop(world)
        self._views: dict[tuple[str, str], ShopView] = {}

    def view(self, shop: WorldShop) -> ShopView:
        key = (shop.platform, shop.shop_id)
        view = self._views.get(key)
        if view is None:
            view = ShopView(shop, self._orders_by_shop.get(key, []), self.now)
            self._views[key] = view
        return view


def group_by_shop(world: World) -> dict[tuple[str, str], list[WorldOrder]]:
    grouped: dict[tuple[str, str], list[WorldOrder]] = {}
    for order in world.orders:
        grouped.setdefault((order.shop.platform, order.shop.shop_id), []).append(order)
    return grouped
