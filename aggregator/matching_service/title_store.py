"""Bring the stored title ledger in line for one warehouse partition (or an owner's lots in transit),
deriving events only for the subjects whose inputs changed.

Each lot and allocation is stored in ``title_subjects`` with the hash of the inputs its events came from
(``matching.title.derive.input_hashes``, salted with the title policy's signature). For a partition, a
subject whose hash is unchanged is left alone; one with a new hash is derived again: its events not
stored yet are appended (by event id), its stored events no longer derived are marked retracted, a
retracted one derived again is un-marked; a subject gone from the partition has its events retracted.
The lots' unit values of the partition are replaced. Outbox events go out for what was added and
retracted (``emitters.partition_changes``: one event per partition with the counts). An allocation's order side (its ``order_shipment`` links live in the shops' partitions) is read
by one indexed read: the buyer country, and the units of its order line written off (returned goods the
marketplace's warehouse disposed of: the owner's scrapped return lines).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, aliased

from aggregator.events import emitters
# (``_returned_units``: one copy of the returned-units query)
from aggregator.matching_service.loader import _returned_units, driver_rows
from aggregator.owners.key_form import OwnerOfKey
from aggregator.store.models.matching import LotValueRow, MatchLinkRow, TitleEventRow, TitleSubjectRow
from aggregator.store.models.returns import ReturnLineRow, ReturnRow
from aggregator.store.prepared_insert import insert_tuples
from matching.engine import Prepared
from matching.frames import prepare
from matching.title.derive import (
    allocation_inputs,
    input_hashes,
    ledger_rows,
    lot_inputs,
    subject_events,
    transit_events,
    write_off_key,
)
from matching.title.events import LEDGER_COLUMNS, TitleEvent
from matching.title.policy import PolicyBook
from matching.title.position import lot_unit_values

_CHUNK = 500
_EVENT_COLUMNS = [*LEDGER_COLUMNS, "seq"]


@dataclass
class TitleCounts:
    added: int = 0
    retracted: int = 0
    subjects: int = 0  # subjects derived again

    def __iadd__(self, other: TitleCounts) -> TitleCounts:
        self.added += other.added
        self.retracted += other.retracted
        self.subjects += other.subjects
        return self


def _chunks(items: list) -> Iterable[list]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def order_links(session: Session, partition: str) -> pd.DataFrame:
    """The ``order_shipment`` links (stored in the shops' partitions) of the outbound lines the partition's
    ``shipment_lot`` links name, with the buyer country (``match_links.country``): one indexed read of the
    links whose right key is in the list of those outbound lines (each link read once; a join from the
    partition's links gave an outbound line's order links once per lot it was taken from, and their
    DISTINCT cost SQLite about as much again as reading them). The step of those is kept in Python, not in
    the query: with ``step = 'order_shipment'`` there, SQLite reads every order link of every owner through
    the (step, left_key, right_key) index and probes the partition's links for each (a cost that grew with
    the whole store, per partition)."""
    os_, sl = aliased(MatchLinkRow), aliased(MatchLinkRow)
    columns = ["partition", "left_key", "right_key", "country", "qty"]
    served = select(sl.left_key).where(sl.partition == partition, sl.step == "shipment_lot")
    rows = driver_rows(session, select(os_.step, *(getattr(os_, c) for c in columns))
                       .where(os_.right_key.in_(served)))
    frame = pd.DataFrame([row[1:] for row in rows if row[0] == "order_shipment"], columns=columns)
    return frame.sort_values(["partition", "left_key", "right_key"], kind="mergesort").reset_index(drop=True)


def shipment_countries(session: Session, partition: str, links: pd.DataFrame | None = None) -> pd.Series:
    """Outbound line key -> buyer country of its first order link (``links``: ``order_links``, read when
    not given)."""
    frame = order_links(session, partition) if links is None else links
    if frame.empty:
        return pd.Series(dtype="string")
    return frame.drop_duplicates("right_key").set_index("right_key")["country"].astype("string")


def written_off_lines(session: Session, owner_of: OwnerOfKey, owner_key: str, links: pd.DataFrame) -> pd.DataFrame:
    """The order lines of ``links`` (``order_links``) whose returned goods the marketplace's warehouse
    disposed of, prepared (``key``, ``returned_qty``, ``written_off_qty``, ``written_off_at``): the owner's
    scrapped return lines (few), keyed as matching keys order lines."""
    owner_id = owner_of(owner_key)
    if links.empty or owner_id is None:
        return prepare("order_lines", None)
    r, ln = ReturnRow, ReturnLineRow
    scrapped = _returned_units(session, owner_id, func.coalesce(ln.disposition, r.disposition) == "SCRAP")
    if scrapped.empty:
        return prepare("order_lines", None)
    lines = prepare("order_lines", scrapped.assign(owner_id=owner_id, sku="", qty=0))
    return lines[lines["key"].isin(set(links["left_key"]))].reset_index(drop=True)


def store_partition_title(session: Session, owner_of: OwnerOfKey, partition: str, p: Prepared,
                          links: pd.DataFrame, book: PolicyBook, chains: dict, salt: str, now: datetime,
                          *, every: bool = False) -> TitleCounts:
    """The title events and lot values of one warehouse partition (``p`` and ``links``: its rows and
    links); ``every`` derives all its subjects again (the policy changed)."""
    lots = lot_inputs(p, links)
    ordered = order_links(session, partition)
    # the order side of the partition's allocations (its links live in the shops' partitions): countries, and
    # the returned units written off
    order_side = replace(p, orders=written_off_lines(session, owner_of, partition.split("|")[1], ordered))
    allocations = allocation_inputs(order_side, pd.concat([links, ordered.assign(step="order_shipment")]),
                                    shipment_countries(session, partition, ordered))
    hashes = input_hashes(lots, allocations, chains, salt)
    current = dict(zip(hashes["subject_key"].tolist(), hashes["input_hash"].tolist()))
    stored = dict(session.execute(select(TitleSubjectRow.subject_key, TitleSubjectRow.input_hash).where(
        TitleSubjectRow.partition == partition)).all())
    redo = {k for k, h in current.items() if every or stored.get(k) != h}
    gone = set(stored) - set(current)
    if len(redo) < len(current):  # (every subject derived again, as on a first or full run: no selection)
        lots = lots[lots["left_key"].isin(redo)] if not lots.empty else lots
        allocations = allocations[(allocations["left_key"] + ">" + allocations["right_key"]).isin(redo)] \
            if not allocations.empty else allocations
    events = subject_events(lots, allocations, book, chains)
    counts = _reconcile(session, events, redo | gone, now)
    owner = partition.split("|")[1]
    emitters.partition_changes(session, owner_of(owner), partition, title=(counts.added, counts.retracted))
    _replace_subjects(session, owner, partition, redo | gone, {k: current[k] for k in redo})
    session.execute(delete(LotValueRow).where(LotValueRow.partition == partition))
    values = lot_unit_values(p, links)
    insert_tuples(session, LotValueRow.__table__, ["owner_id", "partition", "lot_key", "unit_value", "currency", "basis"],
                  [(k.split("|")[0], partition, k, v, c, b) for k, (v, c, b) in sorted(values.items())])
    counts.subjects = len(redo)
    return counts


def store_transit_title(session: Session, owner_of: OwnerOfKey, owner_id: str, owner_key: str,
                        transit: pd.DataFrame, lot_ids: tuple[str, ...] | None, now: datetime) -> TitleCounts:
    """The in-transit events of the lots ``lot_ids`` (None: all the owner's) from ``transit`` (their latest
    snapshots that place them in no warehouse)."""
    partition = f"transit|{owner_key}"
    events = transit_events(transit)
    current = {e.subject_key for e in events}
    stored_q = select(TitleSubjectRow.subject_key).where(TitleSubjectRow.partition == partition)
    if lot_ids is None:
        stored = set(session.scalars(stored_q))
    else:
        wanted = sorted({f"{o}||{lot}" for o in {owner_id, owner_key} for lot in lot_ids})
        stored = {k for chunk in _chunks(wanted) for k in session.scalars(
            stored_q.where(TitleSubjectRow.subject_key.in_(chunk)))}
    touched = current | stored
    counts = _reconcile(session, events, touched, now)
    emitters.partition_changes(session, owner_of(owner_key), partition, title=(counts.added, counts.retracted))
    _replace_subjects(session, owner_key, partition, touched, {k: "" for k in current})
    counts.subjects = len(touched)
    return counts


#: on SQLite, a set of subject keys at least this large is read by one scan of the key's index over the range
#: from its least to its greatest key (``_of_subjects``)
_RANGE_FROM = 5_000


def _of_subjects(session: Session, query, column, keys: list[str]) -> list:
    """The rows of ``query`` whose ``column`` (the rows' first value) is one of ``keys`` (sorted): in IN lists of
    500 keys, or, on SQLite for ``_RANGE_FROM`` keys or more, by one range read of the column's index from the
    least key to the greatest, the rows of other keys in that range dropped here. A partition's subjects derived
    all again (a full run) are hundreds of thousands of keys, and an IN list costs its statement's building per
    key; SQLite compares text by its bytes, as Python orders ``str`` (by code point), so every key lies in the
    range."""
    if len(keys) < _RANGE_FROM or session.get_bind().dialect.name != "sqlite":
        return [row for chunk in _chunks(keys) for row in session.execute(query.where(column.in_(chunk)))]
    wanted = set(keys)
    return [row for row in session.execute(query.where(column.between(keys[0], keys[-1]))) if row[0] in wanted]


def _replace_subjects(session: Session, owner: str, partition: str, touched: set[str], hashes: dict[str, str]) -> None:
    s = TitleSubjectRow
    present = [k for (k,) in _of_subjects(session, select(s.subject_key), s.subject_key, sorted(touched))]
    for chunk in _chunks(present):
        session.execute(delete(s).where(s.subject_key.in_(chunk)))
    insert_tuples(session, TitleSubjectRow.__table__, ["owner_id", "partition", "subject_key", "input_hash"],
                  [(owner, partition, k, h) for k, h in sorted(hashes.items())])


def _reconcile(session: Session, events: list[TitleEvent], subjects: set[str], now: datetime) -> TitleCounts:
    """Store ``events`` (all the events of ``subjects`` now): append new ids (typed tuples, one prepared
    insert), retract stored ones not derived any more, un-retract ones derived again."""
    rows = ledger_rows(events)
    t = TitleEventRow
    stored: dict[str, tuple[str, object]] = {}  # event id -> (subject key, retracted at)
    # an allocation's write-off is a subject of its own, derived (and gone) with the allocation
    subjects = subjects | {write_off_key(k) for k in subjects if ">" in k}
    stored.update((e, (k, r)) for k, e, r in _of_subjects(
        session, select(t.subject_key, t.event_id, t.retracted_at), t.subject_key, sorted(subjects)))
    current = {row[0] for row in rows}
    new = [row for row in rows if row[0] not in stored] if stored else rows
    insert_tuples(session, t.__table__, _EVENT_COLUMNS, new)
    back = [(e, k) for e, (k, retracted) in stored.items() if e in current and retracted is not None]
    gone = [(e, k) for e, (k, retracted) in stored.items() if e not in current and retracted is None]
    for ids, value in ((back, None), (gone, now)):
        for chunk in _chunks(ids):
            # by (subject key, event id), the ledger's unique index (an id names one subject's event: it hashes
            # the subject key, so the two lists select exactly the chunk's events)
            session.execute(update(t).where(t.subject_key.in_(sorted({k for _, k in chunk})),
                                            t.event_id.in_([e for e, _ in chunk])).values(retracted_at=value))
    return TitleCounts(added=len(new), retracted=len(gone))
