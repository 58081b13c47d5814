"""Deterministic sandbox world: owners, shops, SKUs and orders with their life cycles, from a seed.

Everything here is plain data generated once by :func:`generate_world`; the same ``(seed, orders,
anchor)`` always gives the same world. Orders carry a timeline of life-cycle stages in Unix
seconds; what a platform shows at a given simulated instant (raw status, update time, tracking
numbers, finance lines) is derived from that timeline by :mod:`platform_adapters.sandbox.snapshot`.
"""
from __future__ import annotations

import random
import string
import time
import zlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from platform_adapters.sandbox.status_paths import with_documented_paths

# Life-cycle stages every order walks through (a subset of them), in platform-neutral words.
UNPAID, PAID, PACKED, SHIPPED, DELIVERED, COMPLETED, CANCELLED, RETURNED = (
    "UNPAID", "PAID", "PACKED", "SHIPPED", "DELIVERED", "COMPLETED", "CANCELLED", "RETURNED",
)
LOST = "LOST"  # a last-mile loss (platform_adapters.sandbox.status_paths)
STAGE_NAMES = (UNPAID, PAID, PACKED, SHIPPED, DELIVERED, COMPLETED, CANCELLED, RETURNED, LOST)

# The raw statuses each platform shows along the stages (its documented detours included) come from
# platform_adapters.sandbox.status_paths.

REGION_CURRENCY = {"SG": "SGD", "MY": "MYR", "TH": "THB", "PH": "PHP", "ID": "IDR", "VN": "VND"}
# Local units per USD used to price the catalogue (illustrative, fixed so the world is stable).
REGION_USD_RATE = {"SG": Decimal("1.35"), "MY": Decimal("4.40"), "TH": Decimal("35.5"),
                   "PH": Decimal("56.2"), "ID": Decimal("15800"), "VN": Decimal("25300")}
REGION_PORT = {"SG": "SGSIN", "MY": "MYPKG", "TH": "THLCH", "PH": "PHMNL", "ID": "IDJKT", "VN": "VNSGN"}
ZERO_DECIMAL_CURRENCIES = frozenset({"IDR", "VND"})

OWNER_PLAN = (
    ("LUMINA-HK", "Lumina Commerce", "LMN",
     (("shopee", "MY"), ("shopee", "SG"), ("lazada", "MY"), ("lazada", "TH"), ("tiktok", "MY"))),
    ("TROPIKA", "Tropika Living", "TPK",
     (("shopee", "TH"), ("shopee", "PH"), ("lazada", "PH"), ("lazada", "ID"), ("tiktok", "VN"))),
    ("KAIYUE", "Kaiyue Houseware", "KYH",
     (("shopee", "VN"), ("shopee", "ID"), ("lazada", "SG"), ("tiktok", "TH"), ("tiktok", "PH"))),
)

CATALOGUE = (  # product code, name, variants, USD price, weight g, HS code
    ("EB-BT53", "Wireless Earbuds BT5.3 with Charging Case", ("BLK", "WHT"), "7.90", 180, "851830"),
    ("LMP-USBC", "LED Desk Lamp USB-C Dimmable", ("WHT", "GRY"), "11.50", 1250, "940521"),
    ("PC-IP15", "Silicone Phone Case iPhone 15", ("CLR", "BLK", "PNK"), "1.90", 60, "392690"),
    ("FLK-500", "Stainless Steel Vacuum Flask 500ml", ("SLV", "NVY"), "5.40", 420, "961700"),
    ("CBL-C60", "USB-C Cable 60W 1m", ("BLK",), "1.20", 40, "854442"),
    ("PB-10K", "Power Bank 10000mAh", ("BLK", "WHT"), "9.80", 230, "850760"),
)

CARRIER = {"shopee": "SPX", "lazada": "LEX", "tiktok": "JNT"}
#: Shopee shops registered locally (a local entity of the owner): Shopee pays them into their seller
#: wallet, from which the seller withdraws (``payment.get_wallet_transaction_list``); every other Shopee
#: shop is cross-border (payout batches, ``payment.get_payout_detail``).
LOCAL_SHOPEE = frozenset({("TROPIKA", "PH"), ("KAIYUE", "VN")})


@dataclass(frozen=True, slots=True)
class AppCredentials:
    """The marketplace app (partner) the sandbox accepts calls from. Shopee: app_key is partner_id."""

    platform: str
    app_key: str
    app_secret: str


@dataclass(frozen=True, slots=True)
class WorldShop:
    platform: str
    shop_id: str
    owner_id: str
    region: str
    currency: str
    name: str
    warehouse_code: str
    cipher: str | None = None  # TikTok shop_cipher
    cross_border: bool = True  # Shopee: False for a local shop (paid by wallet withdrawals, not payout batches)


@dataclass(frozen=True, slots=True)
class WorldSku:
    owner_id: str
    seller_sku: str
    name: str
    model_name: str
    item_id: str
    model_id: str
    usd_price: Decimal
    weight_g: int
    hs_code: str


@dataclass(frozen=True, slots=True)
class WorldLine:
    """One line as the platform lists it (Lazada/TikTok: one per unit, Shopee: one per model)."""

    line_ref: str
    sku: WorldSku
    quantity: int
    unit_price: Decimal
    package_index: int


@dataclass(frozen=True, slots=True)
class WorldPackage:
    package_id: str
    tracking_number: str
    carrier: str


@dataclass(frozen=True, slots=True)
class WorldOrder:
    shop: WorldShop
    order_id: str
    created_at: int
    stages: tuple[tuple[str, int], ...]  # (stage, unix seconds), ascending
    raw_events: tuple[tuple[str, int], ...]  # (platform raw status, unix seconds), changes only
    lines: tuple[WorldLine, ...]
    packages: tuple[WorldPackage, ...]
    shipping_fee: Decimal
    settled_at: int | None  # when the marketplace released the money (None: never)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.shop.platform, self.shop.shop_id, self.order_id)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        """What the buyer pays: items after any bundle deal, plus shipping."""
        return self.subtotal - bundle_discount(self) + self.shipping_fee

    def stage_time(self, stage: str) -> int | None:
        for name, at in self.stages:
            if name == stage:
                return at
        return None


@dataclass(frozen=True, slots=True)
class World:
    seed: int
    anchor: int
    apps: dict[str, AppCredentials]
    owners: tuple[tuple[str, str], ...]  # (owner_id, name)
    shops: tuple[WorldShop, ...]
    skus: tuple[WorldSku, ...]
    orders: tuple[WorldOrder, ...]

    def shop(self, platform: str, shop_id: str) -> WorldShop | None:
        for shop in self.shops:
            if shop.platform == platform and shop.shop_id == shop_id:
                return shop
        return None


def money_roll(order_id: str, purpose: str) -> int:
    """A stable 0–99 draw for one money feature of one order (independent of the world's RNG, so adding
    money features never changes which orders, lines or timelines a seed gives)."""
    return zlib.crc32(f"{order_id}:{purpose}".encode()) % 100


def bundle_discount(order: "WorldOrder") -> Decimal:
    """Shopee bundle deal: a third of the Shopee orders with two or more lines get 10 % off their items
    (Shopee then lists the bundle lines with ``model_discounted_price`` 0)."""
    if order.shop.platform != "shopee" or len(order.lines) < 2 or money_roll(order.order_id, "bundle") >= 33:
        return Decimal(0)
    unit = Decimal(1) if order.shop.currency in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
    return (order.subtotal * Decimal("0.10")).quantize(unit, rounding=ROUND_HALF_UP)


def local_price(usd: Decimal, region: str) -> Decimal:
    """A catalogue price in the region's currency: cents, or whole hundreds for IDR/VND."""
    value = usd * REGION_USD_RATE[region]
    if REGION_CURRENCY[region] in ZERO_DECIMAL_CURRENCIES:
        return (value / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 100
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _digits(rng: random.Random, n: int, first: str = "123456789") -> str:
    """``n`` random digits whose first one is taken from ``first``."""
    return rng.choice(first) + str(rng.randrange(10 ** (n - 1))).zfill(n - 1)


def lazada_id(rng: random.Random) -> str:
    """A 16-digit Lazada id above 2**53 (a JSON double would corrupt it: ids travel as strings)."""
    return "9" + _digits(rng, 15, "123456789")


def _unique(rng: random.Random, seen: set[str], make) -> str:
    while True:
        value = make(rng)
        if value not in seen:
            seen.add(value)
            return value


def _make_apps(rng: random.Random) -> dict[str, AppCredentials]:
    hexchars = "0123456789abcdef"
    return {
        "shopee": AppCredentials("shopee", _digits(rng, 7, "2"), "".join(rng.choice(hexchars) for _ in range(64))),
        "lazada": AppCredentials("lazada", _digits(rng, 6, "1"), "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))),
        "tiktok": AppCredentials("tiktok", "6" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12)),
                                 "".join(rng.choice(hexchars) for _ in range(40))),
    }


def warehouse_of(region: str) -> str:
    """The 3PL warehouse serving ``region``: one per country, shared by every owner selling there (a 3PL's
    files cover every brand it serves)."""
    return f"{REGION_PORT[region]}-WH01"


def _make_shops(rng: random.Random) -> tuple[tuple[tuple[str, str], ...], tuple[WorldShop, ...]]:
    owners, shops, seen = [], [], set()
    for owner_id, name, _code, plan in OWNER_PLAN:
        owners.append((owner_id, name))
        for platform, region in plan:
            if platform == "shopee":
                shop_id = _unique(rng, seen, lambda r: _digits(r, 9, "4"))
            elif platform == "lazada":
                shop_id = _unique(rng, seen, lambda r: "100" + _digits(r, 7))
            else:
                shop_id = _unique(rng, seen, lambda r: "749" + _digits(r, 16, string.digits))
            cipher = None
            if platform == "tiktok":
                cipher = "ROW_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(22))
            local = platform == "shopee" and (owner_id, region) in LOCAL_SHOPEE
            shops.append(WorldShop(platform, shop_id, owner_id, region, REGION_CURRENCY[region],
                                   f"{name} {region} ({platform})", warehouse_of(region), cipher,
                                   cross_border=not local))
    return tuple(owners), tuple(shops)


def _make_skus(rng: random.Random) -> tuple[WorldSku, ...]:
    skus = []
    for owner_id, _name, code, _plan in OWNER_PLAN:
        for product, name, variants, usd, weight, hs in CATALOGUE:
            item_id = _digits(rng, 11, "12")
            for variant in variants:
                skus.append(WorldSku(owner_id, f"{code}-{product}-{variant}", name, variant, item_id,
                                     _digits(rng, 11, "123456789"), Decimal(usd), weight, hs))
    return tuple(skus)


def _timeline(rng: random.Random, created: int) -> tuple[tuple[tuple[str, int], ...], int | None]:
    """Stages of one order from its creation time, and when it settles (None: never)."""
    hour, day = 3600, 86400
    stages = [(UNPAID, created)]
    if rng.random() < 0.04:  # never paid: auto-cancelled
        return tuple(stages + [(CANCELLED, created + rng.randint(day, 3 * day))]), None
    t = created + rng.randint(60, 1800)
    stages.append((PAID, t))
    if rng.random() < 0.06:  # cancelled after payment, before shipping
        return tuple(stages + [(CANCELLED, t + rng.randint(hour, 20 * hour))]), None
    for stage, low, high in ((PACKED, 2 * hour, 20 * hour), (SHIPPED, 4 * hour, 30 * hour),
                             (DELIVERED, day, 5 * day)):
        t += rng.randint(low, high)
        stages.append((stage, t))
    if rng.random() < 0.04:  # returned after delivery: refunded, never settled
        return tuple(stages + [(RETURNED, t + rng.randint(day, 5 * day))]), None
    t += rng.randint(day, 7 * day)
    stages.append((COMPLETED, t))
    return tuple(stages), t + rng.randint(day, 3 * day)


def _order_id(rng: random.Random, platform: str, created: int) -> str:
    if platform == "shopee":
        day = time.strftime("%y%m%d", time.gmtime(created + 8 * 3600))
        return day + "".join(rng.choice(string.digits + string.ascii_uppercase) for _ in range(8))
    if platform == "lazada":
        return lazada_id(rng)
    return "57" + _digits(rng, 16, string.digits)


def _make_order(rng: random.Random, shop: WorldShop, skus: list[WorldSku], created: int,
                seen: set[str]) -> WorldOrder:
    platform = shop.platform
    order_id = _unique(rng, seen, lambda r: _order_id(r, platform, created))
    picks: dict[str, int] = {}
    for sku in rng.sample(skus, k=min(len(skus), rng.choice((1, 1, 1, 2, 2, 3)))):
        picks[sku.seller_sku] = rng.choice((1, 1, 1, 2, 3))
    by_sku = {s.seller_sku: s for s in skus}
    split = platform == "shopee" and len(picks) > 1 and rng.random() < 0.25
    lines: list[WorldLine] = []
    for position, (seller_sku, qty) in enumerate(sorted(picks.items())):
        sku = by_sku[seller_sku]
        price = local_price(sku.usd_price, shop.region)
        package_index = 1 if split and position > 0 else 0
        if platform == "shopee":
            lines.append(WorldLine(f"{sku.item_id}:{sku.model_id}", sku, qty, price, package_index))
        else:
            for _ in range(qty):
                line_id = _unique(rng, seen, lambda r: lazada_id(r) if platform == "lazada"
                                  else "57" + _digits(r, 16, string.digits))
                lines.append(WorldLine(line_id, sku, 1, price, package_index))
    packages = []
    region = shop.region
    for _ in range(2 if split else 1):
        if platform == "shopee":
            pkg_id, tracking = "OFG" + _digits(rng, 15), f"SPX{region}{_digits(rng, 12)}"
        elif platform == "lazada":
            pkg_id, tracking = "FP" + _digits(rng, 12), f"{region}LEX{_digits(rng, 9)}"
        else:
            pkg_id, tracking = "115" + _digits(rng, 16, string.digits), f"JT{region}{_digits(rng, 12)}"
        packages.append(WorldPackage(pkg_id, tracking, f"{CARRIER[platform]}_{region}"))
    stages, settled = _timeline(rng, created)
    fee = local_price(Decimal(rng.choice(("0.90", "1.50", "2.20"))), region) if rng.random() < 0.5 else Decimal(0)
    return WorldOrder(shop, order_id, created, stages, (), tuple(lines),  # raw events: status_paths
                      tuple(packages), fee, settled)


def generate_world(seed: int = 1, orders: int = 200, anchor: int = 1_773_532_800, days: int = 30) -> World:
    """Build the whole world. Orders are created over ``days`` days before ``anchor`` plus one day
    after it (those appear as the simulated clock moves forward)."""
    rng = random.Random(seed)
    apps = _make_apps(rng)
    owners, shops = _make_shops(rng)
    skus = _make_skus(rng)
    skus_by_owner: dict[str, list[WorldSku]] = {}
    for sku in skus:
        skus_by_owner.setdefault(sku.owner_id, []).append(sku)
    weights = [rng.uniform(0.5, 2.0) for _ in shops]
    seen_ids: dict[tuple[str, str], set[str]] = {}
    result: list[WorldOrder] = []
    start, end = anchor - days * 86400, anchor + 86400
    for _ in range(orders):
        shop = rng.choices(shops, weights)[0]
        created = rng.randint(start, end)
        seen = seen_ids.setdefault((shop.platform, shop.shop_id), set())
        result.append(_make_order(rng, shop, skus_by_owner[shop.owner_id], created, seen))
    _share_lazada_order_id(result)
    result = with_documented_paths(result, seed)
    result.sort(key=lambda o: (o.created_at, o.order_id))
    return World(seed, anchor, apps, owners, shops, skus, tuple(result))


def _share_lazada_order_id(orders: list[WorldOrder]) -> None:
    """Lazada ids are unique only within a store: make two stores share one order id on purpose."""
    firsts: dict[str, int] = {}
    for index, order in enumerate(orders):
        if order.shop.platform == "lazada" and order.shop.shop_id not in firsts:
            firsts[order.shop.shop_id] = index
    if len(firsts) < 2:
        return
    first, second = list(firsts.values())[:2]
    taken = {o.order_id for o in orders if o.shop.shop_id == orders[second].shop.shop_id}
    if orders[first].order_id in taken:
        return
    old = orders[second]
    orders[second] = WorldOrder(old.shop, orders[first].order_id, old.created_at, old.stages, old.raw_events,
                                old.lines, old.packages, old.shipping_fee, old.settled_at)
