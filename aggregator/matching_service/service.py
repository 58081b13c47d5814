"""Match the database: load frames, match changed partitions (or all with ``full``), store the results.

One transaction per run: links of re-matched partitions are replaced; exceptions go to the exceptions queue
(``aggregator.exceptions_queue.writes.store_match_exceptions``: they keep their row, status and resolution
across runs, a gone one re-opens when found again, an open one not found again becomes gone); partition
fingerprints are updated; title events are appended by id and events no longer derived are marked
retracted; lot unit values are refreshed. Manual links (``manual_links``) close the exception they
resolve when they are recorded. Live events go out in the same transaction (``aggregator.events``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from aggregator.events import emitters
from aggregator.owners.key_form import OwnerOfKey
from aggregator.exceptions_queue.writes import MATCH_COLUMNS, match_exception_columns, store_match_exceptions
from aggregator.matching_service.loader import load_endorsements, load_input, load_transit_lots
from aggregator.matching_service.policy_file import load_policy_book
from aggregator.store.db import session_scope
from aggregator.store.models.matching import (
    LotValueRow,
    MatchLinkRow,
    MatchPartitionRow,
    TitleEventRow,
)
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.tenancy import OwnerRow
from aggregator.tenancy import require_owner
from matching.engine import MatchResult, match_prepared, prepare_input
from matching.exceptions import EXCEPTION_COLUMNS
from matching.incremental import fingerprints, match_full, match_incremental, membership, restrict
from matching.sku_facts import sku_facts
from matching.state import prepare_state
from matching.linker import LINK_COLUMNS
from matching.title import derive_title_events
from matching.title.events import LEDGER_COLUMNS
from matching.title.position import lot_unit_values

_BATCH = 5_000


@dataclass(frozen=True)
class MatchSummary:
    partitions: int
    rematched: int
    links: int
    exceptions: int
    title_events_added: int
    title_events_retracted: int

    def describe(self) -> str:
        return (f"matched {self.rematched} of {self.partitions} partition(s): {self.links} link(s), "
                f"{self.exceptions} exception(s), {self.title_events_added} title event(s) added, "
                f"{self.title_events_retracted} retracted")


def _owner_filter(query, column, owner_id: str | None):
    return query if owner_id is None else query.where(column == owner_id)


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _insert(session: Session, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), _BATCH):
        session.execute(insert(model), rows[start:start + _BATCH])


def load_previous(session: Session, owner_id: str | None = None) -> MatchResult:
    links = pd.DataFrame(session.execute(_owner_filter(
        select(*[getattr(MatchLinkRow, c) for c in LINK_COLUMNS]), MatchLinkRow.owner_id, owner_id)).all(),
        columns=LINK_COLUMNS)
    exc = pd.DataFrame(session.execute(_owner_filter(
        select(*match_exception_columns()).where(ExceptionItem.queue == "match", ExceptionItem.status != "gone"),
        ExceptionItem.owner_id, owner_id)).all(), columns=list(MATCH_COLUMNS))[EXCEPTION_COLUMNS]
    parts = session.execute(_owner_filter(select(MatchPartitionRow.partition, MatchPartitionRow.fingerprint),
                                          MatchPartitionRow.owner_id, owner_id)).all()
    return MatchResult(links=links, exceptions=exc, fingerprints=dict(parts))


def _store_links(session: Session, result: MatchResult, previous: MatchResult, redo: set[str],
                 owner_id: str | None) -> list[dict]:
    """Replace the links of re-matched partitions; returns the links the previous run did not have."""
    stale = delete(MatchLinkRow).where(MatchLinkRow.partition.in_(redo)) if redo else None
    if stale is not None:
        session.execute(_owner_filter(stale, MatchLinkRow.owner_id, owner_id))
    fresh = _records(result.links[result.links["partition"].isin(redo)][LINK_COLUMNS])
    _insert(session, MatchLinkRow, fresh)
    before = previous.links[previous.links["partition"].isin(redo)]
    known = set(zip(before["step"], before["left_key"], before["right_key"]))
    return [link for link in fresh if (link["step"], link["left_key"], link["right_key"]) not in known]


def _store_partitions(session: Session, result: MatchResult, previous: MatchResult, redo: set[str]) -> None:
    vanished = set(previous.fingerprints) - set(result.fingerprints)
    if vanished:
        session.execute(delete(MatchPartitionRow).where(MatchPartitionRow.partition.in_(vanished)))
    links = result.links.groupby("partition").size()
    exc = result.exceptions.groupby("partition").size()
    changed = [p for p in result.fingerprints if p in redo]
    if changed:
        session.execute(delete(MatchPartitionRow).where(MatchPartitionRow.partition.in_(changed)))
    _insert(session, MatchPartitionRow, [
        {"owner_id": p.split("|")[1], "partition": p, "fingerprint": result.fingerprints[p],
         "links": int(links.get(p, 0)), "exceptions": int(exc.get(p, 0))} for p in changed])


def _store_title(session: Session, ledger: pd.DataFrame, owner_id: str | None, now: datetime
                 ) -> tuple[list[dict], list[dict]]:
    """Append new title events, mark unsupported ones retracted (and clear the mark of returning ones);
    returns (added, retracted)."""
    stored = dict(session.execute(_owner_filter(select(TitleEventRow.event_id, TitleEventRow.retracted_at),
                                                TitleEventRow.owner_id, owner_id)).all())
    current = set(ledger["event_id"])
    new = _records(ledger[~ledger["event_id"].isin(list(stored))][[*LEDGER_COLUMNS, "seq"]])
    _insert(session, TitleEventRow, new)
    back = [e for e, retracted in stored.items() if e in current and retracted is not None]
    gone = [e for e, retracted in stored.items() if e not in current and retracted is None]
    for ids, value in ((back, None), (gone, now)):
        for start in range(0, len(ids), _BATCH):
            session.execute(update(TitleEventRow).where(TitleEventRow.event_id.in_(ids[start:start + _BATCH]))
                            .values(retracted_at=value))
    retracted = [{"event_id": e, "owner_id": o, "subject_key": k} for start in range(0, len(gone), _BATCH)
                 for e, o, k in session.execute(select(TitleEventRow.event_id, TitleEventRow.owner_id,
                                                       TitleEventRow.subject_key)
                                                .where(TitleEventRow.event_id.in_(gone[start:start + _BATCH])))]
    return new, retracted


def _store_title_and_values(session: Session, prepared, links: pd.DataFrame, policy, owner_id: str | None,
                            now: datetime, owner_of: OwnerOfKey) -> tuple[list[dict], list[dict]]:
    """Derive the title ledger from ``links``, store it (with its live events) and replace the lots' unit
    values; returns (added, retracted) events."""
    ledger = derive_title_events(prepared, links, policy, load_endorsements(session, owner_id),
                                 load_transit_lots(session, owner_id))
    added, retracted = _store_title(session, ledger, owner_id, now)
    emitters.title_events(session, added, owner_of, retracted=retracted)
    session.execute(_owner_filter(delete(LotValueRow), LotValueRow.owner_id, owner_id))
    values = lot_unit_values(prepared, links)
    _insert(session, LotValueRow, [{"owner_id": k.split("|")[0], "lot_key": k, "unit_value": v, "currency": c,
                                    "basis": b} for k, (v, c, b) in sorted(values.items())])
    return added, retracted


def run_match(engine: Engine, *, full: bool = False, owner_id: str | None = None,
              policy_path: Path | None = None, fence: Callable[[Session], None] | None = None) -> MatchSummary:
    """Match (incrementally unless ``full``) and store; ``policy_path`` is the title policy TOML, if any.

    ``fence``: called inside the transaction just before it commits (a job lease's ``check``): it raises
    when this worker's lease was taken over meanwhile, and then nothing of this run is stored."""
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        if owner_id is not None:
            require_owner(session, owner_id)
        names = dict(session.execute(select(OwnerRow.owner_id, OwnerRow.name)).all())
        policy = load_policy_book(policy_path, names)
        inp = load_input(session, owner_id)
        previous = load_previous(session, owner_id)
        if full or not previous.fingerprints:
            result = match_full(inp)
            redo = set(result.fingerprints) | set(previous.fingerprints) | set(result.links["partition"]) | set(
                result.exceptions["partition"])
        else:
            result = match_incremental(inp, previous)
            redo = set(result.rematched)
        owner_of = OwnerOfKey(session)  # live events, in this same transaction
        emitters.links_added(session, _store_links(session, result, previous, redo, owner_id), owner_of)
        store_match_exceptions(session, result.exceptions[result.exceptions["partition"].isin(redo)], redo, now,
                               owner_of)
        _store_partitions(session, result, previous, redo)
        added, retracted = _store_title_and_values(session, result.prepared or prepare_input(inp), result.links,
                                                   policy, owner_id, now, owner_of)
        if fence is not None:
            fence(session)
        return MatchSummary(partitions=len(result.fingerprints), rematched=len(result.rematched),
                            links=len(result.links), exceptions=len(result.exceptions), title_events_added=len(added),
                            title_events_retracted=len(retracted))


# --- one owner's run in steps that can run apart (``aggregator.jobs.match_fanout`` runs the partition
# steps on several workers): plan -> match_partitions (disjoint sets, in parallel) -> finalize_match.
@dataclass(frozen=True)
class MatchPlan:
    """What one owner's run re-matches: ``partitions`` (changed, new or vanished; every one with ``full``)."""

    owner_id: str
    partitions: tuple[str, ...]
    started_at: datetime
    full: bool = False
    policy_hash: str = ""

    @property
    def phases(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(shop and document partitions, warehouse partitions): match the first before the second."""
        return (tuple(p for p in self.partitions if not p.startswith("wh|")),
                tuple(p for p in self.partitions if p.startswith("wh|")))


@dataclass
class PartitionOutcome:
    """The partitions ``match_partitions`` re-matched; ``also``: warehouse partitions to match after them."""

    rematched: list[str] = field(default_factory=list)
    also: set[str] = field(default_factory=set)


def plan_match(engine: Engine, owner_id: str, *, full: bool = False, policy_path: Path | None = None) -> MatchPlan:
    """The owner's partitions whose fingerprint differs from the stored one (all of them with ``full``)."""
    started = datetime.now(UTC)
    with session_scope(engine) as session:
        require_owner(session, owner_id)
        current = fingerprints(_owner_members(session, owner_id)[1])
        stored = load_previous(session, owner_id).fingerprints
    if full or not stored:
        redo = set(current) | set(stored)
    else:
        redo = {p for p, fp in current.items() if stored.get(p) != fp} | (set(stored) - set(current))
    return MatchPlan(owner_id, tuple(sorted(redo)), started, full)


def _owner_members(session: Session, owner_id: str):
    """The owner's prepared rows and which partitions each belongs to (``matching.incremental``)."""
    state = prepare_state(load_input(session, owner_id))
    f = state.frames
    return state, membership(state, sku_facts(f["order_lines"], f["receipt_lines"], state.crosswalk))


def match_partitions(engine: Engine, plan: MatchPlan, partitions, *,
                     fence: Callable[[Session], None] | None = None) -> PartitionOutcome:
    """Match ``partitions`` of ``plan``'s owner and replace their links, match exceptions and fingerprints,
    in one transaction (``fence`` called before it commits); disjoint sets may run at the same time."""
    wanted = set(partitions)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        state, members = _owner_members(session, plan.owner_id)
        current = {p: fp for p, fp in fingerprints(members).items() if p in wanted}
        present = set(current)
        fresh = match_prepared(restrict(state, members, present), partitions=present)
        result = MatchResult(fresh.links[fresh.links["partition"].isin(present)].reset_index(drop=True),
                             fresh.exceptions[fresh.exceptions["partition"].isin(present)].reset_index(drop=True),
                             tuple(sorted(wanted)), current)
        previous = load_previous(session, plan.owner_id)
        previous = MatchResult(previous.links, previous.exceptions,
                               fingerprints={p: fp for p, fp in previous.fingerprints.items() if p in wanted})
        owner_of = OwnerOfKey(session)
        emitters.links_added(session, _store_links(session, result, previous, wanted, plan.owner_id), owner_of)
        store_match_exceptions(session, result.exceptions, wanted, now, owner_of)
        _store_partitions(session, result, previous, wanted)
        if fence is not None:
            fence(session)
    return PartitionOutcome(sorted(wanted))


def finalize_match(engine: Engine, plan: MatchPlan, *, policy_path: Path | None = None,
                   fence: Callable[[Session], None] | None = None, rematched: int = 0) -> MatchSummary:
    """The owner's title ledger and lot values from its stored links, in one transaction (``fence`` before
    it commits); run once after every ``match_partitions`` of ``plan``."""
    now = datetime.now(UTC)
    owner_id = plan.owner_id
    with session_scope(engine) as session:
        names = dict(session.execute(select(OwnerRow.owner_id, OwnerRow.name)).all())
        policy = load_policy_book(policy_path, names)
        inp = load_input(session, owner_id)
        stored = load_previous(session, owner_id)
        prepared = prepare_input(inp)
        added, retracted = _store_title_and_values(session, prepared, stored.links, policy, owner_id, now,
                                                   OwnerOfKey(session))
        if fence is not None:
            fence(session)
        return MatchSummary(partitions=len(stored.fingerprints), rematched=rematched,
                            links=len(stored.links), exceptions=len(stored.exceptions),
                            title_events_added=len(added), title_events_retracted=len(retracted))
