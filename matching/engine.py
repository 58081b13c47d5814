"""The matching run: prepare the frames, run every rung of the ladder, return links and exceptions.

``match(MatchInput)`` is a pure function of its input: rows are de-duplicated and sorted by their
keys (and a content hash for equal keys) before anything else, so the same input, in any row order,
gives the same links and exceptions. ``matching.incremental`` runs it on changed partitions only.

Links (one frame, ``linker.LINK_COLUMNS``): ``step`` is one of ``STEPS``; ``left_key``/``right_key`` are
the record keys built in ``matching.frames`` (documents ``owner|doc_number``, customs entries
``owner|declaration_no``, their lines with ``|line_no``); ``qty`` is the quantity the link carries (for
the receipt's document links: the receipt line's planned units).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from matching import checks, documents, ladder, linker
from matching.crosswalk import SkuCrosswalk
from matching.exceptions import Reason, combine, make_exceptions
from matching.frames import CONTRACT, member, prepare
from matching.sku_facts import empty_facts, sku_facts

STEPS = ("order_shipment", "shipment_lot", "lot_receipt", *documents.RECEIPT_STEPS)


@dataclass(frozen=True)
class MatchSettings:
    tolerance: ladder.Tolerance = field(default_factory=ladder.Tolerance)
    window_days: int = 180  # a container alone links a document on board at most this long before receipt


@dataclass
class MatchInput:
    """The frames of ``matching.frames`` (None = no rows of that kind) and the SKU crosswalk."""

    order_lines: pd.DataFrame | None = None
    shipment_lines: pd.DataFrame | None = None
    receipt_lines: pd.DataFrame | None = None
    lots: pd.DataFrame | None = None
    document_lines: pd.DataFrame | None = None
    customs_lines: pd.DataFrame | None = None
    manual_links: pd.DataFrame | None = None
    crosswalk: SkuCrosswalk | None = None


@dataclass
class Prepared:
    orders: pd.DataFrame
    shipments: pd.DataFrame
    receipts: pd.DataFrame
    lots: pd.DataFrame
    documents: pd.DataFrame
    customs: pd.DataFrame
    manual: pd.DataFrame
    duplicates: pd.DataFrame
    skus: pd.DataFrame = field(default_factory=empty_facts)  # ``matching.sku_facts``


@dataclass
class MatchResult:
    links: pd.DataFrame
    exceptions: pd.DataFrame
    rematched: tuple[str, ...] = ()
    fingerprints: dict[str, str] = field(default_factory=dict)
    prepared: Prepared | None = None  # the whole prepared input (incremental runners set it for callers)


_CONTRACT_OF = {"order_line": "order_lines", "shipment_line": "shipment_lines", "receipt_line": "receipt_lines",
                "document_line": "document_lines", "customs_line": "customs_lines"}


def _source_columns(frame: pd.DataFrame, kind: str) -> list[str]:
    required, optional = CONTRACT[_CONTRACT_OF[kind]]
    return [c for c in (*required, *optional, "sku_c") if c in frame.columns]


def _canonical_order(frame: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sort by key (content hash breaks ties) and drop repeated keys; return (rows, duplicates)."""
    if frame.empty:
        return frame, frame.iloc[0:0].assign(kind=kind)
    content = pd.util.hash_pandas_object(frame[_source_columns(frame, kind)], index=False)
    ordered = frame.assign(_h=content.to_numpy()).sort_values(["key", "_h"], kind="mergesort")
    dup = ordered.duplicated("key", keep="first")
    return (ordered[~dup].drop(columns="_h").reset_index(drop=True),
            ordered[dup].drop(columns="_h").assign(kind=kind).reset_index(drop=True))


def prepare_input(inp: MatchInput) -> Prepared:
    cross = inp.crosswalk or SkuCrosswalk()
    orders = prepare("order_lines", inp.order_lines, cross)
    content = pd.util.hash_pandas_object(orders[_source_columns(orders, "order_line")], index=False) if not \
        orders.empty else None
    if content is not None:
        orders = orders.assign(_h=content.to_numpy()).sort_values(["key", "_h"], kind="mergesort").drop(
            columns="_h").reset_index(drop=True)
    dups = []
    shipments, d = _canonical_order(prepare("shipment_lines", inp.shipment_lines, cross), "shipment_line")
    dups.append(d)
    receipts, d = _canonical_order(prepare("receipt_lines", inp.receipt_lines, cross), "receipt_line")
    dups.append(d)
    documents_, d = _canonical_order(prepare("document_lines", inp.document_lines, cross), "document_line")
    dups.append(d)
    customs, d = _canonical_order(prepare("customs_lines", inp.customs_lines, cross), "customs_line")
    lots = prepare("lots", inp.lots, cross).sort_values("key", kind="mergesort").drop_duplicates("key")
    manual = prepare("manual_links", inp.manual_links).sort_values(
        ["step", "left_key", "right_key"], kind="mergesort").drop_duplicates(["step", "left_key", "right_key"])
    dups.append(d)
    for frame in dups:
        if not frame.empty and "partition" not in frame.columns:
            frame["partition"] = "doc|" + frame["owner_id"].fillna("")
    dup_frame = pd.concat([x for x in dups if not x.empty], ignore_index=True) if any(
        not x.empty for x in dups) else pd.DataFrame(columns=["key", "owner_id", "partition", "kind"])
    facts = sku_facts(orders, receipts, cross)
    return Prepared(orders, shipments, receipts, lots.reset_index(drop=True), documents_, customs,
                    manual.reset_index(drop=True), dup_frame, facts)


def match(inp: MatchInput, settings: MatchSettings | None = None) -> MatchResult:
    return match_prepared(prepare_input(inp), settings)


def match_prepared(p: Prepared, settings: MatchSettings | None = None,
                   partitions: set[str] | None = None) -> MatchResult:
    """Run every rung; with ``partitions`` the order rung only links shipment lines of those shop partitions
    (the incremental runner passes the changed ones)."""
    settings = settings or MatchSettings()
    ships = p.shipments
    if partitions is not None:
        ships = ships[member(ships["shop_partition"], sorted(partitions))]
    order_links, order_exc = linker.link_orders(p.orders, ships, p.manual)
    r, lot_table = ladder.build_lots(p.receipts, p.lots)
    lot_links = ladder._links("lot_receipt", r, "lot_key", "key", "lot_qty", r["lot_method"])
    ship_links, ship_exc = ladder.link_shipments_to_lots(p.shipments, lot_table, p.manual)
    docs = documents.link_receipts(r, p.documents, p.customs, p.skus, p.manual, settings.window_days)
    qty_exc = checks.quantity_checks(r, docs, p.documents, settings.tolerance)
    time_exc = checks.timeline_checks(r, docs, p.documents, p.customs)
    dup_exc = make_exceptions(p.duplicates, reason=Reason.DUPLICATE, step="input", record_kind="record",
                              record_key="key", related="kind",
                              detail="{kind} {key} was delivered more than once; the first copy is used")
    frames = [f for f in (order_links, lot_links, ship_links, docs.links) if not f.empty]
    links = pd.concat(frames, ignore_index=True) if frames else linker.empty_links()
    links = links.sort_values(["step", "partition", "left_key", "right_key"], kind="mergesort").reset_index(
        drop=True)
    exceptions = combine([order_exc, ship_exc, docs.exceptions, qty_exc, time_exc, dup_exc])
    return MatchResult(links=links, exceptions=exceptions)
