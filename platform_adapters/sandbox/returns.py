"""The sandbox world's after-sales cases: returns and cancellations, derived from the orders.

Three kinds of case, each a pure function of an order (same world, same cases):

* an order in the ``RETURNED`` stage was sent back by its buyer: one return of every unit, raised
  when the order turned ``RETURNED`` (Lazada only when it was a buyer return: a failed delivery
  travelling back makes no reverse order, per Lazada's reverse-order overview);
* an order whose settlement carries a refund (``snapshot.settlement_of``: one unit of its first line
  returned and refunded after delivery) has a return of that unit, refunded before the money is
  released;
* on Lazada and TikTok a paid order that was cancelled has a cancellation of every unit (Shopee shows
  cancellations as order statuses only; its returns API lists returns).

A case walks REQUESTED → APPROVED → IN_TRANSIT → RECEIVED → REFUNDED (a cancellation REQUESTED →
APPROVED → REFUNDED); what the platform shows at the simulated ``now`` is the last step reached.
The refund of a case is the goods it takes back (a cancellation's shipping-fee refund is not modelled).
The returned goods are restocked or scrapped (``disposition``), drawn from the order id.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from platform_adapters.sandbox.world import (
    CANCELLED, DELIVERED, PAID, RETURNED, WorldLine, WorldOrder, bundle_discount, money_roll,
)

REQUESTED, APPROVED, IN_TRANSIT, RECEIVED, REFUNDED = "REQUESTED", "APPROVED", "IN_TRANSIT", "RECEIVED", "REFUNDED"
RETURN, CANCELLATION = "RETURN", "CANCELLATION"
HOUR = 3600
LAZADA_FAILED_DELIVERY = frozenset({"failed", "failed_delivery", "shipped_back", "shipped_back_success"})


@dataclass(frozen=True, slots=True)
class WorldReturn:
    order: WorldOrder
    kind: str
    lines: tuple[tuple[WorldLine, int], ...]  # (order line, units taken back)
    steps: tuple[tuple[str, int], ...]  # (step, unix seconds), ascending
    refund: Decimal
    disposition: str | None  # RESTOCK / SCRAP for goods that come back

    @property
    def created_at(self) -> int:
        return self.steps[0][1]

    def step_at(self, now: int) -> tuple[str, int] | None:
        """(step, time of that step) as seen at ``now``; None before the case exists."""
        seen = None
        for step in self.steps:
            if step[1] <= now:
                seen = step
        return seen

    @property
    def return_id(self) -> str:
        platform, order_id = self.order.shop.platform, self.order.order_id
        if platform == "shopee":
            return f"RR{order_id}"
        prefix = {"lazada": ("7", "8"), "tiktok": ("40", "41")}[platform][self.kind == CANCELLATION]
        return prefix + order_id[len(prefix):]


def _spread(start: int, end: int, names: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    span = max(len(names), end - start)
    return tuple((name, start + span * index // len(names)) for index, name in enumerate(names))


def returns_of(order: WorldOrder) -> list[WorldReturn]:
    from platform_adapters.sandbox.snapshot import settlement_of

    platform = order.shop.platform
    out: list[WorldReturn] = []
    disposition = "SCRAP" if money_roll(order.order_id, "return-disposition") < 30 else "RESTOCK"
    returned_at = order.stage_time(RETURNED)
    if returned_at is not None:
        failed = platform == "lazada" and any(raw in LAZADA_FAILED_DELIVERY for raw, _ in order.raw_events)
        if not failed:
            steps = _spread(returned_at, returned_at + 4 * 24 * HOUR,
                            (REQUESTED, APPROVED, IN_TRANSIT, RECEIVED, REFUNDED))
            out.append(WorldReturn(order, RETURN, tuple((line, line.quantity) for line in order.lines), steps,
                                   order.subtotal - bundle_discount(order), disposition))
    s = settlement_of(order)
    delivered = order.stage_time(DELIVERED)
    if s.refund < 0 and order.settled_at is not None and delivered is not None and returned_at is None:
        steps = _spread(delivered + HOUR, order.settled_at - 60, (REQUESTED, APPROVED, IN_TRANSIT, RECEIVED, REFUNDED))
        out.append(WorldReturn(order, RETURN, ((order.lines[0], 1),), steps, -s.refund, disposition))
    cancelled, paid = order.stage_time(CANCELLED), order.stage_time(PAID)
    if platform in ("lazada", "tiktok") and cancelled is not None and paid is not None:
        steps = _spread(max(paid + 60, cancelled - 2 * HOUR), cancelled, (REQUESTED, APPROVED, REFUNDED))
        out.append(WorldReturn(order, CANCELLATION, tuple((line, line.quantity) for line in order.lines), steps,
                               order.subtotal - bundle_discount(order), None))
    return out


class ReturnBook:
    """Every case of a world, per shop, ordered by creation (built once per server)."""

    def __init__(self, orders_by_shop: dict[tuple[str, str], list[WorldOrder]]) -> None:
        self.by_shop: dict[tuple[str, str], list[WorldReturn]] = {
            key: sorted((r for o in orders for r in returns_of(o)), key=lambda r: (r.created_at, r.return_id))
            for key, orders in orders_by_shop.items()}
        self.by_id = {(key, r.return_id): r for key, cases in self.by_shop.items() for r in cases}

    def visible(self, platform: str, shop_id: str, now: int) -> list[tuple[WorldReturn, str, int]]:
        """(case, step, update time) of every case of the shop that exists at ``now``."""
        out = []
        for case in self.by_shop.get((platform, shop_id), []):
            if case.created_at > now:
                break
            step, at = case.step_at(now)  # type: ignore[misc]
            out.append((case, step, at))
        return out

    def updated_between(self, platform: str, shop_id: str, now: int, start: int, end: int,
                        kind: str | None = None) -> list[tuple[WorldReturn, str, int]]:
        """Cases updated in [start, end], by (update time, id)."""
        rows = [row for row in self.visible(platform, shop_id, now)
                if start <= row[2] <= end and (kind is None or row[0].kind == kind)]
        return sorted(rows, key=lambda row: (row[2], row[0].return_id))
