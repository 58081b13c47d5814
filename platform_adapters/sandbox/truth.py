"""The ground truth of a sandbox world's logistics chain at a simulated instant, for verdicts.

``chain_truth``: one row per order line x lot with the units that really went that way — order line
(platform, shop id, order id, line ref) → lot → receipt (warehouse, ASN, line) → container → bill of
lading → customs entry — for every outbound line that is not cancelled (allocated, shipped, delivered
or returned). Identifiers are as the documents state them (the 3PL may type them differently).

``title_truth``: every lot's units by who holds title and where they are at the instant, the way
``../shared/reference/logistics_title.md`` reads the world's documents (FOB Yantian, telex release, the
3PL as bailee; the consumer's title on delivery): units still in the warehouse are the owner's
``OWNED_IN_WAREHOUSE`` (``AVAILABLE``; a return waits for inspection, ``RETURNED_PENDING_QC``),
allocated ones ``ALLOCATED``, shipped ones ``IN_LAST_MILE`` (title still the owner's), delivered ones the
consumer's (``CONSUMER_OWNED``, ``DELIVERED``). Returned units the marketplace's warehouse disposed of
(a return of goods whose disposition is ``SCRAP``, shown once the return is received) are written off: the
owner's title ends there, so they count nowhere in the position. Units received damaged stay the owner's in
the warehouse (location ``DEFECTIVE``). Each row carries the lot's unit cost as the documents state it
(``shipments.unit_cost``: the MY stock snapshot's landed cost in MYR, else the customs line's invoice value
per unit in USD; none when the broker's file lacks the line).

``write_off_truth``: every write-off at the instant (owner, lot, order line, units, and ``at``: when the
case showed the disposition, ``updated_at``: its latest update by the instant).

All are served at ``GET /_sandbox/truth/logistics`` and written by ``write_truth``.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from platform_adapters.sandbox.fulfilment import OutboundLine, outbound_lines
from platform_adapters.sandbox.returns import RECEIVED, REFUNDED, RETURN, returns_of
from platform_adapters.sandbox.shipments import REALISTIC, LogisticsNoise, Shipment, build_shipments, unit_cost
from platform_adapters.sandbox.world import World

CHAIN_FIELDS = ["owner_id", "platform", "shop_id", "order_id", "order_line_ref", "sku", "lot_id", "warehouse_code",
                "asn_no", "receipt_line", "container_no", "transport_document_no", "customs_declaration_no", "qty"]
TITLE_FIELDS = ["owner_id", "lot_id", "warehouse_code", "title_holder", "title_state", "location_state", "qty",
                "unit_cost", "cost_currency"]
CONSUMER = "CONSUMER"
WRITE_OFF_FIELDS = ["owner_id", "lot_id", "warehouse_code", "platform", "shop_id", "order_id", "order_line_ref", "qty",
                    "at", "updated_at"]
TRUTH_FILE = "ground_truth.json"  # beside the logistics files (``aggregator sandbox --write-logistics``)

_STATE_OF = {  # outbound status -> (title holder is the consumer, title state, location state)
    "NEW": (False, "ALLOCATED", "ALLOCATED"),
    "SHIPPED": (False, "IN_LAST_MILE", "IN_LAST_MILE"),
    "DELIVERED": (True, "CONSUMER_OWNED", "DELIVERED"),
    "RETURNED": (False, "OWNED_IN_WAREHOUSE", "RETURNED_PENDING_QC"),
}


def _receipt_line(s: Shipment, lot_id: str) -> int:
    box = next(line.box for line in s.lines if s.lot_id(line) == lot_id)
    mine = [s.lot_id(line) for line in s.lines if line.box == box]
    return mine.index(lot_id) + 1


def chain_truth(world: World, now: int, noise: LogisticsNoise = REALISTIC) -> list[dict]:
    """Every (order line, lot) chain at ``now`` with its units (``CHAIN_FIELDS``)."""
    units: dict[tuple, int] = defaultdict(int)
    for o in outbound_lines(world, now, build_shipments(world, noise)):
        if o.status == "CANCELED":
            continue
        s, shop = o.shipment, o.order.shop
        box = s.boxes[o.ship_line.box]
        key = (s.owner_id, shop.platform, shop.shop_id, o.order.order_id, o.line.line_ref, o.line.sku.seller_sku,
               o.lot_id, s.warehouse, box.asn, _receipt_line(s, o.lot_id), box.container, s.mbl, s.declaration)
        units[key] += o.line.quantity
    return [dict(zip(CHAIN_FIELDS, (*key, qty))) for key, qty in sorted(units.items())]


def title_truth(world: World, now: int, noise: LogisticsNoise = REALISTIC) -> list[dict]:
    """Every lot's units by title holder, title state and location at ``now`` (``TITLE_FIELDS``); only
    lots received by ``now``."""
    shipments = build_shipments(world, noise)
    moved: dict[tuple[str, str], int] = defaultdict(int)
    outbound = outbound_lines(world, now, shipments)
    for o in outbound:
        if o.status != "CANCELED":
            moved[(o.lot_id, o.status)] += o.line.quantity
    off: dict[tuple[str, str], int] = defaultdict(int)  # of the units moved, those written off: no one's any more
    for o, units, _at, _updated in _write_offs(outbound, now):
        off[(o.lot_id, o.status)] += units
    rows = []
    for s in shipments:
        for line in s.lines:
            lot = s.lot_id(line)
            if s.boxes[line.box].received > now:
                rows.extend(_before_receipt(s, line, lot, now))
                continue
            left = line.good - sum(moved[(lot, status)] for status in _STATE_OF)
            states = [(False, "OWNED_IN_WAREHOUSE", "AVAILABLE", left),
                      (False, "OWNED_IN_WAREHOUSE", "DEFECTIVE", line.damaged)]
            states += [(*_STATE_OF[status], moved[(lot, status)] - off[(lot, status)]) for status in _STATE_OF]
            cost = unit_cost(s, line, now)
            for consumer, title_state, location, qty in states:
                if qty:
                    rows.append(dict(zip(TITLE_FIELDS, (s.owner_id, lot, s.warehouse,
                                                        CONSUMER if consumer else s.owner_id, title_state, location,
                                                        qty, str(cost[0]) if cost else None,
                                                        cost[1] if cost else None))))
    return rows


def _write_offs(outbound: list[OutboundLine], now: int) -> list[tuple[OutboundLine, int, int, int]]:
    """(outbound line, units written off, when the case showed the disposition, its latest update) of every
    order line whose returned goods were scrapped by ``now``: a return of goods on Shopee or Lazada (TikTok's
    return APIs say nothing of the goods) received or refunded by then with disposition ``SCRAP``."""
    by_line = {(o.order.order_id, o.line.line_ref): o for o in outbound if o.status != "CANCELED"}
    out = []
    for order in sorted({id(o.order): o.order for o in by_line.values()}.values(), key=lambda o: o.order_id):
        if order.shop.platform == "tiktok":
            continue
        for case in returns_of(order):
            seen = case.step_at(now)
            if case.kind != RETURN or case.disposition != "SCRAP" or seen is None or seen[0] not in (RECEIVED, REFUNDED):
                continue
            shown = next(at for step, at in case.steps if step == RECEIVED)
            for line, units in case.lines:
                o = by_line.get((order.order_id, line.line_ref))
                if o is not None and units:
                    out.append((o, min(units, o.line.quantity), shown, seen[1]))
    return out


def write_off_truth(world: World, now: int, noise: LogisticsNoise = REALISTIC) -> list[dict]:
    """Every write-off of returned goods by ``now`` (``WRITE_OFF_FIELDS``)."""
    outbound = outbound_lines(world, now, build_shipments(world, noise))
    return [dict(zip(WRITE_OFF_FIELDS, (o.shipment.owner_id, o.lot_id, o.shipment.warehouse, o.order.shop.platform,
                                        o.order.shop.shop_id, o.order.order_id, o.line.line_ref, units, at, updated)))
            for o, units, at, updated in _write_offs(outbound, now)]


def _midnight(epoch: int) -> int:
    return epoch // 86400 * 86400


def _before_receipt(s: Shipment, line, lot: str, now: int) -> list[dict]:
    """A replenishment's lot before the 3PL receives it, read as the reference reads its documents (FOB
    Yantian, telex release, dates on the bill are days): nobody's before loading is reported here; the
    owner's on the water from the on-board day (``SELLER_TITLE_IN_TRANSIT``); at the ETA day the carrier
    releases to the consignee (``RELEASED_BY_CARRIER``, at destination); under customs control from the
    lodging of the entry; cleared from its release until the 3PL receives the goods."""
    phases = [(_midnight(s.etd + 86400), "SELLER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN"),
              (_midnight(s.eta), "RELEASED_BY_CARRIER", "AT_DESTINATION"),
              (s.submitted, "UNDER_CUSTOMS_CONTROL", "UNDER_CUSTOMS_CONTROL"),
              (s.released, "CLEARED", "CLEARED")]
    reached = [(state, location) for at, state, location in phases if at <= now]
    if not reached:
        return []
    cost = unit_cost(s, line, now)
    return [dict(zip(TITLE_FIELDS, (s.owner_id, lot, s.warehouse, s.owner_id, *reached[-1], line.planned,
                                    str(cost[0]) if cost else None, cost[1] if cost else None)))]


def logistics_truth(world: World, now: int, noise: LogisticsNoise = REALISTIC) -> dict:
    """The document served at ``/_sandbox/truth/logistics`` and written by ``write_truth``."""
    return {"now": now, "seed": world.seed, "chains": chain_truth(world, now, noise),
            "title": title_truth(world, now, noise), "write_offs": write_off_truth(world, now, noise)}


def write_truth(world: World, now: int, path: str | Path, noise: LogisticsNoise = REALISTIC) -> Path:
    """Write ``logistics_truth`` as JSON to ``path``; returns it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(logistics_truth(world, now, noise), indent=1), encoding="utf-8")
    return path
