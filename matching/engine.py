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

import ctypes
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from matching import by_owner, checks, documents, ladder, linker
from matching.crosswalk import SkuCrosswalk
from matching.exceptions import Reason, combine, make_exceptions
from matching.frames import (change_points, member, plain, prepare, sort_order, sort_rows,
                             take_consuming, take_positions)
from matching.sku_facts import empty_facts, sku_facts

SKU_FACT_SOURCE = ["owner_id", "sku_c", "product_name"]  # the order columns ``sku_facts`` reads

STEPS = ("order_shipment", "shipment_lot", "lot_receipt", *documents.RECEIPT_STEPS)

# The rungs of a warehouse partition, each with the steps of the links and exceptions it makes: ``lots``
# (outbound line -> lot) reads the partition's outbound lines, receipt lines, lots and manual links;
# ``documents`` (lot -> receipt line, receipt -> transport documents and customs entries, their quantity
# and timeline checks) reads its receipt lines, lots, the documents and customs lines they name, the SKU
# facts and manual links. ``matching.incremental`` fingerprints each rung's inputs and re-runs a rung only
# when they changed (``match_prepared(rungs=...)``). The order rung (shop partitions) and the duplicate
# checks (step ``input``) run whenever their partition changed.
WAREHOUSE_RUNGS = {
    "lots": frozenset({ladder.STEP}),
    "documents": frozenset({"lot_receipt", *documents.RECEIPT_STEPS, *checks.STEPS}),
}


def rung_of_step(step: str) -> str | None:
    """The warehouse rung whose links or exceptions carry ``step`` (None: the order rung or the input checks)."""
    for rung, steps in WAREHOUSE_RUNGS.items():
        if step in steps:
            return rung
    return None


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
    """The engine's input. ``orders`` and ``shipments`` read as plain frames; a full run keeps them with
    their repeated texts as codes (``matching.frames.compact``), which ``coded`` gives as they are held
    (the rungs decode only the columns they read, while they run)."""

    orders: pd.DataFrame
    shipments: pd.DataFrame
    receipts: pd.DataFrame
    lots: pd.DataFrame
    documents: pd.DataFrame
    customs: pd.DataFrame
    manual: pd.DataFrame
    duplicates: pd.DataFrame
    skus: pd.DataFrame = field(default_factory=empty_facts)  # ``matching.sku_facts``

    def coded(self, name: str) -> pd.DataFrame:
        """``orders`` or ``shipments`` as held (``compact`` columns not decoded)."""
        return self.__dict__["_" + name]


def _plain_view(name: str) -> property:
    """The plain view of a held frame: the frame itself unless it holds coded columns, else its decoded copy,
    made on the first read and kept until the frame is replaced, so that every read answers the same frame
    (a change made through one read is seen by the next, as on a plain frame) and decoding is paid once."""
    def get(self) -> pd.DataFrame:
        held = self.__dict__["_" + name]
        kept = self.__dict__.get("_plain_" + name)
        if kept is None or kept[0] is not held:
            kept = (held, plain(held))
            self.__dict__["_plain_" + name] = kept
        return kept[1]

    def put(self, frame: pd.DataFrame) -> None:
        self.__dict__["_" + name] = frame
        self.__dict__.pop("_plain_" + name, None)
    return property(get, put)


Prepared.orders = _plain_view("orders")  # after the dataclass is made: its __init__ and ``replace`` go through these
Prepared.shipments = _plain_view("shipments")


@dataclass
class MatchResult:
    """``links`` reads as a plain frame (``linker.LINK_COLUMNS``); a run holds its links with their repeated
    texts as codes (``by_owner.coded_links``), which ``coded("links")`` gives as they are held: the plain
    frame is decoded on the first read of ``links`` and kept until the links are replaced."""

    links: pd.DataFrame
    exceptions: pd.DataFrame
    rematched: tuple[str, ...] = ()
    fingerprints: dict[str, str] = field(default_factory=dict)
    prepared: Prepared | None = None  # the whole prepared input, when the run built it (full runs)
    state: object | None = None  # ``matching.state.PreparedState``: what the next incremental run starts from
    # warehouse rung (``WAREHOUSE_RUNGS``) -> warehouse partition -> fingerprint of the rows that rung reads
    rung_fingerprints: dict[str, dict[str, str]] = field(default_factory=dict)

    def coded(self, name: str = "links") -> pd.DataFrame:
        """``links`` as held (``compact`` columns not decoded)."""
        return self.__dict__["_" + name]


MatchResult.links = _plain_view("links")


FRAME_KINDS = ("order_lines", "shipment_lines", "receipt_lines", "lots", "document_lines", "customs_lines",
               "manual_links")
_DUPLICATE_KIND = {"shipment_lines": "shipment_line", "receipt_lines": "receipt_line",
                   "document_lines": "document_line", "customs_lines": "customs_line"}


def prepare_frames(inp: MatchInput) -> dict[str, pd.DataFrame]:
    """Every frame of ``inp`` prepared (``matching.frames.prepare``: normalised keys, canonical SKU,
    ``row_hash``), all rows kept in their given order."""
    cross = inp.crosswalk or SkuCrosswalk()
    return {kind: prepare(kind, getattr(inp, kind), cross) for kind in FRAME_KINDS}


def canonical_frames(frames: dict[str, pd.DataFrame], consume: bool = False) -> dict[str, pd.DataFrame]:
    """The same rows of each frame in the engine's order: sorted by key and content hash, and for the kinds
    whose repeated keys are duplicates, the first copy of every key first and the further copies after
    them. ``assemble(..., ordered=True)`` then takes the first copies as a slice (no copy), so a state
    can keep these frames and share them with the run. ``consume``: the given frames are emptied column
    by column while the ordered ones are built (a full run's freshly prepared rows: they are never
    twice in memory)."""
    out = {}
    for kind, frame in frames.items():
        out[kind] = _canonical_order(kind, frame, consume)
    return out


def canonical_rows(kind: str, frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``canonical_frames`` of the rows of ``frame`` at the (ascending) positions ``rows``, taken in one
    step (not selected and then sorted: the selection's columns are never copied twice)."""
    return _canonical_order(kind, frame, False, np.asarray(rows, dtype=np.intp))


def _canonical_order(kind: str, frame: pd.DataFrame, consume: bool, rows: np.ndarray | None = None
                     ) -> pd.DataFrame:
    by = ["step", "left_key", "right_key", "row_hash"] if kind == "manual_links" else ["key", "row_hash"]
    sort_keys = frame[by] if rows is None else take_positions(frame[by], rows)
    order = sort_order(sort_keys, by) if len(sort_keys) > 1 else np.arange(len(sort_keys))
    if kind in _DUPLICATE_KIND and len(order) > 1:
        repeat = ~change_points(sort_keys[["key"]].take(order), ["key"])
        if repeat.any():
            order = order[np.concatenate([np.flatnonzero(~repeat), np.flatnonzero(repeat)])]
    del sort_keys
    if rows is not None:
        order = rows[order]
    if consume:
        return take_consuming(frame, order)
    return take_positions(frame, order)


def _first_copies(frame: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(first copy of each key, further copies with ``kind``) of a ``canonical_frames`` frame."""
    first = int((~frame["key"].duplicated(keep="first")).sum()) if len(frame) else 0
    return frame.iloc[:first], plain(frame.iloc[first:]).assign(kind=kind).reset_index(drop=True)


def assemble(frames: dict[str, pd.DataFrame], crosswalk: SkuCrosswalk | None = None,
             skus: pd.DataFrame | None = None, ordered: bool = False) -> Prepared:
    """The engine's input from prepared rows (``prepare_frames``, or rows stored with their normalised
    keys and ``row_hash``): rows sorted by key and content hash, repeated keys moved to ``duplicates``
    (the first copy in that order is used), and the SKU facts (``skus``: pass the facts of the whole input
    when ``frames`` hold only some partitions). Any row order in gives the same ``Prepared``;
    ``ordered``: the frames come from ``canonical_frames`` (nothing is sorted or copied again)."""
    cross = crosswalk or SkuCrosswalk()
    facts = skus if skus is not None else sku_facts(fact_rows(frames["order_lines"]), plain(frames["receipt_lines"]),
                                                    cross)
    if not ordered:
        frames = canonical_frames(frames)
    dups = {}
    canonical = {}
    for kind, label in _DUPLICATE_KIND.items():
        canonical[kind], dups[kind] = _first_copies(frames[kind], label)
    lots = frames["lots"].drop_duplicates("key").reset_index(drop=True)
    manual = frames["manual_links"].drop_duplicates(["step", "left_key", "right_key"]).reset_index(drop=True)
    for kind in ("document_lines", "customs_lines"):
        frame = dups[kind]
        if not frame.empty:
            frame["partition"] = "doc|" + frame["owner_id"].fillna("")
    found = [x for x in dups.values() if not x.empty]
    dup_frame = pd.concat(found, ignore_index=True) if found else pd.DataFrame(
        columns=["key", "owner_id", "partition", "kind"])
    return Prepared(frames["order_lines"], canonical["shipment_lines"], canonical["receipt_lines"], lots,
                    canonical["document_lines"], canonical["customs_lines"], manual, dup_frame, facts)


def fact_rows(orders: pd.DataFrame) -> pd.DataFrame:
    """The order columns ``sku_facts`` reads, plain; from coded columns only their distinct rows are decoded
    (``sku_facts`` drops repeated rows itself, so the facts are the same)."""
    rows = orders[[c for c in SKU_FACT_SOURCE if c in orders.columns]]
    if any(isinstance(rows[c].dtype, pd.CategoricalDtype) for c in rows.columns):
        rows = rows.drop_duplicates()
    return plain(rows)


def prepare_input(inp: MatchInput) -> Prepared:
    return assemble(prepare_frames(inp), inp.crosswalk)


def match(inp: MatchInput, settings: MatchSettings | None = None) -> MatchResult:
    return match_prepared(prepare_input(inp), settings)


def match_prepared(p: Prepared, settings: MatchSettings | None = None,
                   partitions: set[str] | None = None, rungs: dict[str, set[str]] | None = None) -> MatchResult:
    """Run every rung; with ``partitions`` the order rung only links shipment lines of those shop partitions
    and the outbound -> lot rung only those of its warehouse partitions (the incremental runner passes the
    changed ones), and a rung whose links and exceptions all fall in partitions of a kind ``partitions``
    lacks is not run (the order rung's are in shop partitions, the warehouse rungs' in warehouse
    partitions): the caller keeps only the rows of ``partitions``. ``rungs``: a warehouse rung
    (``WAREHOUSE_RUNGS``) -> the warehouse partitions it runs for (a rung not named runs for all); the
    caller keeps the links and exceptions of the steps of a rung only in the partitions it ran for."""
    settings = settings or MatchSettings()
    lots_for, docs_for = (None if rungs is None or rung not in rungs else sorted(rungs[rung])
                          for rung in ("lots", "documents"))
    if partitions is not None:
        warehouses = sorted(x for x in partitions if x.startswith("wh|"))
        lots_for = warehouses if lots_for is None else sorted(set(lots_for) & set(warehouses))
    pieces: list[tuple[pd.DataFrame, bool]] = []
    found_exc = []
    if partitions is None or any(x.startswith("shop|") for x in partitions):
        ships = p.coded("shipments")
        if partitions is not None:
            ships = ships[member(ships["shop_partition"], sorted(partitions))]
        # each rung gets the columns it reads, decoded for its run only (the order rung: one owner at a time);
        # each rung's links are held as codes as soon as they are made
        order_links, order_exc = by_owner.link_orders(p.coded("orders"), ships, p.manual)
        pieces.append((order_links, True))
        found_exc.append(order_exc)
        del order_links, ships
        give_back()
    if partitions is None or any(x.startswith("wh|") for x in partitions):
        r, lot_table = ladder.build_lots(p.receipts, p.lots)
        if lots_for is None or lots_for:
            ships = p.coded("shipments")
            if lots_for is not None:
                ships = ships[member(ships["partition"], lots_for).to_numpy()]
            ship_links, ship_exc = by_owner.link_shipments(ships, lot_table, p.manual)
            pieces.append((ship_links, True))
            found_exc.append(ship_exc)
            del ship_links, ships
            give_back()
        del lot_table
        if docs_for is None or docs_for:
            if docs_for is not None:
                r = r[member(r["partition"], docs_for).to_numpy()].reset_index(drop=True)
            lot_links = by_owner.coded_links(ladder._links("lot_receipt", r, "lot_key", "key", "lot_qty",
                                                           r["lot_method"]))
            docs = documents.link_receipts(r, p.documents, p.customs, p.skus, p.manual, settings.window_days)
            qty_exc = checks.quantity_checks(r, docs, p.documents, settings.tolerance)
            time_exc = checks.timeline_checks(r, docs, p.documents, p.customs)
            pieces += [(lot_links, False), (by_owner.coded_links(docs.links), False)]
            found_exc += [docs.exceptions, qty_exc, time_exc]
            del lot_links
            docs.links = None  # the pieces are consumed into one frame: no rung's links are kept twice
        del r
        give_back()
    dup_exc = make_exceptions(p.duplicates, reason=Reason.DUPLICATE, step="input", record_kind="record",
                              record_key="key", related="kind",
                              detail="{kind} {key} was delivered more than once; the first copy is used")
    links = _sorted_links(pieces)
    exceptions = combine([*found_exc, dup_exc])
    return MatchResult(links=links, exceptions=exceptions)


def give_back() -> None:
    """Hand the memory the last step freed back to the system: Arrow's allocator keeps freed pages for
    reuse, and so does the C library's (numpy's and pandas' arrays below its mapping threshold), so a
    rung's temporaries would otherwise stay in the process's resident size under the next rung's. Between
    steps only (a few calls per run)."""
    pa.default_memory_pool().release_unused()
    if _TRIM is not None:
        _TRIM(0)


def _malloc_trim():
    """glibc's ``malloc_trim`` (None elsewhere)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


_LINK_ORDER = ["step", "partition", "left_key", "right_key"]


def _sorted_links(pieces: list[tuple[pd.DataFrame, bool]]) -> pd.DataFrame:
    """The rungs' links (held as codes) in one frame sorted by ``_LINK_ORDER`` (stable). ``pieces`` are
    (links, already sorted by partition and keys with a single step); the list is emptied and each piece's
    columns are moved into the result one at a time (the caller gives the pieces up: the links never exist
    twice). When the pieces' steps do not interleave, each piece is sorted on its own (an already sorted one
    not at all) and they are joined in step order (``by_owner.sorted_concat``): the same rows in the same
    order as sorting them all together, without sorting and copying the largest piece (the order links) again."""
    found = [(frame, done) for frame, done in pieces if not frame.empty]
    pieces.clear()
    if not found:
        return by_owner.coded_links(linker.empty_links())
    sorted_already = [done for _, done in found]
    frames = [frame for frame, _ in found]
    found.clear()
    return by_owner.sorted_concat(
        frames, _LINK_ORDER, span=lambda frame: _step_span(frame["step"]),
        arrange=lambda i, frame: frame if sorted_already[i] and frame["step"].nunique() == 1
        else sort_rows(frame, _LINK_ORDER))


def _step_span(steps: pd.Series) -> tuple[str, str]:
    """(lowest, highest) step of a piece's links (a ``compact`` column: among the texts its rows hold)."""
    if isinstance(steps.dtype, pd.CategoricalDtype):
        held = np.unique(steps.cat.codes.to_numpy())
        texts = steps.cat.categories.take(held[held >= 0])
        return str(texts.min()), str(texts.max())
    return steps.min(), steps.max()
