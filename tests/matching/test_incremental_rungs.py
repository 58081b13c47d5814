"""A changed warehouse partition re-runs only the rungs whose inputs changed there (``engine.WAREHOUSE_RUNGS``,
``incremental.rung_fingerprints``), and the result still equals a full run over the same data.

Differential: a chain of incremental runs (``match_changes``) after changes of only order and outbound lines,
only receipt lines, only documents or customs lines, or a mix, against ``match_full`` of the whole input as it
then is (links, exceptions, fingerprints, rung fingerprints). Which rungs ran is read from the rungs themselves
(``documents.link_receipts`` and ``by_owner.link_shipments`` are wrapped to record the partitions they got).
"""
from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import by_owner, documents
from matching.engine import MatchInput, WAREHOUSE_RUNGS, match_prepared, prepare_input, rung_of_step
from matching.frames import plain, prepare
from matching.incremental import RUNG_INPUTS, match_changes, match_full
from matching.synthetic import generate

_KINDS = ("order_lines", "shipment_lines", "receipt_lines", "lots", "document_lines", "customs_lines")


@pytest.fixture(scope="module")
def world():
    return generate(size=4_000, seed=33, owners=3, warehouses=2)


@contextlib.contextmanager
def _rungs_seen():
    """The warehouse partitions each rung was run for while inside (the rungs wrapped, then restored)."""
    seen: dict[str, set[str]] = {"documents": set(), "lots": set()}
    receipts, shipments = documents.link_receipts, by_owner.link_shipments

    def link_receipts(r, *args, **kwargs):
        seen["documents"] |= set(r["partition"].dropna())
        return receipts(r, *args, **kwargs)

    def link_shipments(ships, *args, **kwargs):
        seen["lots"] |= set(plain(ships[["partition"]])["partition"].dropna())
        return shipments(ships, *args, **kwargs)

    documents.link_receipts, by_owner.link_shipments = link_receipts, link_shipments
    try:
        yield seen
    finally:
        documents.link_receipts, by_owner.link_shipments = receipts, shipments


def _frames(inp: MatchInput) -> dict[str, pd.DataFrame]:
    return {kind: getattr(inp, kind) for kind in _KINDS if getattr(inp, kind) is not None}


def _unique_rows(kind: str, frame: pd.DataFrame, inp: MatchInput) -> np.ndarray:
    """Positions of the rows of ``frame`` whose record key no other row has (a change replaces every copy of
    its key, so the full input's equivalent is then just the row replaced)."""
    keys = prepare(kind, frame, inp.crosswalk)["key"]
    return np.flatnonzero(~keys.duplicated(keep=False).to_numpy())


def _changed(kind: str, frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The rows at ``rows`` with a value changed that the kind's rungs read."""
    out = frame.iloc[rows].copy()
    if kind == "order_lines":
        out["product_name"] = out["product_name"].fillna("") + " Deluxe"
    elif kind == "shipment_lines":
        out["qty"] = out["qty"] + 1
    elif kind == "receipt_lines":
        out["received_good_qty"] = (out["received_good_qty"] - 1).clip(lower=0)
    elif kind == "document_lines":
        out["description"] = out["description"].fillna("") + " SPARE PARTS"
        out["packages"] = out["packages"] + 1
    elif kind == "customs_lines":
        out["qty"] = out["qty"] + 2
    return out


def _step(current: MatchInput, change_kinds: tuple[str, ...], pick: int) -> tuple[MatchInput, MatchInput]:
    """(the input after the change, the change): a few rows of each kind in ``change_kinds`` changed."""
    now = _frames(current)
    change = {}
    for kind in change_kinds:
        frame = now[kind]
        candidates = _unique_rows(kind, frame, current)
        rows = candidates[np.random.default_rng(pick).choice(len(candidates), size=min(3, len(candidates)),
                                                             replace=False)]
        rows.sort()
        fresh = _changed(kind, frame, rows)
        now[kind] = pd.concat([frame.drop(frame.index[rows]), fresh])
        change[kind] = fresh
    return MatchInput(**now, crosswalk=current.crosswalk), MatchInput(**change)


def _without_late_orders(inp: MatchInput, owner: str, count: int) -> tuple[MatchInput, MatchInput]:
    """The input before ``owner``'s last ``count`` orders and their outbound lines arrived, and those rows."""
    orders, ships = inp.order_lines, inp.shipment_lines
    late = orders.loc[orders["owner_id"] == owner, "order_id"].drop_duplicates().iloc[-count:]
    late_n = set(late.str.strip().str.upper())
    fresh_ship = (ships["owner_id"] == owner) & ships["order_id"].str.strip().str.upper().isin(late_n)
    fresh_order = orders["order_id"].isin(set(late))
    before = MatchInput(**{**_frames(inp), "order_lines": orders[~fresh_order], "shipment_lines": ships[~fresh_ship]},
                        crosswalk=inp.crosswalk)
    return before, MatchInput(order_lines=orders[fresh_order], shipment_lines=ships[fresh_ship])


def _assert_as_full(result, inp: MatchInput) -> None:
    full = match_full(inp)
    pd.testing.assert_frame_equal(result.links, full.links, check_dtype=False)
    pd.testing.assert_frame_equal(result.exceptions, full.exceptions, check_dtype=False)
    assert result.fingerprints == full.fingerprints
    assert result.rung_fingerprints == full.rung_fingerprints


def _rungs_to_run(before, after) -> dict[str, set[str]]:
    """Per rung, the changed warehouse partitions whose rung fingerprint changed."""
    changed = {p for p in after.rematched if p.startswith("wh|") and p in after.fingerprints}
    return {rung: {p for p in changed if before.rung_fingerprints[rung].get(p) != after.rung_fingerprints[rung][p]}
            for rung in WAREHOUSE_RUNGS}


def test_new_orders_rerun_the_lots_rung_only(world):
    before, change = _without_late_orders(world.input, "OWNER01", 40)
    first = match_full(before)
    with _rungs_seen() as seen:
        after = match_changes(first, change)
    warehouses = {p for p in after.rematched if p.startswith("wh|")}
    assert warehouses and all(p.startswith("wh|OWNER01|") for p in warehouses)
    assert seen["lots"] == warehouses
    assert seen["documents"] == set()  # the receipts' documents rung is kept: none of its inputs changed
    _assert_as_full(after, world.input)


def test_changed_documents_rerun_the_documents_rung_only(world):
    first = match_full(world.input)
    now, change = _step(world.input, ("document_lines", "customs_lines"), pick=5)
    with _rungs_seen() as seen:
        after = match_changes(first, change)
    warehouses = {p for p in after.rematched if p.startswith("wh|")}
    assert warehouses
    assert seen["lots"] == set()  # outbound lines, receipts and lots are as they were: FIFO is kept
    assert seen["documents"] == warehouses
    _assert_as_full(after, now)


def test_a_changed_receipt_reruns_both_rungs_of_its_warehouse(world):
    first = match_full(world.input)
    now, change = _step(world.input, ("receipt_lines",), pick=2)
    with _rungs_seen() as seen:
        after = match_changes(first, change)
    warehouses = {p for p in after.rematched if p.startswith("wh|")}
    assert warehouses and seen["lots"] == warehouses and seen["documents"] == warehouses
    _assert_as_full(after, now)


def test_a_previous_result_without_rung_fingerprints_reruns_every_rung(world):
    before, change = _without_late_orders(world.input, "OWNER02", 30)
    first = match_full(before)
    first.rung_fingerprints = {}  # as a result stored before rung fingerprints existed
    with _rungs_seen() as seen:
        after = match_changes(first, change)
    warehouses = {p for p in after.rematched if p.startswith("wh|")}
    assert seen["documents"] == warehouses == seen["lots"]
    _assert_as_full(after, world.input)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sets(st.sampled_from(("order_lines", "shipment_lines", "receipt_lines",
                                                           "document_lines", "customs_lines")), min_size=1),
                                st.integers(0, 10_000)), min_size=1, max_size=3),
       owner=st.sampled_from(("OWNER00", "OWNER01", "OWNER02")), new_orders=st.booleans())
def test_a_chain_of_changes_equals_a_full_run_and_reruns_only_changed_rungs(world, steps, owner, new_orders):
    """Property: after any chain of changes (new orders of an owner first, then changed rows of some kinds),
    each incremental run equals a full run of the input as it then is, and each warehouse rung ran exactly
    for the changed partitions whose rung fingerprint changed."""
    current = world.input
    if new_orders:
        start, first_change = _without_late_orders(world.input, owner, 25)
        chain = [(world.input, first_change)]
    else:
        start, chain = world.input, []
    for kinds, pick in steps:
        base = chain[-1][0] if chain else start
        chain.append(_step(base, tuple(sorted(kinds)), pick))
    previous = match_full(start)
    for current, change in chain:
        with _rungs_seen() as seen:
            after = match_changes(previous, change)
        expected = _rungs_to_run(previous, after)
        assert seen == expected
        _assert_as_full(after, current)
        previous = after


def test_each_rung_step_and_input_is_declared(world):
    """Every step a full run's links and exceptions carry in a warehouse partition belongs to a declared rung or
    to the input checks; every rung names its inputs."""
    result = match_prepared(prepare_input(world.input))
    steps = set(result.links["step"]) | set(result.exceptions["step"])
    warehouse_steps = (set(result.links.loc[result.links["partition"].str.startswith("wh|"), "step"])
                       | set(result.exceptions.loc[result.exceptions["partition"].str.startswith("wh|"), "step"]))
    assert {rung_of_step(s) for s in warehouse_steps} - {None} == set(WAREHOUSE_RUNGS)
    assert all(rung_of_step(s) is not None for s in warehouse_steps - {"input"})
    assert all(rung_of_step(s) is None for s in steps if s in ("order_shipment", "input"))
    assert set(RUNG_INPUTS) == set(WAREHOUSE_RUNGS)
