"""Incremental matching re-matches only changed partitions and equals a full run."""
from __future__ import annotations

import pandas as pd
import pytest

from matching.engine import MatchInput, match
from matching.incremental import match_full, match_incremental
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
