"""The outbound side of a sandbox world: every paid order line as its 3PL handles it at a simulated instant.

A paid order is an outbound order at its shop's warehouse from payment on: ``NEW`` (stock allocated,
not yet shipped), ``SHIPPED``, ``DELIVERED``, ``RETURNED`` (failed or returned delivery back in the
warehouse) or ``CANCELED`` (buyer cancelled before pick; allocation released). Each line is picked from
the lot its SKU came in on (``shipments.lot_of``). The logistics files (``logistics``) and the ground
truth (``truth``) both read these records, so they can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

from platform_adapters.sandbox.shipments import ShipLine, Shipment, lot_of
from platform_adapters.sandbox.snapshot import state_at
from platform_adapters.sandbox.world import (
    CANCELLED, DELIVERED, RETURNED, SHIPPED, World, WorldLine, WorldOrder, WorldPackage,
)


@dataclass(frozen=True)
class OutboundLine:
    order: WorldOrder
    line: WorldLine
    package: WorldPackage
    status: str  # the 3PL's raw status: NEW, SHIPPED, DELIVERED, RETURNED, CANCELED
    shipment: Shipment
    ship_line: ShipLine
    at: int  # the instant the status is read at

    @property
    def lot_id(self) -> str:
        return self.shipment.lot_id(self.ship_line)

    @property
    def outbound_no(self) -> str:
        # stable across renders and over time, so re-importing a later file updates the same outbound
        return f"OC-{self.order.shop.platform[:2].upper()}{self.package.package_id}"


def outbound_lines(world: World, now: int, shipments: list[Shipment]) -> list[OutboundLine]:
    """Every line of every order paid by ``now`` whose stock came in on one of ``shipments``."""
    lots = lot_of(shipments)
    out = []
    for order in world.orders:
        state = state_at(order, now)
        paid = order.stage_time("PAID")
        if state is None or paid is None or paid > now:
            continue
        shipped, delivered = order.stage_time(SHIPPED), order.stage_time(DELIVERED)
        status = ("CANCELED" if state.stage == CANCELLED else "RETURNED" if state.stage == RETURNED
                  else "DELIVERED" if delivered is not None and delivered <= now
                  else "SHIPPED" if shipped is not None and shipped <= now else "NEW")
        shop = order.shop
        for line in order.lines:
            found = lots.get((shop.owner_id, shop.warehouse_code, line.sku.seller_sku))
            if found is None:
                continue
            out.append(OutboundLine(order, line, order.packages[line.package_index], status, *found, now))
    return out
