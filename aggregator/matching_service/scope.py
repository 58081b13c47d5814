"""Which stored rows make up a set of matching partitions, and loading just those rows.

A partition is named from normalised codes (``matching.frames``): ``shop|OWNER|PLATFORM|SHOP``,
``wh|OWNER|WAREHOUSE``, ``doc|OWNER``. The store keeps the codes as written, so ``Scope.of`` reads the
owner's distinct raw codes (index-only scans: orders and outbound by owner x platform x shop, receipts,
outbound and stock snapshots by owner x warehouse), normalises them and keeps the raw values that name a
wanted partition. ``ScopeLoader.state`` then reads the rows with those raw codes and prepares them (a
superset of the partitions' rows: the caller keeps only the wanted partitions' members,
``matching.incremental.restrict``).

What a warehouse partition holds besides its own rows comes from owner-wide reference frames that are
small next to orders and outbound lines: the owner's transport document and customs lines (its receipts
name them), manual links and SKU crosswalk; a ``ScopeLoader`` reads and prepares them once per transaction,
and, when told every partition will be matched (a full run, whose two phases both read every outbound line),
the owner's outbound lines too. ``shop|OWNER||`` (outbound lines naming no shop) sees every order of the
owner, so naming it reads them all.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Select, false, func, not_, or_, select, tuple_
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
from matching.frames import prepare
from matching.state import PreparedState


def _codes(values: Iterable) -> list:
    """``keys.codes`` of raw values, missing ones None (none: no frame built; an owner with nothing new asks
    for no codes several times per plan)."""
    values = list(values)
    if not values:
        return []
    normalised = keys.codes(pd.Series(values, dtype="string"))
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
        rows = _distinct(session, select(s.warehouse_code, func.count(sl.line_no)).join(sl, sl.shipment_pk == s.id)
                         .where(s.owner_id == owner_id, s.warehouse_code.in_(scope.warehouses))
                         .group_by(s.warehouse_code))
        for name, (_, n) in zip(wh_partitions(owner_id, [w for w, _ in rows]), rows):
            if name in wanted:
                sizes[name] += int(n)
    no_shop = f"shop|{keys.normalize_code(owner_id) or ''}||"
    if no_shop in wanted and scope.shipments_without_shop:
        sizes[no_shop] += session.scalar(select(func.count(sl.line_no)).join(s, sl.shipment_pk == s.id).where(
            s.owner_id == owner_id, or_(s.platform.is_(None), s.shop_id.is_(None)))) or 0
    if doc_partition(owner_id) in wanted:
        d, dl, e, el = TransportDocumentRow, TransportDocumentLineRow, CustomsEntryRow, CustomsEntryLineRow
        sizes[doc_partition(owner_id)] = sum(session.scalar(q) or 0 for q in (
            select(func.count(dl.line_no)).join(d, dl.document_pk == d.id).where(d.owner_id == owner_id),
            select(func.count(el.line_no)).join(e, el.entry_pk == e.id).where(e.owner_id == owner_id)))
    return sizes


def _shops(platform, shop_id, pairs: list[tuple]):
    """``(platform, shop_id) IN pairs``; a filter that matches nothing for no pairs."""
    return tuple_(platform, shop_id).in_(pairs) if pairs else false()


def _readers(session: Session, scope: Scope) -> dict[str, Callable[[], pd.DataFrame | None]]:
    """Frame kind -> the read of its rows ``scope`` names (None: no rows of that kind)."""
    owner_id = scope.owner_id
    o = OrderRow
    order_filter = [] if scope.all_orders else [_shops(o.platform, o.shop_id, scope.order_shops)]
    r = WarehouseReceiptRow
    docs = scope.documents
    return {
        "order_lines": lambda: loader.load_order_lines(
            session, owner_id, *order_filter, returns_where=[] if scope.all_orders
            else [_shops(ReturnRow.platform, ReturnRow.shop_id, scope.order_shops)]),
        "shipment_lines": lambda: loader.load_shipment_lines(session, owner_id, _outbound_filter(scope)),
        "receipt_lines": lambda: loader.load_receipt_lines(session, owner_id, r.warehouse_code.in_(scope.warehouses)),
        "lots": lambda: loader.load_lots(session, owner_id, warehouses=scope.warehouses),
        "document_lines": lambda: loader.load_document_lines(session, owner_id) if docs else None,
        "customs_lines": lambda: loader.load_customs_lines(session, owner_id) if docs else None,
        "manual_links": lambda: loader.load_manual_links(session, owner_id)}


def _outbound_filter(scope: Scope) -> ColumnElement[bool]:
    """The outbound lines (``WarehouseShipmentRow`` joined with its lines) ``scope`` names: those of its
    warehouses or shops, and those naming no shop when it holds ``shop|OWNER||``."""
    s = WarehouseShipmentRow
    ship_any = [c for c in (
        s.warehouse_code.in_(scope.warehouses) if scope.warehouses else None,
        _shops(s.platform, s.shop_id, scope.shipment_shops) if scope.shipment_shops else None,
        or_(s.platform.is_(None), s.shop_id.is_(None)) if scope.shipments_without_shop else None) if c is not None]
    return or_(*ship_any) if ship_any else false()


def _outbound_rows(raw: pd.DataFrame, scope: Scope) -> np.ndarray:
    """Which of the owner's outbound lines (``raw``: as ``loader.load_shipment_lines`` reads them) the read of
    ``_readers`` selects for ``scope``, decided as the database does: a raw code equal to one named (a
    missing code equals none), or a missing platform or shop."""
    warehouses = {w for w in scope.warehouses if w is not None}
    pairs = set(scope.shipment_shops)
    wanted = np.zeros(len(raw), dtype=bool)
    warehouse_codes, platforms, shops = (raw[c].astype(object).where(raw[c].notna(), None).tolist()
                                         for c in ("warehouse_code", "platform", "shop_id"))
    for i, (warehouse, platform, shop) in enumerate(zip(warehouse_codes, platforms, shops)):
        wanted[i] = (warehouse in warehouses or (platform, shop) in pairs
                     or (scope.shipments_without_shop and (platform is None or shop is None)))
    return wanted


class ScopeLoader:
    """The prepared rows of scopes of one owner, read in one transaction, keeping what every scope reads the
    same way: the owner's transport document, customs and manual link rows are read and prepared once. With
    ``whole_outbound`` (a run that matches every partition of the owner, so each of its phases reads every
    outbound line) the owner's outbound lines are read and prepared once too, and each scope takes the ones
    its read would select (``_outbound_rows``); preparing is row by row, so those rows are the ones a read
    of just them prepares (an owner with more than ``WHOLE_OUTBOUND_ROWS`` outbound lines is read per scope).
    Read per scope, a scope's outbound lines that the previous scope read too are taken from its prepared
    rows, and only the others are read (``_scope_outbound``: an incremental run's shop partitions and then
    their warehouse's partition name mostly the same outbound lines)."""

    _KEPT = ("document_lines", "customs_lines", "manual_links")
    #: an owner with more outbound lines than this is read per scope even with ``whole_outbound`` (memory stays
    #: bounded by a few groups' rows, ``service.GROUP_ROWS``, not by the owner)
    WHOLE_OUTBOUND_ROWS = 200_000

    def __init__(self, session: Session, owner_id: str, crosswalk: SkuCrosswalk, *, whole_outbound: bool = False):
        self.session, self.owner_id, self.crosswalk = session, owner_id, crosswalk
        self.whole_outbound = whole_outbound
        self.codes = RawCodes.read(session, owner_id)
        self._kept: dict[str, pd.DataFrame] = {}
        self._outbound: tuple[pd.DataFrame, pd.DataFrame] | None = None  # (raw, prepared)
        self._previous: tuple[Scope, pd.DataFrame, pd.DataFrame] | None = None  # the last scope's (scope, raw, prepared)

    def state(self, partitions: set[str]) -> PreparedState:
        """The prepared rows of ``partitions``: the rows ``Scope.of`` names, each kind as ``_readers`` reads it,
        prepared as ``matching.state.prepare_state`` does."""
        scope = Scope.of(self.codes, partitions)
        cross = self.crosswalk or SkuCrosswalk()
        frames = {}
        for kind, read in _readers(self.session, scope).items():
            if kind in self._KEPT and (scope.documents or kind == "manual_links"):
                if kind not in self._kept:
                    self._kept[kind] = prepare(kind, read(), cross)
                frames[kind] = self._kept[kind].copy()
            elif kind == "shipment_lines" and self.whole_outbound:
                if self._outbound is None:
                    if self._outbound_lines() > self.WHOLE_OUTBOUND_ROWS:
                        self.whole_outbound = False
                        frames[kind] = self._scope_outbound(scope, cross)
                        continue
                    raw = loader.load_shipment_lines(self.session, self.owner_id)
                    self._outbound = raw[["warehouse_code", "platform", "shop_id"]], prepare(kind, raw, cross)
                raw, prepared = self._outbound
                rows = _outbound_rows(raw, scope)
                # none: read as a read of none gives them (the empty frame's column types)
                frames[kind] = prepared[rows].reset_index(drop=True) if rows.any() else prepare(kind, read(), cross)
            elif kind == "shipment_lines":
                frames[kind] = self._scope_outbound(scope, cross)
            else:
                frames[kind] = prepare(kind, read(), cross)
        return PreparedState(frames, cross)

    def _scope_outbound(self, scope: Scope, cross: SkuCrosswalk) -> pd.DataFrame:
        """The prepared outbound lines of ``scope``: those the previous scope read too taken from its prepared
        rows (``_outbound_rows``), the others read (the scope's filter and not the previous scope's; a filter
        that is NULL for a row did not select it) and prepared. Only the last scope's rows are kept (the frame
        handed out, not a copy: the state's users take rows from it, never change it), and let go, but for the
        rows the next scope shares, before that scope's rows are read."""
        codes = ["warehouse_code", "platform", "shop_id"]
        previous, self._previous = self._previous, None
        rows = _outbound_rows(previous[1], scope) if previous is not None else None
        if rows is None or not rows.any():
            del previous  # not kept while this scope's rows are read
            raw = loader.load_shipment_lines(self.session, self.owner_id, _outbound_filter(scope))
            prepared, raw = prepare("shipment_lines", raw, cross), raw[codes]
        else:
            before, kept_raw, kept = previous
            del previous
            kept, kept_raw = kept[rows], kept_raw[rows]  # the previous scope's whole frame is let go here
            fresh = loader.load_shipment_lines(self.session, self.owner_id, _outbound_filter(scope),
                                               not_(func.coalesce(_outbound_filter(before), false())))
            if fresh.empty:
                prepared, raw = kept.reset_index(drop=True), kept_raw.reset_index(drop=True)
            else:
                prepared = pd.concat([kept, prepare("shipment_lines", fresh, cross)], ignore_index=True)
                raw = pd.concat([kept_raw, fresh[codes]], ignore_index=True)
            del kept, kept_raw
        self._previous = scope, raw, prepared
        return prepared

    def _outbound_lines(self) -> int:
        s, sl = WarehouseShipmentRow, WarehouseShipmentLineRow
        return self.session.scalar(select(func.count(sl.line_no)).join(s, sl.shipment_pk == s.id).where(
            s.owner_id == self.owner_id)) or 0
