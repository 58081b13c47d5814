"""The inbound side of a sandbox world: which goods came in on which sea shipment, as the documents say.

For every owner and destination warehouse the world's orders draw from, one FCL sea shipment from
Yantian (one purchase order, one master bill of lading, one import entry) brings each SKU sold there,
in whole cartons of the product's carton size (demand plus a buffer), before the first order. Each
container is received on one ASN into one lot per SKU. Real practice is kept as noise
(``LogisticsNoise``, drawn per shipment from a hash of its bill number so a seed always gives the same
world):

* ``split_containers``: the PO travels in two containers (its products divided between them; one
  ASN and one set of bill lines per container, one customs entry naming no container);
* ``key_variants``: the 3PL writes the ASN's bill, container and declaration numbers and its owner code
  as people do (lower case, spaces, dashes);
* ``short_receipts``: receipt lines a few units short of the ASN (no damage);
* ``missing_customs_lines``: the broker's file lists the entry without one of its lines;
* ``at_sea`` (off unless asked for; ``DEMO`` asks for half): a replenishment per owner x warehouse sailing
  3 days before the world's anchor — its bill issued, its ASN announced with nothing received, its
  customs entry lodged on arrival, received 4 days after arrival; no outbound line draws from it.

Nothing here renders files (``logistics``) or states the truth (``truth``); both read these shipments.
"""
from __future__ import annotations

import math
import random
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from platform_adapters.canonical.identifiers import iso6346_check_digit
from platform_adapters.sandbox.world import OWNER_PLAN, World, WorldSku

CUSTOMS_FORM = {"MY": "K1", "SG": "IN", "TH": "KSB.99", "ID": "BC2.0", "PH": "IED", "VN": "HQ/2015/NK"}
# units per export carton of each catalogue product (``world.CATALOGUE``)
UNITS_PER_CARTON = {"EB-BT53": 50, "LMP-USBC": 10, "PC-IP15": 100, "FLK-500": 24, "CBL-C60": 100, "PB-10K": 40}
OWNER_CODES = {owner_id: code for owner_id, _name, code, _plan in OWNER_PLAN}


@dataclass(frozen=True)
class LogisticsNoise:
    """Shares of shipments (or receipt lines, for short receipts) written the way real files are."""

    split_containers: float = 0.30
    key_variants: float = 0.30
    short_receipts: float = 0.10
    missing_customs_lines: float = 0.25
    # owner x warehouse pairs with a replenishment on the water at the world's anchor (sailed 3 days before,
    # arriving 4 days after; its ASN announced, nothing received, no customs entry lodged yet)
    at_sea: float = 0.0


REALISTIC = LogisticsNoise()
CLEAN = LogisticsNoise(split_containers=0.0, key_variants=0.0, short_receipts=0.0, missing_customs_lines=0.0)
DEMO = LogisticsNoise(at_sea=0.5)  # the demo's world: realistic, and half the pairs with goods on the water


def roll(*parts: object) -> float:
    """A stable draw in [0, 1) for one noise decision (independent of the world's RNG)."""
    return zlib.crc32(":".join(map(str, parts)).encode()) % 10_000 / 10_000


def product_code(sku: WorldSku) -> str:
    """``LMN-EB-BT53`` for ``LMN-EB-BT53-BLK``: the product (all its variants) a customs line declares."""
    return sku.seller_sku.rsplit("-", 1)[0]


def units_per_carton(sku: WorldSku) -> int:
    return UNITS_PER_CARTON[product_code(sku).split("-", 1)[1]]


def owner_code(owner_id: str) -> str:
    """The code the 3PLs file the owner's goods under (``owner_code`` of the inbound file, party codes of
    the stock snapshot)."""
    return OWNER_CODES[owner_id]


def container_number(rng: random.Random, prefix: str) -> str:
    first_ten = prefix + "U" + str(rng.randrange(10**6)).zfill(6)
    return first_ten + str(iso6346_check_digit(first_ten))


@dataclass
class Box:
    """One container of a shipment and the ASN it is received on."""

    container: str
    seal: str
    asn: str
    receipt: str
    arrived: int
    received: int
    putaway: int


@dataclass
class ShipLine:
    """One SKU of a shipment: in one container, received into one lot."""

    sku: WorldSku
    box: int
    planned: int
    damaged: int
    short: int

    @property
    def cartons(self) -> int:
        return math.ceil(self.planned / units_per_carton(self.sku))

    @property
    def good(self) -> int:
        return self.planned - self.damaged - self.short


@dataclass
class Shipment:
    """One FCL (or a PO split over two containers) of one owner into one warehouse."""

    index: int
    owner_id: str
    owner_name: str
    region: str
    warehouse: str
    mbl: str
    booking: str
    po: str
    declaration: str
    etd: int
    eta: int
    submitted: int
    released: int
    boxes: list[Box] = field(default_factory=list)
    lines: list[ShipLine] = field(default_factory=list)
    sloppy: bool = False
    missing_product: str | None = None
    replenishment: bool = False  # a later shipment no outbound line draws from (see ``LogisticsNoise.at_sea``)

    def lot_id(self, line: ShipLine) -> str:
        return f"LOT-{self.boxes[line.box].container}-{line.sku.seller_sku}"

    def products(self) -> list[str]:
        return list(dict.fromkeys(product_code(line.sku) for line in self.lines))


USD_TO_MYR = Decimal("4.40")  # the broker's declared rate on MY entries (illustrative)


def invoice_value(lines: list[ShipLine]) -> Decimal:
    """The supplier's invoice value in USD of one customs line (a product: all its variants' units)."""
    units = sum(line.planned for line in lines)
    return (lines[0].sku.usd_price * units * Decimal("0.55")).quantize(Decimal("0.01"))


def landed_cost_myr(sku: WorldSku) -> Decimal:
    """Unit landed cost in MYR that the MY 3PL's stock snapshot states (CIF + sales tax, illustrative)."""
    return (sku.usd_price * USD_TO_MYR * Decimal("0.6")).quantize(Decimal("0.01"))


def unit_cost(s: Shipment, line: ShipLine, now: int) -> tuple[Decimal, str] | None:
    """What a lot's unit cost is at ``now``, from the documents that state one: the landed cost of the
    stock snapshot (MY, once received), else the invoice value of its customs line over the line's units
    (USD, once the entry is lodged); ``None`` when no document states one (the broker's file lacks the
    line, or nothing is filed yet)."""
    if s.region == "MY" and s.boxes[line.box].received <= now:
        return landed_cost_myr(line.sku), "MYR"
    product = product_code(line.sku)
    if product == s.missing_product or s.submitted > now:
        return None
    lines = [other for other in s.lines if product_code(other.sku) == product]
    return invoice_value(lines) / sum(other.planned for other in lines), "USD"


SAIL_DAYS = 20  # a shipment sails this many days before its stock is needed (the world's first order)


def _shipment(rng: random.Random, index: int, owner_id: str, owner_name: str, region: str, warehouse: str,
              demand: dict[WorldSku, int], arrive_before: int, noise: LogisticsNoise) -> Shipment:
    etd = arrive_before - SAIL_DAYS * 86400
    eta = etd + 7 * 86400
    mbl = f"ZCRU26{rng.randrange(10**7):07d}"
    form = CUSTOMS_FORM[region].replace("/", "").replace(".", "")
    s = Shipment(index, owner_id, owner_name, region, warehouse, mbl, f"ZCRB{rng.randrange(10**7):07d}",
                 f"PO-{owner_id[:3]}-2026-{index + 1:04d}", f"{form}-SBX-{index + 1:04d}", etd, eta,
                 eta + 7 * 3600, eta + 2 * 86400)
    for sku, units in sorted(demand.items(), key=lambda kv: kv[0].seller_sku):
        per_carton = units_per_carton(sku)
        planned = int(math.ceil((units * 1.2 + 20) / per_carton) * per_carton)
        damaged = rng.choice((0, 0, 0, 2, 5))
        short = rng.choice((1, 3, 4)) if roll(mbl, sku.seller_sku, "short") < noise.short_receipts else 0
        s.lines.append(ShipLine(sku, 0, planned, damaged, short))
    products = s.products()
    split = len(products) >= 2 and roll(mbl, "split") < noise.split_containers
    second = set(products[(len(products) + 1) // 2:]) if split else set()
    for number in range(2 if split else 1):
        container = container_number(rng, ("TCL", "SEG", "MSM", "TGH")[(index + number) % 4])
        later = number * 86400
        s.boxes.append(Box(container, f"ZC{rng.randrange(10**7):07d}", f"ASN-{owner_id[:3]}-{index + 1:04d}"
                           + (f"-{number + 1}" if split else ""), f"IC9{rng.randrange(10**14):014d}",
                           eta + 3 * 86400 + later, eta + 4 * 86400 + later, eta + 5 * 86400 + later))
    for line in s.lines:
        line.box = 1 if product_code(line.sku) in second else 0
    s.sloppy = roll(mbl, "variants") < noise.key_variants
    if len(products) >= 2 and roll(mbl, "customs") < noise.missing_customs_lines:
        s.missing_product = products[int(roll(mbl, "which") * len(products))]
    return s


def demand_of(world: World) -> dict[tuple[str, str], dict[WorldSku, int]]:
    """Units each owner x warehouse x SKU was ever paid for (stock is allocated at payment, cancellations
    included): what its shipment must bring."""
    demand: dict[tuple[str, str], dict[WorldSku, int]] = {}
    for order in world.orders:
        if order.stage_time("PAID") is None:
            continue
        bucket = demand.setdefault((order.shop.owner_id, order.shop.warehouse_code), {})
        for line in order.lines:
            bucket[line.sku] = bucket.get(line.sku, 0) + line.quantity
    return demand


def build_shipments(world: World, noise: LogisticsNoise = REALISTIC) -> list[Shipment]:
    """The world's shipments, one per owner x warehouse its orders draw from, in a stable order, then the
    replenishments on the water at the anchor (``noise.at_sea``)."""
    rng = random.Random(world.seed * 101 + 3)
    names = dict(world.owners)
    regions = {s.warehouse_code: s.region for s in world.shops}
    first_order = min((o.created_at for o in world.orders), default=world.anchor)
    pairs = sorted(demand_of(world).items(), key=lambda kv: kv[0])
    out = [_shipment(rng, index, owner_id, names[owner_id], regions[warehouse], warehouse, demand, first_order, noise)
           for index, ((owner_id, warehouse), demand) in enumerate(pairs)]
    later = [(owner_id, warehouse, demand) for (owner_id, warehouse), demand in pairs
             if roll(owner_id, warehouse, "at sea") < noise.at_sea]
    for number, (owner_id, warehouse, demand) in enumerate(later, start=len(out)):
        # sailed 3 days before the anchor: etd = arrive_before - SAIL_DAYS days
        s = _shipment(rng, number, owner_id, names[owner_id], regions[warehouse], warehouse,
                      {sku: max(1, units // 2) for sku, units in demand.items()}, world.anchor + 17 * 86400, noise)
        s.replenishment = True
        out.append(s)
    return out


def lot_of(shipments: list[Shipment]) -> dict[tuple[str, str, str], tuple[Shipment, ShipLine]]:
    """(owner, warehouse, seller SKU) -> the shipment and line its stock came in on (never a replenishment:
    the first shipment holds enough for every order of the world)."""
    return {(s.owner_id, s.warehouse, line.sku.seller_sku): (s, line) for s in shipments if not s.replenishment
            for line in s.lines}
