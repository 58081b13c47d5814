"""The raw status path each sandbox order walks on its platform, through every documented status.

The world's life-cycle stages are platform-neutral; this module turns them into the sequence of raw
statuses a platform shows, with the detours real orders take, so that across a world every status
each platform documents appears (``platform_adapters.<platform>.statuses.DOCUMENTED``):

* Shopee: an opt-in ``PENDING`` or the BR ``INVOICE_PENDING`` before ``READY_TO_SHIP`` (the sandbox
  shows the latter outside BR too, for coverage), ``RETRY_SHIP`` when the 3PL's first pickup failed,
  ``IN_CANCEL`` while a paid order's cancellation is pending, ``TO_RETURN`` from the buyer's return
  request on (Shopee documents no order status after it).
* Lazada (per item): ``topack``, ``repacked``, ``ready_to_ship_pending`` then ``ready_to_ship`` or
  ``toship``, ``shipping`` or ``shipped``, ``confirmed`` when the buyer confirms receipt; a return
  is a buyer return (``returned``, with a reverse order) or a failed delivery travelling back
  (``failed``/``failed_delivery`` → ``shipped_back`` → ``shipped_back_success``); a lost parcel ends
  ``lost``, ``lost_by_3pl``, ``damaged_by_3pl``, ``package_scrapped`` or, when it was on its way back,
  ``shipped_back_failed``.
* TikTok: ``ON_HOLD`` (the buyer may still cancel) before ``AWAITING_SHIPMENT``, ``PARTIALLY_SHIPPING``
  for orders of several lines; returns and losses do not change a TikTok order's status.

A small share of shipped orders is lost in the last mile (stage ``LOST``, never delivered, never
settled). Every choice comes from a generator seeded with (world seed, platform, order id), so
adding this module did not move any other random draw of the world.
"""
from __future__ import annotations

import random
from dataclasses import replace

LOST = "LOST"
LOST_SHARE = 0.015


def _rng(seed: int, platform: str, order_id: str) -> random.Random:
    return random.Random(f"status-path:{seed}:{platform}:{order_id}")


LAZADA_LOSSES = ("lost", "lost_by_3pl", "damaged_by_3pl", "package_scrapped", "shipped_back_failed")
LAZADA_RETURNS = ("returned", "failed_delivery", "failed", "returned")  # a buyer return, or a failed delivery


def with_documented_paths(orders: list, seed: int) -> list:
    """The orders with their raw status paths (and a few turned into last-mile losses). The first
    Lazada orders that could be lost take each documented loss outcome once, so that even a small
    world shows every status."""
    quota = {"loss": list(LAZADA_LOSSES), "return": list(LAZADA_RETURNS)}
    return [_one(order, seed, quota) for order in orders]


def _one(order, seed: int, quota: dict[str, list[str]]):
    rng = _rng(seed, order.shop.platform, order.order_id)
    stages, settled = order.stages, order.settled_at
    names = [name for name, _ in stages]
    loss = None
    if "DELIVERED" in names and "RETURNED" not in names:
        if order.shop.platform == "lazada" and quota["loss"]:
            loss = quota["loss"].pop(0)
        elif rng.random() < LOST_SHARE:
            loss = LAZADA_LOSSES[rng.randrange(len(LAZADA_LOSSES))]
    if loss is not None:
        delivered = names.index("DELIVERED")
        stages = tuple(stages[:delivered]) + ((LOST, stages[delivered][1]),)
        settled = None
    comeback = None
    if order.shop.platform == "lazada" and "RETURNED" in names:
        comeback = quota["return"].pop(0) if quota["return"] else LAZADA_RETURNS[rng.randrange(len(LAZADA_RETURNS))]
    events = _path(order.shop.platform, stages, len(order.lines), rng, loss, comeback)
    return replace(order, stages=tuple(stages), raw_events=tuple(events), settled_at=settled)


def _between(a: int, b: int, fraction: float) -> int:
    """An instant strictly inside (a, b) when there is room, else ``a``."""
    if b - a < 2:
        return a
    return min(b - 1, max(a + 1, a + int((b - a) * fraction)))


def _path(platform: str, stages, line_count: int, rng: random.Random, loss: str | None = None,
          comeback: str | None = None) -> list[tuple[str, int]]:
    # a Lazada return is a buyer return ('returned') or a failed delivery that never showed 'delivered'
    ctx = {"lines": line_count, "loss": loss, "failed_delivery": comeback if comeback != "returned" else None}
    steps: list[tuple[str, int]] = []
    for index, (stage, at) in enumerate(stages):
        previous = stages[index - 1][1] if index else at
        following = stages[index + 1][1] if index + 1 < len(stages) else at + 86400
        prev_stage = stages[index - 1][0] if index else None
        steps.extend(STEPS[platform](stage, at, previous, following, prev_stage, ctx, rng))
    events: list[tuple[str, int]] = []
    for raw, when in sorted(steps, key=lambda s: s[1]):
        if raw is None or (events and events[-1][0] == raw):
            continue
        if events and when <= events[-1][1]:
            when = events[-1][1] + 1
        events.append((raw, when))
    return events


def _shopee(stage, at, previous, following, prev_stage, ctx, rng):
    if stage == "UNPAID":
        return [("UNPAID", at)]
    if stage == "PAID":
        roll = rng.random()
        if roll < 0.08:
            return [("PENDING", at), ("READY_TO_SHIP", _between(at, following, 0.2))]
        if roll < 0.12:
            return [("INVOICE_PENDING", at), ("READY_TO_SHIP", _between(at, following, 0.3))]
        return [("READY_TO_SHIP", at)]
    if stage == "PACKED":
        out = [("PROCESSED", at)]
        if rng.random() < 0.15:
            out += [("RETRY_SHIP", _between(at, following, 0.4)), ("PROCESSED", _between(at, following, 0.7))]
        return out
    if stage == "CANCELLED":
        if prev_stage != "UNPAID" and rng.random() < 0.6:
            return [("IN_CANCEL", _between(previous, at, 0.5)), ("CANCELLED", at)]
        return [("CANCELLED", at)]
    if stage == "RETURNED":
        return [("TO_RETURN", return_requested_at(previous, at))]
    return [({"SHIPPED": "SHIPPED", "DELIVERED": "TO_CONFIRM_RECEIVE", "COMPLETED": "COMPLETED"}.get(stage), at)]


def _lazada(stage, at, previous, following, prev_stage, ctx, rng):
    if stage == "UNPAID":
        return [("unpaid", at)]
    if stage == "PAID":
        out = [("pending", at)]
        if rng.random() < 0.3:
            out.append(("topack", _between(at, following, 0.3)))
        return out
    if stage == "PACKED":
        out = [("packed", at)]
        if rng.random() < 0.1:
            out.append(("repacked", _between(at, following, 0.2)))
        if rng.random() < 0.5:
            out.append(("ready_to_ship_pending", _between(at, following, 0.4)))
        out.append(("toship" if rng.random() < 0.2 else "ready_to_ship", _between(at, following, 0.6)))
        return out
    if stage == "SHIPPED":
        return [("shipping" if rng.random() < 0.3 else "shipped", at)]
    if stage == "DELIVERED":
        if ctx["failed_delivery"]:
            return [(ctx["failed_delivery"], at)]
        return [("delivered", at)]
    if stage == "COMPLETED":
        return [("confirmed", at)] if rng.random() < 0.6 else []
    if stage == "CANCELLED":
        return [("canceled", at)]
    if stage == "RETURNED":
        if ctx["failed_delivery"]:  # the parcel never reached the buyer: it travelled back
            return [("shipped_back", _between(previous, at, 0.5)), ("shipped_back_success", at)]
        return [("returned", at)]
    if stage == LOST:
        if ctx["loss"] == "shipped_back_failed":  # the delivery failed and the parcel never made it back
            return [("failed_delivery", _between(previous, at, 0.3)), ("shipped_back", _between(previous, at, 0.6)),
                    ("shipped_back_failed", at)]
        return [(ctx["loss"], at)]
    return []


def _tiktok(stage, at, previous, following, prev_stage, ctx, rng):
    if stage == "UNPAID":
        return [("UNPAID", at)]
    if stage == "PAID":
        if rng.random() < 0.2:
            return [("ON_HOLD", at), ("AWAITING_SHIPMENT", _between(at, following, 0.3))]
        return [("AWAITING_SHIPMENT", at)]
    if stage == "PACKED":
        out = [("AWAITING_COLLECTION", at)]
        if ctx["lines"] > 1 and rng.random() < 0.3:
            out.append(("PARTIALLY_SHIPPING", _between(at, following, 0.5)))
        return out
    return [({"SHIPPED": "IN_TRANSIT", "DELIVERED": "DELIVERED", "COMPLETED": "COMPLETED",
              "CANCELLED": "CANCELLED"}.get(stage), at)]


def return_requested_at(delivered: int, returned: int) -> int:
    """When the buyer asked for the return of an order returned at ``returned`` (delivered at ``delivered``)."""
    return _between(delivered, returned, 0.25)


STEPS = {"shopee": _shopee, "lazada": _lazada, "tiktok": _tiktok}
