"""Match the database partition by partition, in proportion to what changed.

A run of one owner has three parts, usable on their own (a job queue fans the middle one out):

* ``plan_match``: the partitions that may have changed since the owner's last run (``changes``: indexed
  queries on what was stored since its watermark; every partition when ``full`` or on a changed SKU
  crosswalk or matcher settings). No frame is read.
* ``match_partitions``: for a set of partitions, load only their rows (``scope``), fingerprint them,
  re-match those whose fingerprint differs from the stored one, replace their links (by difference: a link
  whose values all stay keeps its row) and match exceptions
  (exceptions queue, ``aggregator.exceptions_queue.writes.store_match_exceptions``: they keep their row,
  status and resolution across runs) and their fingerprints. Shop partitions
  also record the product names their orders give each SKU (warehouse partitions compare document
  descriptions with them): a changed name set names the warehouse partitions that received the SKU,
  returned as ``also`` to be matched in the second phase. Re-matched warehouse partitions get their title
  events while loaded; other re-matched partitions are left title-pending. Disjoint sets of one phase may
  run at once.
* ``finalize_match``: title events and lot values of the partitions still title-pending (``title_store``:
  only subjects whose inputs changed are derived again; events appended by id, retracted when no longer
  derived), the lots in transit that changed, then the owner's watermark.

``run_match`` does all three in one transaction per owner, one group of partitions at a time (``GROUP_ROWS``:
memory is bounded by the larger of that and the largest partition, not the owner; a plan that fits in one
group is matched as one, both phases; a full run keeps the owner's outbound lines, read once, up to
``scope.ScopeLoader.WHOLE_OUTBOUND_ROWS``), deriving a warehouse partition's title events while its rows are
loaded. Manual links are rows of the partitions they count in (``manual_links`` records them and closes
the exception they resolve). Live events go out in the same transaction (``aggregator.events``).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from aggregator.events import emitters
from aggregator.exceptions_queue.writes import MATCH_COLUMNS, match_exception_columns, store_match_exceptions
from aggregator.matching_service.changes import NAMES_CHANGED, MatchPlan, document_keys, plan_changes
from aggregator.matching_service.loader import (driver_rows, load_crosswalk, load_endorsements, load_links,
                                                load_transit_lots)
from aggregator.matching_service.policy_file import load_policy_book
from platform_adapters.canonical.owner_names import LEGAL_NAME
from aggregator.matching_service.scope import ScopeLoader, partition_sizes
from aggregator.matching_service.title_store import TitleCounts, store_partition_title, store_transit_title
from aggregator.owners.key_form import OwnerOfKey
from aggregator.store.db import session_scope
from aggregator.store.gc_pause import gc_paused
from aggregator.store.page_cache import larger_page_cache
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.matching import (
    MatchLinkRow,
    MatchOwnerStateRow,
    MatchPartitionDocKeyRow,
    MatchPartitionRow,
    MatchPartitionSkuRow,
    MatchSkuNameRow,
    TitleEventRow,
)
from aggregator.store.models.tenancy import OwnerAliasRow, OwnerRow
from aggregator.store.prepared_insert import insert_rows, insert_tuples
from aggregator.tenancy import require_owner
from matching.engine import MatchResult, MatchSettings, Prepared, match_prepared
from matching.exceptions import EXCEPTION_COLUMNS
from matching.incremental import fingerprints, membership, restrict
from matching.state import PreparedState
from matching.linker import LINK_COLUMNS
from matching.sku_facts import sku_facts
from matching.title.derive import endorsement_chains, write_off_key
from matching.title.policy import PolicyBook

_CHUNK = 500


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


@dataclass
class PartitionOutcome:
    """What ``match_partitions`` did: the partitions re-matched (fingerprint changed or vanished), and the
    warehouse partitions a changed product name concerns (``also``: match them in the second phase)."""

    rematched: list[str] = field(default_factory=list)
    also: set[str] = field(default_factory=set)
    title: TitleCounts = field(default_factory=TitleCounts)

    def __iadd__(self, other: PartitionOutcome) -> PartitionOutcome:
        self.rematched += other.rematched
        self.also |= other.also
        self.title += other.title
        return self


def _chunks(items: list) -> Iterable[list]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _owner_filter(query, column, owner_id: str | None):
    return query if owner_id is None else query.where(column == owner_id)


def load_previous(session: Session, owner_id: str | None = None) -> MatchResult:
    """Every stored link, open match exception and fingerprint (of ``owner_id``): the read side's view."""
    links = pd.DataFrame(session.execute(_owner_filter(
        select(*[getattr(MatchLinkRow, c) for c in LINK_COLUMNS]), MatchLinkRow.owner_id, owner_id)).all(),
        columns=LINK_COLUMNS)
    exc = pd.DataFrame(session.execute(_owner_filter(
        select(*match_exception_columns()).where(ExceptionItem.queue == "match", ExceptionItem.status != "gone"),
        ExceptionItem.owner_id, owner_id)).all(), columns=list(MATCH_COLUMNS))[EXCEPTION_COLUMNS]
    parts = session.execute(_owner_filter(select(MatchPartitionRow.partition, MatchPartitionRow.fingerprint)
                                          .where(MatchPartitionRow.fingerprint != ""),
                                          MatchPartitionRow.owner_id, owner_id)).all()
    return MatchResult(links=links, exceptions=exc, fingerprints=dict(parts))


# -- the three parts -------------------------------------------------------------------------------

def _policy(session: Session, policy_path: str | None) -> PolicyBook:
    """The title policy; an owner's parties are its name, the file's ``parties`` and its legal-name aliases."""
    names = dict(session.execute(select(OwnerRow.owner_id, OwnerRow.name)).all())
    book = load_policy_book(Path(policy_path) if policy_path else None, names)
    for owner_id, value in session.execute(select(OwnerAliasRow.owner_id, OwnerAliasRow.value)
                                           .where(OwnerAliasRow.kind == LEGAL_NAME)):
        book.owner_parties.setdefault(owner_id, set()).add(value)
    return book


def plan_match(engine: Engine, owner_id: str, *, full: bool = False, policy_path: Path | None = None) -> MatchPlan:
    """The owner's partitions that may have changed since its last finished run (all with ``full``)."""
    with session_scope(engine) as session:
        return _plan(session, owner_id, full, policy_path)


def _plan(session: Session, owner_id: str, full: bool, policy_path: Path | None) -> MatchPlan:
    require_owner(session, owner_id)
    path = str(policy_path) if policy_path else None
    return plan_changes(session, owner_id, full=full, policy_sig=_policy(session, path).signature(),
                        policy_path=path)


def match_partitions(engine: Engine, plan: MatchPlan, partitions: Iterable[str], *,
                     fence: Callable[[Session], None] | None = None) -> PartitionOutcome:
    """Match ``partitions`` of ``plan``'s owner in one transaction (see the module docstring). The title
    events of the warehouse partitions re-matched here are derived while their rows are loaded and they are
    no longer title-pending (a shop partition stored after them marks them pending again, when the buyer
    countries of their allocations change); the rest is left to ``finalize_match``. ``fence`` is called
    just before the commit (a job lease's check)."""
    with session_scope(engine) as session:
        context = _Context(session, plan)
        outcome = _match_group(context, set(partitions), derive_title=True)
        for chunk in _chunks(sorted(context.titled)):
            session.execute(update(MatchPartitionRow).where(MatchPartitionRow.partition.in_(chunk))
                            .values(title_pending=False))
        if fence is not None:
            fence(session)
        return outcome


def finalize_match(engine: Engine, plan: MatchPlan, *, fence: Callable[[Session], None] | None = None,
                   rematched: int = 0) -> MatchSummary:
    """Title events of the title-pending partitions and changed lots in transit; the owner's watermark."""
    with session_scope(engine) as session:
        counts = _finalize(_Context(session, plan))
        if fence is not None:
            fence(session)
        return _summary(session, plan, rematched, counts)


def run_match(engine: Engine, *, full: bool = False, owner_id: str | None = None,
              policy_path: Path | None = None, fence: Callable[[Session], None] | None = None) -> MatchSummary:
    """Match (incrementally unless ``full``) and store, owner by owner (``owner_id``: just that one);
    ``policy_path`` is the title policy TOML, if any.

    ``fence``: called inside the transaction just before it commits (a job lease's ``check``): it raises
    when this worker's lease was taken over meanwhile, and then nothing of this run is stored."""
    with session_scope(engine) as session:
        if owner_id is not None:
            require_owner(session, owner_id)
            owners = [owner_id]
        else:
            owners = list(session.scalars(select(OwnerRow.owner_id).order_by(OwnerRow.owner_id)))
    summaries = []
    for owner in owners:
        with session_scope(engine) as session:
            plan = _plan(session, owner, full, policy_path)
            context = _Context(session, plan, whole_outbound=plan.full)
            first, second = plan.phases
            sizes = _sizes(session, owner, [*first, *second])
            limit = _group_limit(sizes)
            outcome = PartitionOutcome()
            matched: set[str] = set()
            # the whole plan in one group when it fits: its shop partitions record their product names before
            # its warehouse partitions read them (``_match_loaded_group``), so the phases need not be apart
            whole = set(first) | set(second)
            together = bool(whole) and sum(sizes.values()) <= limit  # an owner with nothing to match loads nothing
            for group in ([whole] if together else _groups(session, owner, first, limit, sizes)):
                outcome += _match_group(context, group, derive_title=True)
                matched |= group
            # a warehouse partition matched above already read the names its group's shop partitions recorded
            for group in _groups(session, owner, sorted((set(second) | outcome.also) - matched), limit, sizes):
                outcome += _match_group(context, group, derive_title=True)
            counts = outcome.title
            counts += _finalize(context)
            if fence is not None:
                fence(session)
            summaries.append(_summary(session, plan, len(outcome.rematched), counts))
    return MatchSummary(*(sum(getattr(s, f) for s in summaries) for f in MatchSummary.__dataclass_fields__))


# -- groups of partitions --------------------------------------------------------------------------

#: partitions are matched together until their size adds up to this many rows, or to the size of the plan's
#: largest partition when that is larger (memory is bounded by that partition anyway): their links at the last
#: run, or their lines (``scope.partition_sizes``) when they have no links stored yet (a first run). Each group
#: pays the engine's fixed cost once; a plan that fits in one group is matched as one (both phases)
GROUP_ROWS = 50_000


def _sizes(session: Session, owner_id: str, partitions: Iterable[str], known: dict[str, int] | None = None
           ) -> dict[str, int]:
    """The size of each of ``partitions`` (``GROUP_ROWS``); ``known``: sizes already read."""
    ordered = sorted(set(partitions) - set(known or ()))
    sizes = dict(session.execute(select(MatchPartitionRow.partition, MatchPartitionRow.links).where(
        MatchPartitionRow.partition.in_(ordered))).all()) if ordered else {}
    unknown = [p for p in ordered if p not in sizes]
    if unknown and len(ordered) > 1:
        sizes.update(partition_sizes(session, owner_id, unknown))
    return {**(known or {}), **sizes}


def _group_limit(sizes: dict[str, int]) -> int:
    """``GROUP_ROWS``, or the largest of ``sizes`` when larger."""
    return max([GROUP_ROWS, *sizes.values()])


def _groups(session: Session, owner_id: str, partitions: Iterable[str], limit: int,
            known: dict[str, int]) -> list[set[str]]:
    ordered = sorted(partitions)
    sizes = _sizes(session, owner_id, ordered, known)
    groups: list[set[str]] = [set()]
    total = 0
    for partition in ordered:
        size = sizes.get(partition, 0)
        if total + size > limit and groups[-1]:
            groups.append(set())
            total = 0
        groups[-1].add(partition)
        total += size
    return [g for g in groups if g]


class _Context:
    """What the partitions of one plan share within a transaction."""

    def __init__(self, session: Session, plan: MatchPlan, *, whole_outbound: bool = False) -> None:
        self.session, self.plan = session, plan
        self.whole_outbound = whole_outbound  # every partition is matched here: read the outbound lines once
        self.now = datetime.now(UTC)
        self.owner_of = OwnerOfKey(session)
        self.settings = MatchSettings()
        self._book: PolicyBook | None = None
        self._chains: dict | None = None
        self._crosswalk = None
        self._scopes: ScopeLoader | None = None
        self.titled: set[str] = set()  # partitions whose title events this transaction brought in line

    @property
    def crosswalk(self):
        if self._crosswalk is None:
            self._crosswalk = load_crosswalk(self.session, self.plan.owner_id)
        return self._crosswalk

    @property
    def book(self) -> PolicyBook:
        if self._book is None:
            self._book = _policy(self.session, self.plan.policy_path)
        return self._book

    @property
    def chains(self) -> dict:
        if self._chains is None:
            self._chains = endorsement_chains(load_endorsements(self.session, self.plan.owner_id))
        return self._chains

    def load(self, partitions: set[str]) -> tuple[PreparedState, dict]:
        """The prepared rows of ``partitions`` (a superset: other partitions' rows may ride along) and their
        membership (``members``)."""
        state = self.load_rows(partitions)
        return state, self.members(state, partitions)

    def load_rows(self, partitions: set[str]) -> PreparedState:
        session, owner = self.session, self.plan.owner_id
        if self._scopes is None:
            self._scopes = ScopeLoader(session, owner, self.crosswalk, whole_outbound=self.whole_outbound)
        return self._scopes.state(partitions)

    def members(self, state: PreparedState, partitions: set[str]) -> dict:
        """The membership of the loaded rows, with the SKU facts of the whole owner (product names as the
        shop partitions recorded them: read them after recording those of ``partitions``)."""
        session = self.session
        names = pd.DataFrame(columns=["owner_id", "sku_c", "product_name"])
        if any(x.startswith("wh|") for x in partitions):
            names = pd.DataFrame(session.execute(select(
                MatchSkuNameRow.owner_id, MatchSkuNameRow.sku_c, MatchSkuNameRow.product_name).where(
                MatchSkuNameRow.owner_id == self.plan.owner_key)).all(), columns=["owner_id", "sku_c", "product_name"])
        facts = sku_facts(names.astype("string"), state.frames["receipt_lines"], self.crosswalk)
        return membership(state, facts)


def _match_group(context: _Context, partitions: set[str], *, derive_title: bool) -> PartitionOutcome:
    """Load the rows of ``partitions`` once, re-match those whose fingerprint changed (all on a full run).
    The cyclic garbage collector waits meanwhile (``gc_paused``): a group allocates millions of short-lived
    objects (fetched rows, keys, link rows, title events), none in cycles, and the collector would walk
    them again and again. SQLite's page cache is enlarged meanwhile (``larger_page_cache``: millions of link and
    ledger rows inserted into their indexes)."""
    with gc_paused(), larger_page_cache(context.session):
        return _match_loaded_group(context, partitions, derive_title=derive_title)


def _match_loaded_group(context: _Context, partitions: set[str], *, derive_title: bool) -> PartitionOutcome:
    session, plan = context.session, context.plan
    state = context.load_rows(partitions)
    outcome = PartitionOutcome()
    for partition in sorted(x for x in partitions if x.startswith("shop|")):
        outcome.also |= _record_names(session, plan.owner_key, partition, state.frames["order_lines"])
    members = context.members(state, partitions)  # after the names: a warehouse partition here reads them
    current = fingerprints(members, context.settings)
    stored = dict(session.execute(select(MatchPartitionRow.partition, MatchPartitionRow.fingerprint).where(
        MatchPartitionRow.partition.in_(sorted(partitions)))).all())
    changed = {x for x in partitions if x in current and (plan.full or current[x] != stored.get(x))}
    vanished = {x for x in partitions if x not in current and stored.get(x)}
    redo = changed | vanished
    _record_document_keys(session, plan.owner_key, {x for x in partitions if x.startswith("wh|")}, set(current),
                          state, members)
    if not redo:
        return outcome
    outcome.rematched = sorted(redo)
    p = restrict(state, members, changed)
    if changed:
        fresh = match_prepared(p, context.settings, partitions=changed)
        links, exceptions = fresh.links, fresh.exceptions
    else:
        links, exceptions = pd.DataFrame(columns=LINK_COLUMNS), pd.DataFrame(columns=EXCEPTION_COLUMNS)
    links = links[links["partition"].isin(changed)]
    exceptions = exceptions[exceptions["partition"].isin(changed)]
    pending = _store_links(session, context.owner_of, redo, links, p)
    store_match_exceptions(session, exceptions, redo, context.now, context.owner_of)
    link_counts, exception_counts = links.groupby("partition").size(), exceptions.groupby("partition").size()
    _store_partitions(session, plan.owner_key, {x: current.get(x) for x in redo}, link_counts, exception_counts,
                      pending)
    for partition in sorted(x for x in redo if x.startswith("wh|")):
        receipts = state.frames["receipt_lines"]
        mine = receipts[receipts["partition"] == partition]
        _replace(session, MatchPartitionSkuRow, partition, [
            {"owner_id": plan.owner_key, "partition": partition, "sku_c": s}
            for s in sorted(mine["sku_c"].dropna().unique())])
        if derive_title:
            # the group's engine input when it is just this partition's (``match_prepared`` leaves it unchanged)
            own = p if changed == {partition} else restrict(state, members, {partition})
            outcome.title += store_partition_title(
                session, context.owner_of, partition, own,
                links[links["partition"] == partition], context.book, context.chains, plan.policy_sig, context.now,
                every=plan.title_all)
            context.titled.add(partition)
    return outcome


def _record_names(session: Session, owner_key: str, partition: str, order_lines: pd.DataFrame) -> set[str]:
    """Replace the product names the shop partition's orders give their SKUs; the warehouse partitions
    that received a SKU whose names changed, marked ``NAMES_CHANGED`` until they are matched (a fanned-out
    run that fails before its second phase leaves them for the next run's plan)."""
    orders = order_lines[order_lines["partition"] == partition]
    named = orders[["sku_c", "product_name"]].dropna()
    named = named[named["product_name"].str.strip() != ""]
    current = set(zip(named["sku_c"].tolist(), named["product_name"].tolist()))
    stored = set(session.execute(select(MatchSkuNameRow.sku_c, MatchSkuNameRow.product_name).where(
        MatchSkuNameRow.partition == partition)).all())
    if current == stored:
        return set()
    _replace(session, MatchSkuNameRow, partition, [
        {"owner_id": owner_key, "partition": partition, "sku_c": s, "product_name": n} for s, n in sorted(current)])
    skus = sorted({s for s, _ in current ^ stored})
    out: set[str] = set()
    for chunk in _chunks(skus):
        out |= set(session.scalars(select(MatchPartitionSkuRow.partition).where(
            MatchPartitionSkuRow.owner_id == owner_key, MatchPartitionSkuRow.sku_c.in_(chunk)).distinct()))
    for chunk in _chunks(sorted(out)):
        session.execute(update(MatchPartitionRow).where(MatchPartitionRow.partition.in_(chunk),
                                                        MatchPartitionRow.fingerprint != "")
                        .values(fingerprint=NAMES_CHANGED))
    return out


def _record_document_keys(session: Session, owner_key: str, partitions: set[str], present: set[str],
                          state: PreparedState, members: dict) -> None:
    """Replace what ties the warehouse ``partitions`` to documents and customs entries (``document_keys``;
    a vanished one keeps none)."""
    keys_of = document_keys(state, members)
    for partition in sorted(partitions):
        session.execute(delete(MatchPartitionDocKeyRow).where(MatchPartitionDocKeyRow.partition == partition))
        if partition in present:
            insert_rows(session, MatchPartitionDocKeyRow.__table__, [
                {"owner_id": owner_key, "partition": partition, "key": k}
                for k in sorted(keys_of.get(partition, set()) | {""})])


def _replace(session: Session, model, partition: str, rows: list[dict]) -> None:
    session.execute(delete(model).where(model.partition == partition))
    insert_rows(session, model.__table__, rows)


def _store_links(session: Session, owner_of: OwnerOfKey, partitions: set[str], links: pd.DataFrame,
                 p: Prepared) -> set[str]:
    """Bring the partitions' stored links in line with ``links`` (order links carry the buyer country) by
    difference: a stored link whose values all stay keeps its row, the others are deleted by id and the new
    or changed ones inserted (typed tuples, one prepared insert). A re-matched partition mostly gives the links
    it had, and rewriting all of them (every row and its four index entries, then the pages at commit) was most
    of an incremental run's writing. Tell each partition's changes (``emitters.partition_changes``). Returns the
    warehouse partitions whose outbound lines' order links (or their countries) changed, or whose outbound
    lines serve an order line with returned units or hold a write-off (their write-offs are read with the
    allocations' title)."""
    m = MatchLinkRow
    columns = [*LINK_COLUMNS, "country"]
    step_at, left_at, right_at, partition_at, country_at = (columns.index(c) for c in (
        "step", "left_key", "right_key", "partition", "country"))
    order_link = (links["step"] == "order_shipment").fillna(False).to_numpy(dtype=bool)
    countries = p.orders.drop_duplicates("key").set_index("key")["country"]
    country = links["left_key"].map(countries).astype(object).where(order_link, None)
    rows = list(zip(*[_python_values(links[c]) for c in LINK_COLUMNS], _python_values(country)))
    of_partition: dict[str, list[tuple]] = {}
    for row in rows:
        of_partition.setdefault(row[partition_at], []).append(row)
    gone: dict[tuple, int] = {}  # the stored links that go: values (``columns``) -> row id
    new: list[tuple] = []
    for partition in sorted(partitions):  # one partition's stored links held at a time
        stored = {row[1:]: row[0] for row in driver_rows(session, select(m.id, *(getattr(m, c) for c in columns))
                                                         .where(m.partition == partition))}
        mine = of_partition.get(partition, [])
        current = set(mine) if stored else set()
        gone.update((values, i) for values, i in stored.items() if values not in current)
        new += [r for r in mine if r not in stored] if stored else mine
    new += [r for partition, mine in of_partition.items() if partition not in partitions for r in mine]
    del of_partition
    for chunk in _chunks(sorted(gone.values())):
        session.execute(delete(m).where(m.id.in_(chunk)))  # (before the inserts: a changed link keeps its key)
    insert_tuples(session, m.__table__, columns, new)
    key = itemgetter(step_at, left_at, right_at)
    _tell_link_changes(session, owner_of, partitions, links, gone, new, key, partition_at)
    # the order links whose outbound line or buyer country changed: those of the rows deleted or inserted (a link
    # kept has its key and country on both sides, and neither side holds another row of its key)
    triple = itemgetter(left_at, right_at, country_at)
    changed = ({triple(r) for r in gone if r[step_at] == "order_shipment"}
               ^ {triple(r) for r in new if r[step_at] == "order_shipment"})
    # an order line with returned units may have had some written off (or no longer): its allocations' title
    returned = set(p.orders.loc[p.orders["returned_qty"] > 0, "key"]) if "returned_qty" in p.orders else set()
    ordered = links.loc[order_link, ["left_key", "right_key"]]
    rights = set(ordered["right_key"]) | {r[right_at] for r in gone if r[step_at] == "order_shipment"}
    partition_of = {right: _wh_partition(right) for right in rights}
    pending = {partition_of[right] for _, right, _ in changed} | {
        partition_of[right] for right in ordered.loc[ordered["left_key"].isin(returned), "right_key"]}
    # one whose units no longer count as returned at all (the return rejected or withdrawn after it was
    # received, its lines replaced) keeps a write-off that only a new derivation retracts
    return pending | _written_off_partitions(
        session, {right for right, partition in partition_of.items() if partition not in pending})


def _python_values(column: pd.Series) -> list:
    """A frame's column as Python values for the driver (missing values None)."""
    return column.astype(object).where(column.notna(), None).tolist()


def _tell_link_changes(session: Session, owner_of: OwnerOfKey, partitions: set[str], links: pd.DataFrame,
                       gone: Iterable[tuple], new: list[tuple], key: Callable[[tuple], tuple], partition_at: int
                       ) -> None:
    """One ``links.changed`` event per partition whose links changed: (added, removed, changed, stored now).
    ``gone``: the stored rows deleted, ``new``: the rows inserted. A link whose key (step, left, right) is on
    both sides in the same partition changed (its quantity, method, confidence or buyer country: the rows
    differ, or neither side would hold it); on both sides in two partitions it left one and came to the
    other (removed there, added here); every other link stayed."""
    before = {key(r): r[partition_at] for r in gone}
    after = {key(r): r[partition_at] for r in new} if before else {}  # (a first run deletes nothing)
    added = Counter(r[partition_at] for r in new if before.get(key(r)) != r[partition_at])
    removed = Counter(r[partition_at] for r in gone if after.get(key(r)) != r[partition_at])
    changed = Counter(part for k, part in after.items() if before.get(k) == part)
    total = links["partition"].value_counts().to_dict()
    for partition in sorted(partitions):
        emitters.partition_changes(session, owner_of(partition.split("|")[1]), partition, links=(
            added[partition], removed[partition], changed[partition], int(total.get(partition, 0))))


def _wh_partition(shipment_key: str) -> str:
    return "wh|" + "|".join(shipment_key.split("|", 2)[:2])


def _written_off_partitions(session: Session, shipment_keys: set[str]) -> set[str]:
    """The warehouse partitions of those of ``shipment_keys`` (outbound lines) whose allocations hold a write-off
    not retracted: two indexed reads per chunk (the outbound lines' lot links, then the write-offs' subject keys)."""
    m, t = MatchLinkRow, TitleEventRow
    out: set[str] = set()
    for chunk in _chunks(sorted(shipment_keys)):
        allocations = session.execute(select(m.left_key, m.right_key).where(
            m.step == "shipment_lot", m.left_key.in_(chunk))).all()
        subjects = sorted({write_off_key(f"{left}>{right}") for left, right in allocations})
        for part in _chunks(subjects):
            out |= {_wh_partition(key) for key in session.scalars(select(t.subject_key).where(
                t.subject_key.in_(part), t.retracted_at.is_(None)).distinct())}
    return out


def _store_partitions(session: Session, owner_key: str, fingerprints_: dict[str, str | None], links: pd.Series,
                      exceptions: pd.Series, title_pending: set[str]) -> None:
    """The re-matched partitions' fingerprints (empty: vanished) and counts, all title-pending, and
    ``title_pending`` (other warehouse partitions whose allocations' buyer countries changed) too."""
    m = MatchPartitionRow
    for chunk in _chunks(sorted(fingerprints_)):
        session.execute(delete(m).where(m.partition.in_(chunk)))
    insert_rows(session, m.__table__, [
        {"owner_id": owner_key, "partition": x, "fingerprint": fp or "", "links": int(links.get(x, 0)),
         "exceptions": int(exceptions.get(x, 0)), "title_pending": True} for x, fp in sorted(fingerprints_.items())])
    for chunk in _chunks(sorted(title_pending - set(fingerprints_))):
        session.execute(update(m).where(m.partition.in_(chunk)).values(title_pending=True))


# -- finishing -------------------------------------------------------------------------------------

def _finalize(context: _Context) -> TitleCounts:
    session, plan = context.session, context.plan
    m = MatchPartitionRow
    pending = select(m.partition).where(m.owner_id == plan.owner_key)
    if not plan.title_all:
        pending = pending.where(m.title_pending.is_(True))
    counts = TitleCounts()
    for partition in sorted(session.scalars(pending)):
        if partition.startswith("wh|") and partition not in context.titled:
            with gc_paused(), larger_page_cache(session):  # as in ``_match_group``
                state, members = context.load({partition})
                counts += store_partition_title(session, context.owner_of, partition,
                                                restrict(state, members, {partition}), load_links(session, partition),
                                                context.book, context.chains, plan.policy_sig, context.now,
                                                every=plan.title_all)
    session.execute(update(m).where(m.owner_id == plan.owner_key, m.title_pending.is_(True))
                    .values(title_pending=False))
    session.execute(delete(m).where(m.owner_id == plan.owner_key, m.fingerprint == ""))
    lots = None if plan.transit_lots is None else list(plan.transit_lots)
    if lots is None or lots:
        transit = load_transit_lots(session, plan.owner_id, lots)
        counts += store_transit_title(session, context.owner_of, plan.owner_id, plan.owner_key, transit,
                                      plan.transit_lots, context.now)
    _save_state(session, plan)
    return counts


def _save_state(session: Session, plan: MatchPlan) -> None:
    s = MatchOwnerStateRow
    session.execute(delete(s).where(s.owner_id == plan.owner_id))
    insert_rows(session, s.__table__, [{"owner_id": plan.owner_id, "watermark_at": plan.next_watermark,
                                        "manual_max_id": plan.manual_max_id, "crosswalk_sig": plan.crosswalk_sig,
                                        "settings_sig": plan.settings_sig, "policy_sig": plan.policy_sig}])


def _summary(session: Session, plan: MatchPlan, rematched: int, counts: TitleCounts) -> MatchSummary:
    m = MatchPartitionRow
    parts, links, exceptions = session.execute(select(
        func.count(), func.coalesce(func.sum(m.links), 0), func.coalesce(func.sum(m.exceptions), 0)).where(
        m.owner_id == plan.owner_key)).one()
    return MatchSummary(partitions=int(parts), rematched=rematched, links=int(links), exceptions=int(exceptions),
                        title_events_added=counts.added, title_events_retracted=counts.retracted)
