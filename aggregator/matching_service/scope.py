"""Which stored rows make up a set of matching partitions, and loading just those rows.

A partition is named from normalised codes (``matching.frames``): ``shop|OWNER|PLATFORM|SHOP``,
``wh|OWNER|WAREHOUSE``, ``doc|OWNER``. The store keeps the codes as written, so ``Scope.of`` reads the
owner's distinct raw codes (index-only scans: orders and outbound by owner x platform x shop, receipts,
outbound and stock snapshots by owner x warehouse), normalises them and keeps the raw values that name a
wanted partition. ``load_scope`` then reads the rows with those raw codes (a superset of the partitions'
rows: the caller keeps only the wanted partitions' members, ``matching.incremental.restrict``).

What a warehouse partition holds besides its own rows comes from owner-wide reference frames that are
small next to orders and outbound lines: the owner's transport document and customs lines (its receipts
name them), manual links and SKU crosswalk. ``shop|OWNER||`` (outbound lines naming no shop) sees every
order of the owner, so naming it reads them all.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Select, false, func, or_, select, tuple_
from sqlalchemy.orm import Session

from aggregator.matching_service import loader
from aggregator.store.models.logistics import (
    CustomsEntryLineRow,
    CustomsEntryRow,
    TransportDocumentLineRow,
    TransportDocumentRow,
)
from aggregator.store.models.marketplace import OrderLineRow, OrderRow
from aggregator.store.models.returns import ReturnRow
from aggregator.store.models.warehouse import (
    StockSnapshotRow,
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)
from matching import keys
from matching.crosswalk import SkuCrosswalk
from matching.engine import MatchInput


def _codes(values: Iterable) -> list:
    normalised = keys.codes(pd.Series(list(values), dtype="string"))
    return [None if v is pd.NA else v for v in normalised]


def shop_partitions(owner_id: str, pairs: list[tuple]) -> list[str]:
    """``shop|OWNER|PLATFORM|SHOP`` of raw (platform, shop_id) pairs, in order."""
    owner = keys.normalize_code(owner_id) or ""
    platforms, shops = _codes(p for p, _ in pairs), _codes(s for _, s in pairs)
    return [f"shop|{owner}|{p or ''}|{s or ''}" for p, s in zip(platforms, shops)]


def wh_partitions(owner_id: str, warehouses: list) -> list[str]:
    """``wh|OWNER|WAREHOUSE`` of raw warehouse codes, in order."""
    owner = keys.normalize_code(owner_id) or ""
    return [f"wh|{owner}|{w or ''}" for w in _codes(warehouses)]


def doc_partition(owner_id: str) -> str:
    return f"doc|{keys.normalize_code(owner_id) or ''}"


def partition_of_manual(owner_id: str, step: str, left_key: str, right_key: str) -> str:
    """The partition a manual link counts in (``matching.incremental.membership``)."""
    owner = keys.normalize_code(owner_id) or ""
    if step == "order_shipment":
        return f"shop|{owner}|" + "|".join(left_key.split("|")[:2])
    side = left_key if step.startswith("receipt_") else right_key
    return "wh|" + "|".join(side.split("|")[:2])


@dataclass(frozen=True)
class RawCodes:
    """The owner's distinct raw codes as stored (index-only scans)."""

    owner_id: str
    order_shops: list[tuple]  # (platform, shop_id) of orders
    shipment_shops: list[tuple]  # (platform, shop_id) of outbound
    warehouses: list  # warehouse codes of outbound, receipts and named lots' snapshots

    @classmethod
    def read(cls, session: Session, owner_id: str) -> RawCodes:
        o, s = OrderRow, WarehouseShipmentRow
        warehouses = set()
        for model in (WarehouseShipmentRow, WarehouseReceiptRow):
            warehouses |= {w for (w,) in _distinct(session, select(model.warehouse_code).where(
                model.owner_id == owner_id))}
        warehouses |= {w for (w,) in _distinct(session, select(StockSnapshotRow.warehouse_code).where(
            StockSnapshotRow.owner_id == owner_id, StockSnapshotRow.lot_id.is_not(None)))}
        return cls(owner_id, _distinct(session, select(o.platform, o.shop_id).where(o.owner_id == owner_id)),
                   _distinct(session, select(s.platform, s.shop_id).where(s.owner_id == owner_id)),
                   sorted(warehouses, key=str))

    def partitions(self) -> set[str]:
        owner = self.owner_id
        out = set(shop_partitions(owner, self.order_shops)) | set(shop_partitions(owner, self.shipment_shops))
        return out | {p for p in wh_partitions(owner, self.warehouses) if not p.endswith("|")}


@dataclass
class Scope:
    """The raw codes whose rows a set of partitions needs."""

    owner_id: str
    order_shops: list[tuple] = field(default_factory=list)  # raw (platform, shop_id) of orders
    all_orders: bool = False  # shop|OWNER|| is wanted: it sees every order
    shipment_shops: list[tuple] = field(default_factory=list)  # raw (platform, shop_id) of outbound lines
    shipments_without_shop: bool = False
    warehouses: list = field(default_factory=list)  # raw warehouse codes
    documents: bool = False

    @classmethod
    def of(cls, codes: RawCodes, partitions: set[str]) -> Scope:
        owner_id = codes.owner_id
        scope = cls(owner_id)
        scope.all_orders = f"shop|{keys.normalize_code(owner_id) or ''}||" in partitions
        scope.order_shops = [pair for pair, name in zip(codes.order_shops, shop_partitions(owner_id, codes.order_shops))
                             if name in partitions]
        for pair, name in zip(codes.shipment_shops, shop_partitions(owner_id, codes.shipment_shops)):
            if name not in partitions:
                continue
            if pair[0] is None or pair[1] is None:
                scope.shipments_without_shop = True
            else:
                scope.shipment_shops.append(pair)
        scope.warehouses = [w for w, name in zip(codes.warehouses, wh_partitions(owner_id, codes.warehouses))
                            if name in partitions]
        scope.documents = bool(scope.warehouses) or doc_partition(owner_id) in partitions
        return scope


def _distinct(session: Session, query: Select) -> list[tuple]:
    return [tuple(row) for row in session.execute(query.distinct()).all()]


def all_partitions(session: Session, owner_id: str) -> set[str]:
    """Every partition the owner's stored rows make up (what a full run matches)."""
    out = RawCodes.read(session, owner_id).partitions()
    for model in (TransportDocumentRow, CustomsEntryRow):
        if session.execute(select(model.id).where(model.owner_id == owner_id).limit(1)).first():
            out.add(doc_partition(owner_id))
    return out


def partition_sizes(session: Session, owner_id: str, partitions: Iterable[str]) -> dict[str, int]:
    """How many lines each of ``partitions`` holds, by grouped counts over just their rows: a shop
    partition its orders' lines (``shop|OWNER||`` its outbound lines naming no shop), a warehouse partition
    its outbound lines, the document partition its bill of lading and customs lines. A partition with no
    rows counts 0."""
    wanted = set(partitions)
    sizes = dict.fromkeys(wanted, 0)
    codes = RawCodes.read(session, owner_id)
    scope = Scope.of(codes, wanted)
    o, ol = OrderRow, OrderLineRow
    if scope.order_shops:
        pairs = _distinct(session, select(o.platform, o.shop_id, func.count(ol.id)).join(ol, ol.order_pk == o.id)
                          .where(o.owner_id == owner_id, _shops(o.platform, o.shop_id, scope.order_shops))
                          .group_by(o.platform, o.shop_id))
        for name, (_, _, n) in zip(shop_partitions(owner_id, [p[:2] for p in pairs]), pairs):
            if name in wanted:
                sizes[name] += int(n)
    s, sl = WarehouseShipmentRow, WarehouseShipmentLineRow
    if scope.warehouses:
        rows = _distinct(session, select(s.warehouse_code, func.count(sl.id)).join(sl, sl.shipment_pk == s.id)
                         .where(s.owner_id == owner_id, s.warehouse_code.in_(scope.warehouses))
                         .group_by(s.warehouse_code))
        for name, (_, n) in zip(wh_partitions(owner_id, [w for w, _ in rows]), rows):
            if name in wanted:
                sizes[name] += int(n)
    no_shop = f"shop|{keys.normalize_code(owner_id) or ''}||"
    if no_shop in wanted and scope.shipments_without_shop:
        sizes[no_shop] += session.scalar(select(func.count(sl.id)).join(s, sl.shipment_pk == s.id).where(
            s.owner_id == owner_id, or_(s.platform.is_(None), s.shop_id.is_(None)))) or 0
    if doc_partition(owner_id) in wanted:
        d, dl, e, el = TransportDocumentRow, TransportDocumentLineRow, CustomsEntryRow, CustomsEntryLineRow
        sizes[doc_partition(owner_id)] = sum(session.scalar(q) or 0 for q in (
            select(func.count(dl.id)).join(d, dl.document_pk == d.id).where(d.owner_id == owner_id),
            select(func.count(el.id)).join(e, el.entry_pk == e.id).where(e.owner_id == owner_id)))
    return sizes


def _shops(platform, shop_id, pairs: list[tuple]):
    """``(platform, shop_id) IN pairs``; a filter that matches nothing for no pairs."""
    return tuple_(platform, shop_id).in_(pairs) if pairs else false()


def load_scope(session: Session, scope: Scope, crosswalk: SkuCrosswalk) -> MatchInput:
    """The rows ``scope`` names (see the module docstring), as the engine's input frames."""
    owner_id = scope.owner_id
    o = OrderRow
    order_filter = [] if scope.all_orders else [_shops(o.platform, o.shop_id, scope.order_shops)]
    s = WarehouseShipmentRow
    ship_any = [c for c in (
        s.warehouse_code.in_(scope.warehouses) if scope.warehouses else None,
        _shops(s.platform, s.shop_id, scope.shipment_shops) if scope.shipment_shops else None,
        or_(s.platform.is_(None), s.shop_id.is_(None)) if scope.shipments_without_shop else None) if c is not None]
    r = WarehouseReceiptRow
    docs = scope.documents
    return MatchInput(
        order_lines=loader.load_order_lines(session, owner_id, *order_filter, returns_where=[] if scope.all_orders
                                            else [_shops(ReturnRow.platform, ReturnRow.shop_id, scope.order_shops)]),
        shipment_lines=loader.load_shipment_lines(session, owner_id, or_(*ship_any) if ship_any else false()),
        receipt_lines=loader.load_receipt_lines(session, owner_id, r.warehouse_code.in_(scope.warehouses)),
        lots=loader.load_lots(session, owner_id, warehouses=scope.warehouses),
        document_lines=loader.load_document_lines(session, owner_id) if docs else None,
        customs_lines=loader.load_customs_lines(session, owner_id) if docs else None,
        manual_links=loader.load_manual_links(session, owner_id), crosswalk=crosswalk)
