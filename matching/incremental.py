"""Incremental matching: fingerprint each partition's inputs and re-match only the partitions that changed.

Partitions:

* ``wh|<owner>|<warehouse>`` — shipment lines, receipt lines and lots of one owner in one warehouse,
  plus the transport document and customs lines its receipts refer to (FIFO never leaves it);
* ``shop|<owner>|<platform>|<shop>`` — the order lines of one shop and the shipment lines naming
  that shop (``shop|<owner>||`` holds shipment lines naming no shop; it sees all the owner's orders);
* ``doc|<owner>`` — the owner's document and customs lines (only their duplicate checks live here).

A warehouse partition also holds the documents, house bills and customs entries its receipts name
(or share a container or a document reference with), and the facts of the SKUs it received
(``matching.sku_facts``: product names from orders, crosswalk HS hints), since line-level document
links depend on them.

A partition's fingerprint is the sum (mod 2^64) of the 64-bit content hashes of its rows (``row_hash``,
computed once when a row is prepared) plus the row count: it ignores row order and changes when any
row, the crosswalk result (canonical SKUs are part of the rows) or the settings change. A run keeps
the previous links and exceptions of unchanged partitions and replaces those of changed or vanished
ones with a run over just the changed partitions' rows, so the result equals a full run (tested).

Entry points, each returning a ``MatchResult`` whose ``state`` is the next run's starting point:

* ``match_full(inp)`` prepares every row and matches everything;
* ``match_changes(previous, changes, removed)`` prepares only ``changes`` (new or changed raw rows) and
  takes the rest from ``previous.state``: the cost follows the changes and the partitions they touch;
* ``rematch(state, previous)`` starts from a state built elsewhere (prepared rows stored with the
  records, ``matching.state.PreparedState``);
* ``match_incremental(inp, previous)`` prepares the whole input again (``previous`` needs only its
  links, exceptions and fingerprints).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from matching.engine import (FRAME_KINDS, MatchInput, MatchResult, MatchSettings, Prepared,
                             assemble, canonical_frames, canonical_rows, fact_rows, give_back, match_prepared,
                             rung_of_step)
from matching.crosswalk import SkuCrosswalk
from matching.frames import change_points, compact, concat_coded, member, plain, prepare
from matching.sku_facts import SKU_FACT_COLUMNS, sku_facts
from matching.state import PreparedState, apply_changes, prepare_state

_HASH_MASK = (1 << 64) - 1
_MIX = np.uint64(0x9E3779B97F4A7C15)

# a frame kind's rows and the partitions each belongs to: [(partition of each member, row positions), ...]
Members = dict[str, tuple[pd.DataFrame, list[tuple[pd.Series, np.ndarray]]]]


def _doc_refs(receipts: pd.DataFrame) -> pd.DataFrame:
    """(partition, owner_id, ref) for every document number and container a receipt line names."""
    parts = [receipts[["partition", "owner_id", col]].rename(columns={col: "ref"})
             for col in ("hbl_no", "awb_no", "mbl_no", "container_no", "customs_declaration_no")]
    refs = pd.concat(parts, ignore_index=True).dropna(subset=["ref"])
    return refs.drop_duplicates()


def _owned(frame: pd.DataFrame, refs: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """(partition, row position) of the rows of ``frame`` a partition's receipts refer to."""
    if frame.empty or refs.empty:
        return pd.DataFrame({"partition": pd.Series(dtype="string"), "row": pd.Series(dtype="int64")})
    base = frame.reset_index(drop=True).assign(row=lambda f: np.arange(len(f)))
    hits = [base[["owner_id", col, "row"]].dropna(subset=[col]).rename(columns={col: "ref"})
            .merge(refs, on=["owner_id", "ref"])[["partition", "row"]] for col in columns]
    return pd.concat(hits, ignore_index=True).drop_duplicates()


def _whole(frame: pd.DataFrame, partitions: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if isinstance(partitions.dtype, pd.CategoricalDtype):  # a compact column: its codes, not a decoded copy
        return partitions.reset_index(drop=True), np.arange(len(frame))
    return partitions.astype("string").reset_index(drop=True), np.arange(len(frame))


def _some(partitions: pd.Series, rows) -> tuple[pd.Series, np.ndarray]:
    return partitions.astype("string").reset_index(drop=True), np.asarray(rows, dtype=np.int64)


def _owner_wide(orders: pd.DataFrame, shipments: pd.DataFrame) -> list[tuple[pd.Series, np.ndarray]]:
    """Shipment lines naming no shop look among all their owner's orders: those orders also belong to the
    owner's ``shop|<owner>||`` partition."""
    wide = shipments.loc[shipments["platform"].isna() | shipments["shop_id"].isna(), "shop_partition"]
    out = []
    for part in sorted(set(wide.dropna())):
        rows = np.flatnonzero(member(orders["owner_id"], [part.split("|")[1]]).to_numpy())
        out.append((pd.Series(part, index=range(len(rows)), dtype="string"), rows))
    return out


def _manual_partitions(manual: pd.DataFrame, orders: pd.DataFrame) -> pd.Series:
    if manual.empty:
        return pd.Series([], dtype="string")
    named = plain(orders[member(orders["key"], manual["left_key"])], ["key", "partition"]).drop_duplicates("key")
    part = manual["left_key"].map(named.set_index("key")["partition"]).astype("string")
    warehouse_side = manual["right_key"].where(~manual["step"].str.startswith("receipt_").fillna(False),
                                               manual["left_key"])
    return part.where(manual["step"] == "order_shipment",
                      "wh|" + warehouse_side.str.split("|").str[:2].str.join("|"))


def _document_members(receipts: pd.DataFrame, documents: pd.DataFrame, customs: pd.DataFrame
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(partition, row) of the document lines and of the customs lines each warehouse partition's receipts
    refer to, and the partitions' distinct (owner, SKU) received: the documents a number, master or container
    they name finds, the house bills under those, and the entries naming a declaration, container or number
    they name or a document so found, each whole (``tests/matching/test_customs_reach.py``)."""
    refs = _doc_refs(receipts)
    docs = _whole_records(documents, _owned(documents, refs, ("doc_number", "master_doc_number", "container_no")),
                          "doc_key")
    # an entry naming a document a partition holds is reached through it (``documents._entry_level``: the
    # document linked, a house bill under the master the ASN names, one sharing its container)
    if not docs.empty:
        held = documents.iloc[docs["row"].to_numpy()]
        numbers = pd.DataFrame({"partition": docs["partition"].to_numpy(), "owner_id": held["owner_id"].to_numpy(),
                                "ref": held["doc_number"].to_numpy()}).dropna(subset=["ref"]).drop_duplicates()
        # the house bills under a document it holds are candidates of its line-level links
        # (``documents._document_lines``: a master found by container alone brings its houses' lines)
        houses = _whole_records(documents, _owned(documents, numbers, ("master_doc_number",)), "doc_key")
        docs = pd.concat([docs, houses], ignore_index=True).drop_duplicates().reset_index(drop=True)
        refs = pd.concat([refs, numbers], ignore_index=True).drop_duplicates()
    return (docs,
            _whole_records(customs, _owned(customs, refs, ("declaration_no", "container_no", "mbl_no", "hbl_no",
                                                           "awb_no")), "entry_key"),
            receipts[["owner_id", "sku_c", "partition"]].drop_duplicates())


def _whole_records(frame: pd.DataFrame, owned: pd.DataFrame, record: str) -> pd.DataFrame:
    """``owned`` (partition, row) with every other line of the records (``record``: the frame's record key
    column) those rows belong to: the rungs read a linked document's or entry's lines whole (a line
    without the container that linked it included)."""
    if owned.empty:
        return owned
    keys = frame[record].reset_index(drop=True)
    wanted = pd.DataFrame({"partition": owned["partition"].to_numpy(),
                           record: keys.iloc[owned["row"].to_numpy()].to_numpy()}).drop_duplicates()
    lines = pd.DataFrame({record: keys.to_numpy(), "row": np.arange(len(keys))})
    return wanted.merge(lines, on=record)[["partition", "row"]].drop_duplicates().reset_index(drop=True)


def remembered(state: PreparedState, name: str, frames: tuple[pd.DataFrame, ...], compute):
    """``compute(*frames)``, or what it gave for the very same frame objects before: the state keeps it
    (``PreparedState.memo``) and ``apply_changes`` hands it on, and a kind without changes keeps its frame
    object (a state's frames are never changed in place), so a run whose changes leave ``frames`` alone
    does not compute it again."""
    held = state.memo.get(name)
    if held is not None and len(held[0]) == len(frames) and all(a is b for a, b in zip(held[0], frames)):
        return held[1]
    value = compute(*frames)
    state.memo[name] = (frames, value)
    return value


def membership(state: PreparedState, facts: pd.DataFrame) -> Members:
    """Which partitions each prepared row (every copy) belongs to; ``facts`` are the SKU facts of the whole
    state (``matching.sku_facts``)."""
    f = state.frames
    orders, ships, receipts = f["order_lines"], f["shipment_lines"], f["receipt_lines"]
    docs, customs, received = remembered(state, "document_members", (receipts, f["document_lines"], f["customs_lines"]),
                                         _document_members)
    # what is known about a SKU (product names from orders, crosswalk HS hints) counts in every warehouse
    # partition that received it
    skus = facts.reset_index(drop=True).assign(row=lambda x: np.arange(len(x))).merge(
        received, on=["owner_id", "sku_c"])
    return {
        "order_lines": (orders, [_whole(orders, orders["partition"]), *_owner_wide(orders, ships)]),
        "shipment_lines": (ships, [_whole(ships, ships["partition"]), _whole(ships, ships["shop_partition"])]),
        "receipt_lines": (receipts, [_whole(receipts, receipts["partition"])]),
        "lots": (f["lots"], [_whole(f["lots"], f["lots"]["partition"])]),
        "document_lines": (f["document_lines"], [
            _some(docs["partition"], docs["row"]),
            _whole(f["document_lines"], "doc|" + f["document_lines"]["owner_id"].fillna(""))]),
        "customs_lines": (f["customs_lines"], [
            _some(customs["partition"], customs["row"]),
            _whole(f["customs_lines"], "doc|" + f["customs_lines"]["owner_id"].fillna(""))]),
        "manual_links": (f["manual_links"], [_whole(f["manual_links"], _manual_partitions(f["manual_links"], orders))]),
        "skus": (facts, [_some(skus["partition"], skus["row"])]),
    }


def _hashes(name: str, frame: pd.DataFrame) -> np.ndarray:
    if name == "skus":
        return pd.util.hash_pandas_object(frame[SKU_FACT_COLUMNS], index=False).to_numpy(np.uint64)
    return frame["row_hash"].to_numpy(np.uint64)


# a (frame kind, member list) -> partition -> [sum of the member rows' mixed hashes mod 2^64, member count]
Sums = dict[tuple[str, int], dict[str, list[int]]]


def partial_sums(members: Members, settings: MatchSettings | None = None) -> Sums:
    """Each member list's per-partition sums and counts of its rows' hashes (mixed with the frame kind and
    the settings): ``fingerprints`` and ``rung_fingerprints`` add them up."""
    salt = np.uint64(int.from_bytes(hashlib.sha256(repr(settings or MatchSettings()).encode()).digest()[:8],
                                    "little"))
    out: Sums = {}
    for name, (frame, parts_list) in members.items():
        if frame.empty:
            continue
        base = (_hashes(name, frame) ^ salt) * _MIX + np.uint64(len(name))
        for at, (partitions, positions) in enumerate(parts_list):
            if len(positions) == 0:
                continue
            codes, uniques = pd.factorize(partitions, use_na_sentinel=True)
            ok = codes >= 0
            sums = np.zeros(len(uniques), dtype=np.uint64)
            np.add.at(sums, codes[ok], base[positions[ok]])
            counts = np.bincount(codes[ok], minlength=len(uniques))
            totals = out.setdefault((name, at), {})
            for part, total, count in zip(uniques, sums, counts):
                if count == 0:
                    continue
                entry = totals.setdefault(str(part), [0, 0])
                entry[0] = (entry[0] + int(total)) & _HASH_MASK
                entry[1] += int(count)
    return out


def _added(sums: Sums, lists: Iterable[tuple[str, int]] | None = None) -> dict[str, str]:
    """Partition -> fingerprint (hex sum, member count) of the member lists ``lists`` (all when None)."""
    totals: dict[str, list[int]] = {}
    for which, parts in sums.items():
        if lists is not None and which not in lists:
            continue
        for part, (total, count) in parts.items():
            entry = totals.setdefault(part, [0, 0])
            entry[0] = (entry[0] + total) & _HASH_MASK
            entry[1] += count
    return {part: f"{s:016x}-{n}" for part, (s, n) in sorted(totals.items())}


def fingerprints(members: Members, settings: MatchSettings | None = None) -> dict[str, str]:
    """Partition -> fingerprint (hex sum of the member rows' hashes, mixed with the frame kind and the
    settings, and the member count)."""
    return _added(partial_sums(members, settings))


# the member lists (``membership``: frame kind, position in its list) each warehouse rung reads; a kind's
# list of shop or ``doc|`` partitions names no warehouse partition, so listing it would change nothing
RUNG_INPUTS = {
    "lots": (("shipment_lines", 0), ("receipt_lines", 0), ("lots", 0), ("manual_links", 0)),
    "documents": (("receipt_lines", 0), ("lots", 0), ("document_lines", 0), ("customs_lines", 0),
                  ("manual_links", 0), ("skus", 0)),
}
_NO_ROWS = f"{0:016x}-0"


def rung_fingerprints(sums: Sums, partitions: Iterable[str]) -> dict[str, dict[str, str]]:
    """Warehouse rung -> fingerprint of the rows it reads in each warehouse partition of ``partitions``
    (a rung with no rows there has the fingerprint of none)."""
    warehouses = [part for part in partitions if part.startswith("wh|")]
    out = {}
    for rung, lists in RUNG_INPUTS.items():
        found = _added(sums, lists)
        out[rung] = {part: found.get(part, _NO_ROWS) for part in warehouses}
    return out


_DEDUPLICATED = ("shipment_lines", "receipt_lines", "lots", "document_lines", "customs_lines")


#: the kinds only the warehouse partitions' documents rung reads
_DOCUMENT_KINDS = tuple(kind for kind, _ in RUNG_INPUTS["documents"] if kind not in dict(RUNG_INPUTS["lots"]))


def restrict(state: PreparedState, members: Members, partitions: set[str],
             documents_for: set[str] | None = None) -> Prepared:
    """The engine's input for ``partitions`` only: their rows (with every copy of a key any of them holds,
    so the copy a full run keeps is kept) and the SKU facts of the SKUs their receipts received.
    ``documents_for``: the warehouse partitions whose documents rung runs (``match_prepared(rungs=...)``);
    the documents, customs lines and SKU facts of the others are left out (None: all of ``partitions``)."""
    wanted = sorted(partitions)
    documents_wanted = wanted if documents_for is None else sorted(
        {part for part in partitions if not part.startswith("wh|")} | (set(documents_for) & set(partitions)))

    def rows(name: str) -> np.ndarray:
        frame, parts_list = members[name]
        keep = np.zeros(len(frame), dtype=bool)
        chosen = documents_wanted if name in _DOCUMENT_KINDS else wanted
        for parts, positions in parts_list:
            if len(positions):
                keep[positions[member(parts, chosen).to_numpy()]] = True
        if name in _DEDUPLICATED and keep.any():
            keep |= member(frame["key"], frame["key"][keep]).to_numpy()
        return keep

    # each kind's rows taken once, straight into the engine's order
    frames = {kind: canonical_rows(kind, state.frames[kind], np.flatnonzero(rows(kind))) for kind in state.frames}
    return assemble(frames, state.crosswalk, skus=members["skus"][0][rows("skus")], ordered=True)


def _facts(state: PreparedState) -> pd.DataFrame:
    return sku_facts(fact_rows(state.frames["order_lines"]), plain(state.frames["receipt_lines"]), state.crosswalk)


def _runs(frame: pd.DataFrame, columns: list[str]) -> list[tuple[tuple, int, int]]:
    """(values of ``columns``, start, end) of each run of rows with equal values."""
    starts = np.flatnonzero(change_points(frame, columns))
    ends = np.append(starts[1:], len(frame))
    values = zip(*(frame[c].take(starts).tolist() for c in columns))
    return list(zip(values, starts.tolist(), ends.tolist()))


def _merged(previous: pd.DataFrame, fresh: pd.DataFrame, columns: list[str], from_previous, from_fresh
            ) -> pd.DataFrame:
    """``previous``'s rows whose values of ``columns`` pass ``from_previous`` and ``fresh``'s that pass
    ``from_fresh`` (each given a dict column -> value; the two never both pass), ordered by ``columns``
    (which include ``partition``) and in their own order inside each block of equal values. Each block comes
    whole from one run, already in the engine's order, so this is the order a full run gives; the rows are
    cut and joined as slices (no row-by-row copy of the kept links; links held as codes stay coded)."""
    pieces = [(tuple((pd.isna(v), "" if pd.isna(v) else v) for v in values), source, start, end)
              for source, frame, keep in ((0, previous, from_previous), (1, fresh, from_fresh))
              for values, start, end in _runs(frame, columns) if keep(dict(zip(columns, values)))]
    pieces.sort(key=lambda piece: piece[0])  # stable: a block split in several runs keeps its order
    slices: list[list] = []
    for _, source, start, end in pieces:
        if slices and slices[-1][0] == source and slices[-1][2] == start:
            slices[-1][2] = end  # the next run of the same frame: one slice
        else:
            slices.append([source, start, end])
    frames = (previous, fresh)
    if not slices:
        return previous.iloc[0:0].reset_index(drop=True)
    return concat_coded([frames[source].iloc[start:end] for source, start, end in slices])


def _sources(redo: set[str], changed: set[str], kept: dict[str, set[str]]):
    """(from previous, from fresh) tests of a block of links or exceptions (its partition and step): a
    partition not re-matched keeps the previous run's; a changed one takes the fresh run's, except the steps
    of a warehouse rung whose inputs did not change there (``kept``: rung -> partitions), which are kept."""
    def reused(values: dict) -> bool:
        part = values["partition"]
        if pd.isna(part) or part not in redo:
            return True
        rung = rung_of_step(values["step"])
        return rung is not None and part in kept.get(rung, ())

    def fresh(values: dict) -> bool:
        part = values["partition"]
        return not pd.isna(part) and part in changed and not reused(values)
    return reused, fresh


_COMPACT_KINDS = ("order_lines", "shipment_lines")


def _as_kept(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A freshly prepared frame as the state keeps it (``frames.compact`` for the large kinds; the row
    hashes are those of the plain rows, computed before)."""
    return compact(frame) if kind in _COMPACT_KINDS else frame


def match_full(inp: MatchInput, settings: MatchSettings | None = None, *, take_input: bool = False) -> MatchResult:
    """A full run that also records the fingerprints and the prepared state (the start of incremental runs).

    ``take_input``: the caller hands ``inp``'s frames over: each is taken out of ``inp`` (set to None; the
    crosswalk stays) as soon as its rows are prepared, so its memory is freed before the next kind is
    prepared and while the rows are matched, unless the caller keeps another reference to it. Without
    it ``inp`` is left as it was."""
    cross = inp.crosswalk or SkuCrosswalk()
    # one kind at a time, put in the engine's order at once: the state keeps these rows and shares them with
    # the run (no second copy), and each kind's temporaries are freed before the next is prepared; the
    # order and outbound lines (most of the rows) keep their repeated texts as codes
    frames = {}
    for kind in FRAME_KINDS:
        raw = getattr(inp, kind)
        if take_input:
            setattr(inp, kind, None)
        frames[kind] = canonical_frames({kind: _as_kept(kind, prepare(kind, raw, cross))}, consume=True)[kind]
        del raw
        give_back()
    state = PreparedState(frames, cross)
    del frames
    give_back()
    prepared = assemble(state.frames, state.crosswalk, ordered=True)
    result = match_prepared(prepared, settings)
    sums = partial_sums(membership(state, prepared.skus), settings)
    result.fingerprints = _added(sums)
    result.rung_fingerprints = rung_fingerprints(sums, result.fingerprints)
    result.rematched = tuple(result.fingerprints)
    result.prepared = prepared
    result.state = state
    return result


def rematch(state: PreparedState, previous: MatchResult, settings: MatchSettings | None = None) -> MatchResult:
    """Re-match only the partitions of ``state`` whose fingerprint differs from ``previous.fingerprints``;
    the links and exceptions of the others are ``previous``'s."""
    members = membership(state, _facts(state))
    sums = partial_sums(members, settings)
    current = _added(sums)
    rungs = rung_fingerprints(sums, current)
    changed = {part for part, fp in current.items() if previous.fingerprints.get(part) != fp}
    vanished = set(previous.fingerprints) - set(current)
    redo = changed | vanished
    if not redo:
        return MatchResult(previous.coded("links"), previous.exceptions, (), current, state=state,
                           rung_fingerprints=rungs)
    # a changed warehouse partition re-runs only the rungs whose inputs changed there; a result without
    # rung fingerprints (stored before them) re-runs every rung
    kept = {rung: {part for part in changed if part in found
                   and previous.rung_fingerprints.get(rung, {}).get(part) == found[part]}
            for rung, found in rungs.items()}
    run = {rung: {part for part in changed if part.startswith("wh|")} - kept[rung] for rung in rungs}
    fresh = match_prepared(restrict(state, members, changed, documents_for=run["documents"]), settings,
                           partitions=changed, rungs=run)
    from_previous, from_fresh = _sources(redo, changed, kept)
    links = _merged(previous.coded("links"), fresh.coded("links"), ["step", "partition"], from_previous,
                    from_fresh)
    exceptions = _merged(previous.exceptions, fresh.exceptions, ["partition", "step"], from_previous,
                         from_fresh)
    return MatchResult(links, exceptions, tuple(sorted(redo)), current, state=state, rung_fingerprints=rungs)


def match_changes(previous: MatchResult, changes: MatchInput, removed: Mapping[str, Iterable[str]] | None = None,
                  settings: MatchSettings | None = None) -> MatchResult:
    """``previous`` (a result with a ``state``) after ``changes`` (raw rows that are new or changed; a row
    replaces every row of its key) and ``removed`` (frame kind -> record keys deleted). Prepares only the
    change rows; equals a full run over the input the state now holds (tested)."""
    if previous.state is None:
        raise ValueError("the previous result keeps no prepared state (it came from storage): use rematch "
                         "with a state built from the stored prepared rows, or match_incremental")
    state, _ = apply_changes(previous.state, changes, removed)
    return rematch(state, previous, settings)


def match_incremental(inp: MatchInput, previous: MatchResult, settings: MatchSettings | None = None
                      ) -> MatchResult:
    """Prepare the whole of ``inp`` and re-match only the partitions whose fingerprint differs from
    ``previous`` (which needs only links, exceptions and fingerprints)."""
    return rematch(prepare_state(inp), previous, settings)
