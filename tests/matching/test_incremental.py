"""Incremental matching re-matches only changed partitions and equals a full run."""
from __future__ import annotations

import pandas as pd
import pytest

from matching.crosswalk import SkuCrosswalk
from matching.engine import MatchInput, MatchResult, match, match_prepared, prepare_input
from matching.incremental import match_changes, match_full, match_incremental
from matching.synthetic import generate


@pytest.fixture(scope="module")
def world():
    return generate(size=6_000, seed=21, owners=3, warehouses=2)


def _without_late_orders(inp: MatchInput, owner: str, warehouse: str, count: int) -> MatchInput:
    ships = inp.shipment_lines
    mine = ships[(ships["owner_id"] == owner) & (ships["warehouse_code"] == warehouse)]
    late_orders = set(mine["order_id"].str.strip().str.upper().unique()[-count:])
    keep_ship = ~ships["order_id"].str.strip().str.upper().isin(late_orders)
    keep_order = ~inp.order_lines["order_id"].isin(late_orders)
    return MatchInput(order_lines=inp.order_lines[keep_order], shipment_lines=ships[keep_ship],
                      receipt_lines=inp.receipt_lines, lots=inp.lots, document_lines=inp.document_lines,
                      customs_lines=inp.customs_lines, crosswalk=inp.crosswalk)


def test_new_orders_rematch_only_their_partitions_and_equal_a_full_run(world):
    before = _without_late_orders(world.input, "OWNER01", "WH1", 60)
    first = match_full(before)
    assert len(first.rematched) == len(first.fingerprints)

    after = match_incremental(world.input, first)
    assert "wh|OWNER01|WH1" in after.rematched
    assert "wh|OWNER00|WH0" not in after.rematched and "wh|OWNER02|WH1" not in after.rematched
    assert all(part.split("|")[1] == "OWNER01" for part in after.rematched)

    full = match(world.input)
    pd.testing.assert_frame_equal(after.links, full.links, check_dtype=False)
    pd.testing.assert_frame_equal(after.exceptions, full.exceptions, check_dtype=False)


def test_unchanged_input_rematches_nothing_even_shuffled(world):
    first = match_full(world.input)
    shuffled = MatchInput(order_lines=world.input.order_lines.sample(frac=1.0, random_state=1),
                          shipment_lines=world.input.shipment_lines.sample(frac=1.0, random_state=2),
                          receipt_lines=world.input.receipt_lines, document_lines=world.input.document_lines,
                          customs_lines=world.input.customs_lines, crosswalk=world.input.crosswalk)
    again = match_incremental(shuffled, first)
    assert again.rematched == ()
    assert again.fingerprints == first.fingerprints


def test_a_changed_receipt_rematches_its_warehouse_only(world):
    first = match_full(world.input)
    receipts = world.input.receipt_lines.copy()
    row = receipts.index[(receipts["owner_id"] == "OWNER02") & (receipts["warehouse_code"] == "WH0")][0]
    receipts.loc[row, "received_good_qty"] = receipts.loc[row, "received_good_qty"] - 1
    changed = MatchInput(order_lines=world.input.order_lines, shipment_lines=world.input.shipment_lines,
                         receipt_lines=receipts, document_lines=world.input.document_lines,
                         customs_lines=world.input.customs_lines, crosswalk=world.input.crosswalk)
    after = match_incremental(changed, first)
    assert after.rematched == ("wh|OWNER02|WH0",)
    full = match(changed)
    pd.testing.assert_frame_equal(after.links, full.links, check_dtype=False)
    pd.testing.assert_frame_equal(after.exceptions, full.exceptions, check_dtype=False)


def _late_rows(inp: MatchInput, owner: str, warehouse: str, count: int) -> MatchInput:
    """The rows ``_without_late_orders`` leaves out: the change a later run brings."""
    earlier = _without_late_orders(inp, owner, warehouse, count)
    return MatchInput(order_lines=inp.order_lines.drop(earlier.order_lines.index),
                      shipment_lines=inp.shipment_lines.drop(earlier.shipment_lines.index))


def test_changes_alone_are_prepared_and_the_result_equals_a_full_run(world):
    first = match_full(_without_late_orders(world.input, "OWNER01", "WH1", 60))
    after = match_changes(first, _late_rows(world.input, "OWNER01", "WH1", 60))
    assert "wh|OWNER01|WH1" in after.rematched
    assert all(part.split("|")[1] == "OWNER01" for part in after.rematched)
    full = match_full(world.input)
    assert after.fingerprints == full.fingerprints
    pd.testing.assert_frame_equal(after.links, full.links, check_dtype=False)
    pd.testing.assert_frame_equal(after.exceptions, full.exceptions, check_dtype=False)
    # the state carries on: nothing new, nothing re-matched
    again = match_changes(after, MatchInput())
    assert again.rematched == () and again.fingerprints == full.fingerprints


def test_a_changed_row_replaces_its_key_and_a_removed_key_leaves(world):
    first = match_full(world.input)
    receipts = world.input.receipt_lines
    row = receipts.index[(receipts["owner_id"] == "OWNER02") & (receipts["warehouse_code"] == "WH0")][0]
    changed_row = receipts.loc[[row]].assign(received_good_qty=receipts.loc[row, "received_good_qty"] - 1)
    ships = world.input.shipment_lines
    gone = ships.index[(ships["owner_id"] == "OWNER00") & (ships["warehouse_code"] == "WH1")][:3]
    gone_keys = first.state.frames["shipment_lines"].set_index(
        first.state.frames["shipment_lines"]["wms_outbound_no"] + "#" +
        first.state.frames["shipment_lines"]["line_no"].astype("string"))["key"]
    removed = [gone_keys[f"{o}#{n}"] for o, n in zip(ships.loc[gone, "wms_outbound_no"], ships.loc[gone, "line_no"])]
    after = match_changes(first, MatchInput(receipt_lines=changed_row), removed={"shipment_lines": removed})
    assert set(after.rematched) >= {"wh|OWNER02|WH0", "wh|OWNER00|WH1"}
    assert all(part.split("|")[1] in ("OWNER00", "OWNER02") for part in after.rematched)
    now = MatchInput(order_lines=world.input.order_lines, shipment_lines=ships.drop(gone),
                     receipt_lines=pd.concat([receipts.drop(row), changed_row]), lots=world.input.lots,
                     document_lines=world.input.document_lines, customs_lines=world.input.customs_lines,
                     crosswalk=world.input.crosswalk)
    full = match(now)
    pd.testing.assert_frame_equal(after.links, full.links, check_dtype=False)
    pd.testing.assert_frame_equal(after.exceptions, full.exceptions, check_dtype=False)


def test_changes_are_refused_with_another_crosswalk_or_an_unknown_kind(world):
    first = match_full(world.input)
    with pytest.raises(ValueError, match="crosswalk"):
        match_changes(first, MatchInput(crosswalk=SkuCrosswalk()))
    with pytest.raises(ValueError, match="unknown frame kind"):
        match_changes(first, MatchInput(), removed={"orders": ["x"]})
    with pytest.raises(ValueError, match="no prepared state"):
        match_changes(MatchResult(first.links, first.exceptions, fingerprints=first.fingerprints), MatchInput())


def test_a_run_over_partitions_of_one_kind_gives_a_full_runs_rows_of_them_and_leaves_its_input_alone(world):
    """``match_prepared`` with only shop (or only warehouse) partitions runs only the rungs whose rows fall in
    them: their links and exceptions are those of a run over everything, and the prepared input is unchanged
    (the service hands the same input to the title ledger)."""
    prepared = prepare_input(world.input)
    kept = {name: getattr(prepared, name).copy(deep=True) for name in ("orders", "shipments", "receipts", "lots",
                                                                       "documents", "customs", "manual", "skus")}
    full = match_prepared(prepared)
    named = set(full.links["partition"]) | set(full.exceptions["partition"])
    for kind in ("shop|", "wh|"):
        wanted = {x for x in named if x.startswith(kind)}
        assert wanted
        some = match_prepared(prepared, partitions=wanted)
        for got, every in ((some.links, full.links), (some.exceptions, full.exceptions)):
            pd.testing.assert_frame_equal(got[got["partition"].isin(wanted)].reset_index(drop=True),
                                          every[every["partition"].isin(wanted)].reset_index(drop=True),
                                          check_dtype=False)
    for name, frame in kept.items():
        pd.testing.assert_frame_equal(getattr(prepared, name), frame, check_exact=True)
