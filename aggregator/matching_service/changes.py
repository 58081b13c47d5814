"""What may have changed since an owner's last matching run: the partitions to look at, found by indexed
queries (``stored_at`` of the source headers from the owner's watermark on, manual links past the last id
seen), never by reading the owner's frames.

The watermark a run leaves is its start time, moved back to the start of the oldest transaction still
open on PostgreSQL (a writer's rows carry the time they were written, and become visible when it
commits) and by ``MARGIN`` for clocks; a row seen twice costs a fingerprint comparison, never a wrong
result. A partition named here is matched again only when its fingerprint differs (``service``).

Which partitions a change names:

* an order or a return of a shop -> that shop's partition (and ``shop|OWNER||``, which sees every order);
* an outbound -> its warehouse's and its shop's partitions, and the partitions of the order links its
  lines had (its shop may have changed);
* a receipt -> its warehouse's; a stock snapshot of a lot -> every warehouse the lot was reported in
  (and the lot's in-transit title);
* a transport document or customs entry -> ``doc|OWNER`` and the warehouse partitions it concerns
  (``document_partitions``): those whose receipts name one of its numbers or containers now, that held
  a document it names (an entry reached through the document linked) or its lines at their last match (both recorded per partition when it is matched,
  ``match_partition_doc_keys``; the engine's own rule for which document lines a warehouse partition
  holds, ``matching.incremental.membership``), and every warehouse partition with nothing recorded;
* a new manual link -> the partition it counts in;
* a warehouse partition marked ``NAMES_CHANGED`` (a shop partition stored changed product names of SKUs
  it received, and the run that was to match it did not finish) -> that partition.

A changed SKU crosswalk or matcher settings, or no state at all, make the run a full one; a changed title
policy re-derives every title event of the owner.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from aggregator.matching_service.scope import (
    all_partitions,
    doc_partition,
    partition_of_manual,
    shop_partitions,
    wh_partitions,
)
from aggregator.store.models.logistics import (
    CustomsEntryLineRow,
    CustomsEntryRow,
    TransportDocumentLineRow,
    TransportDocumentRow,
)
from aggregator.store.models.marketplace import OrderRow
from aggregator.store.models.matching import (
    ManualLinkRow,
    MatchLinkRow,
    MatchPartitionDocKeyRow,
    MatchOwnerStateRow,
    MatchPartitionRow,
    SkuCrosswalkRow,
)
from aggregator.store.models.returns import ReturnRow
from aggregator.store.models.warehouse import (
    StockSnapshotRow,
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)
from matching import keys
from matching.engine import MatchSettings
from matching.state import PreparedState
from platform_adapters.canonical import identifiers

MARGIN = timedelta(minutes=5)
#: the fingerprint of a warehouse partition whose SKUs' product names changed (no fingerprint equals it):
#: stored with the names, in the same transaction, so a run that fails before matching it leaves it named
NAMES_CHANGED = "names-changed"
_CHUNK = 500
#: the receipt columns whose values tie a receipt to documents and entries (``matching.incremental``)
_RECEIPT_REFS = ("hbl_no", "awb_no", "mbl_no", "container_no", "customs_declaration_no")


@dataclass(frozen=True)
class MatchPlan:
    """One owner's run: the partitions to look at and what the run will record when it finishes."""

    owner_id: str
    partitions: tuple[str, ...]
    started_at: datetime
    full: bool
    next_watermark: datetime
    title_all: bool  # the title policy changed (or a full run): every title subject is derived again
    transit_lots: tuple[str, ...] | None  # lot ids whose in-transit title may have changed; None = all
    manual_max_id: int
    crosswalk_sig: str
    settings_sig: str
    policy_sig: str
    policy_path: str | None = None
    extra: tuple[str, ...] = field(default=())

    @property
    def owner_key(self) -> str:
        return keys.normalize_code(self.owner_id) or ""

    @property
    def phases(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(shop and document partitions, warehouse partitions): match the first before the second
        (warehouse partitions read the product names shop partitions record, and their title events the
        buyer countries of the order links)."""
        first = tuple(p for p in self.partitions if not p.startswith("wh|"))
        return first, tuple(p for p in self.partitions if p.startswith("wh|"))


def settings_signature(settings: MatchSettings | None = None) -> str:
    return hashlib.sha256(repr(settings or MatchSettings()).encode()).hexdigest()[:32]


def crosswalk_signature(session: Session, owner_id: str) -> str:
    c = SkuCrosswalkRow
    rows = session.execute(select(c.id, c.platform, c.platform_sku, c.merchant_sku, c.warehouse_sku, c.hs_code)
                           .where(c.owner_id == owner_id).order_by(c.id)).all()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:32]


def next_watermark(session: Session, now: datetime) -> datetime:
    """``now``, or the start of the oldest open transaction on PostgreSQL if earlier, less ``MARGIN``."""
    oldest = None
    if session.get_bind().dialect.name == "postgresql":
        oldest = session.execute(text("SELECT min(xact_start) FROM pg_stat_activity "
                                      "WHERE datname = current_database() AND xact_start IS NOT NULL")).scalar()
    start = min(now, oldest) if oldest is not None else now
    return start - MARGIN


def stored_partitions(session: Session, owner_id: str) -> set[str]:
    owner = keys.normalize_code(owner_id) or ""
    return set(session.scalars(select(MatchPartitionRow.partition).where(MatchPartitionRow.owner_id == owner)))


def plan_changes(session: Session, owner_id: str, *, full: bool, policy_sig: str,
                 settings: MatchSettings | None = None, policy_path: str | None = None) -> MatchPlan:
    now = datetime.now(UTC)
    state = session.execute(select(MatchOwnerStateRow).where(MatchOwnerStateRow.owner_id == owner_id)
                            ).scalar_one_or_none()
    cross_sig, settings_sig = crosswalk_signature(session, owner_id), settings_signature(settings)
    manual_max = session.execute(select(func.coalesce(func.max(ManualLinkRow.id), 0)).where(
        ManualLinkRow.owner_id == owner_id)).scalar_one()
    full = full or state is None or state.crosswalk_sig != cross_sig or state.settings_sig != settings_sig
    if full:
        partitions = all_partitions(session, owner_id) | stored_partitions(session, owner_id) | _manual_partitions(
            session, owner_id, 0)
        transit = None
    else:
        partitions, transit = changed_partitions(session, owner_id, state.watermark_at, state.manual_max_id)
    return MatchPlan(owner_id=owner_id, partitions=tuple(sorted(partitions)), full=full, started_at=now,
                     next_watermark=next_watermark(session, now),
                     title_all=full or state.policy_sig != policy_sig, transit_lots=transit,
                     manual_max_id=manual_max, crosswalk_sig=cross_sig, settings_sig=settings_sig,
                     policy_sig=policy_sig, policy_path=policy_path)


def _manual_partitions(session: Session, owner_id: str, after_id: int) -> set[str]:
    m = ManualLinkRow
    rows = session.execute(select(m.step, m.left_key, m.right_key).where(m.owner_id == owner_id, m.id > after_id))
    return {partition_of_manual(owner_id, *row) for row in rows}


def changed_partitions(session: Session, owner_id: str, since: datetime, manual_after: int
                       ) -> tuple[set[str], tuple[str, ...]]:
    """(partitions, in-transit lot ids) that rows stored from ``since`` on may have changed."""
    out: set[str] = set()
    stored = stored_partitions(session, owner_id)
    o, r = OrderRow, ReturnRow
    shops = _pairs(session, select(o.platform, o.shop_id).where(o.owner_id == owner_id, o.stored_at >= since))
    shops |= _pairs(session, select(r.platform, r.shop_id).where(r.owner_id == owner_id, r.stored_at >= since))
    out |= set(shop_partitions(owner_id, sorted(shops, key=str)))
    owner_wide = f"shop|{keys.normalize_code(owner_id) or ''}||"
    if shops and owner_wide in stored:
        out.add(owner_wide)
    s = WarehouseShipmentRow
    changed_ships = session.execute(select(s.warehouse_code, s.platform, s.shop_id).where(
        s.owner_id == owner_id, s.stored_at >= since).distinct()).all()
    out |= set(wh_partitions(owner_id, [w for w, _, _ in changed_ships]))
    out |= set(shop_partitions(owner_id, [(p, sh) for _, p, sh in changed_ships]))
    out |= _previous_order_link_partitions(session, owner_id, since)
    rc = WarehouseReceiptRow
    out |= set(wh_partitions(owner_id, [w for (w,) in session.execute(select(rc.warehouse_code).where(
        rc.owner_id == owner_id, rc.stored_at >= since).distinct())]))
    st = StockSnapshotRow
    lots = sorted(set(session.scalars(select(st.lot_id).where(st.owner_id == owner_id, st.stored_at >= since,
                                                              st.lot_id.is_not(None)).distinct())))
    for start in range(0, len(lots), _CHUNK):
        warehouses = session.scalars(select(st.warehouse_code).where(
            st.owner_id == owner_id, st.lot_id.in_(lots[start:start + _CHUNK])).distinct()).all()
        out |= {p for p in wh_partitions(owner_id, [w for w in warehouses if w]) if not p.endswith("|")}
    documents = any(session.execute(select(model.id).where(model.owner_id == owner_id, model.stored_at >= since)
                                    .limit(1)).first() for model in (TransportDocumentRow, CustomsEntryRow))
    if documents:
        out |= document_partitions(session, owner_id, since, stored)
        out.add(doc_partition(owner_id))
    out |= _manual_partitions(session, owner_id, manual_after)
    out |= set(session.scalars(select(MatchPartitionRow.partition).where(
        MatchPartitionRow.owner_id == (keys.normalize_code(owner_id) or ""), MatchPartitionRow.fingerprint == NAMES_CHANGED)))
    return {p for p in out if not p.startswith("wh|") or not p.endswith("|")}, tuple(lots)


def document_keys(state: PreparedState, members: dict) -> dict[str, set[str]]:
    """Warehouse partition -> what ties it to documents and entries (prepared rows: values as the engine
    normalised them): ``ref:`` each number and container its receipts name and each number of a document
    it holds (an entry naming one is reached through it: ``documents._entry_level``), ``doc:`` / ``entry:``
    the documents and entries whose lines it holds (``members``: ``matching.incremental.membership``)."""
    out: dict[str, set[str]] = {}
    receipts = state.frames["receipt_lines"]
    for column in _RECEIPT_REFS:
        named = receipts[["partition", column]].dropna().drop_duplicates()
        for partition, value in zip(named["partition"], named[column]):
            out.setdefault(str(partition), set()).add(f"ref:{value}")
    for kind, prefix, column in (("document_lines", "doc:", "doc_number"), ("customs_lines", "entry:", "declaration_no")):
        frame, parts_list = members[kind]
        if frame.empty:
            continue
        for parts, positions in parts_list:
            values = frame[column].to_numpy()[positions]
            for partition, value in zip(parts, values):
                if isinstance(partition, str) and partition.startswith("wh|") and isinstance(value, str):
                    held = out.setdefault(partition, set())
                    held.add(prefix + value)
                    if prefix == "doc:":  # (an entry naming a document held is reached through it)
                        held.add(f"ref:{value}")
    return out


def _document_numbers(values) -> set[str]:
    return {n for v in values if v for n in [identifiers.normalize_document_number(str(v))] if n}


def _containers(values) -> set[str]:
    return {n for v in values if v for n in [identifiers.normalize_container_number(str(v))] if n}


def document_partitions(session: Session, owner_id: str, since: datetime, stored: set[str]) -> set[str]:
    """The warehouse partitions the documents and customs entries stored from ``since`` on concern (see the
    module docstring). A receipt links a document or entry only through a value of ``_RECEIPT_REFS``
    equal to one of its numbers or containers, or (an entry) through a document its partition holds, and a
    partition holds only such lines, so no other warehouse partition's inputs changed."""
    d, dl = TransportDocumentRow, TransportDocumentLineRow
    e, el = CustomsEntryRow, CustomsEntryLineRow
    docs = session.execute(select(d.id, d.doc_number, d.master_doc_number).where(
        d.owner_id == owner_id, d.stored_at >= since)).all()
    entries = session.execute(select(e.id, e.declaration_no, e.transport_doc_refs, e.container_nos).where(
        e.owner_id == owner_id, e.stored_at >= since)).all()
    numbers = _document_numbers(n for _, number, master in docs for n in (number, master))
    refs = [token.split(":", 1)[-1] for _, _, text_, _ in entries for token in (text_ or "").split()]
    numbers |= _document_numbers([*(number for _, number, _, _ in entries), *refs])
    boxes: set[str] = set()
    for ids, column, parent in ((sorted(i for i, *_ in docs), dl.container_no, dl.document_pk),
                                (sorted(i for i, *_ in entries), el.container_no, el.entry_pk)):
        for start in range(0, len(ids), _CHUNK):
            boxes |= _containers(session.scalars(select(column).where(parent.in_(ids[start:start + _CHUNK]))
                                                 .distinct()))
    boxes |= _containers(box for _, _, _, text_ in entries for box in (text_ or "").split())
    wanted = sorted({f"ref:{v}" for v in numbers | boxes}
                    | {f"doc:{v}" for v in _document_numbers(number for _, number, _ in docs)}
                    | {f"entry:{v}" for v in _document_numbers(number for _, number, _, _ in entries)})
    owner = keys.normalize_code(owner_id) or ""
    k = MatchPartitionDocKeyRow
    out: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        out |= set(session.scalars(select(k.partition).where(
            k.owner_id == owner, k.key.in_(wanted[start:start + _CHUNK])).distinct()))
    recorded = set(session.scalars(select(k.partition).where(k.owner_id == owner, k.key == "")))
    unrecorded = {p for p in all_partitions(session, owner_id) | stored if p.startswith("wh|")} - recorded
    return out | unrecorded


def _pairs(session: Session, query) -> set[tuple]:
    return {tuple(row) for row in session.execute(query.distinct()).all()}


def _previous_order_link_partitions(session: Session, owner_id: str, since: datetime) -> set[str]:
    """Partitions of the order links the lines of outbounds stored from ``since`` on had (an outbound whose
    shop changed leaves its old shop's partition). Looked up by the links' right key alone, the step kept in
    Python: with ``step = 'order_shipment'`` in the query SQLite takes the (step, left_key, right_key) index
    and walks every order link of every owner for each chunk of keys (6 s at 1M order lines for 17k new
    outbound lines), instead of probing the right-key index."""
    s, ln = WarehouseShipmentRow, WarehouseShipmentLineRow
    rows = session.execute(select(s.warehouse_code, s.wms_outbound_no, ln.line_no).join(ln, ln.shipment_pk == s.id)
                           .where(s.owner_id == owner_id, s.stored_at >= since)).all()
    if not rows:
        return set()
    owner = keys.normalize_code(owner_id) or ""
    whs = {w: keys.normalize_code(w) or "" for w in {w for w, _, _ in rows}}
    outs = {n: keys.normalize_code(n) or "" for n in {n for _, n, _ in rows}}
    line_keys = sorted({f"{owner}|{whs[w]}|{outs[n]}|{line}" for w, n, line in rows})
    found: set[str] = set()
    m = MatchLinkRow
    for start in range(0, len(line_keys), _CHUNK):
        found |= {partition for step, partition in session.execute(select(m.step, m.partition).where(
            m.right_key.in_(line_keys[start:start + _CHUNK])).distinct()) if step == "order_shipment"}
    return found
